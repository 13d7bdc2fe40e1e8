package httpin

import (
	"testing"

	"github.com/troupe-go/troupe/routing"
)

// A generation swapped out drains only once the last request holding it
// has let it go; requests that start after the swap take the new one.
func TestSwapDrainsTheOldGenerationAfterItsLastRequest(t *testing.T) {
	first := &routing.Table[*Route]{}
	in := NewIngress(Config{}, first, nil, nil)
	held := in.acquire()
	if held.Table() != first {
		t.Fatal("a request took a generation other than the first")
	}
	next := NewRoutes(&routing.Table[*Route]{}, nil)
	if prev := in.Swap(next); prev != held {
		t.Fatal("Swap returned another generation than the one it replaced")
	}
	if got := in.acquire(); got != next {
		t.Error("a request started after Swap did not take the new generation")
	} else {
		got.release()
	}
	select {
	case <-held.Drained():
		t.Fatal("the old generation drained while a request held it")
	default:
	}
	held.release()
	select {
	case <-held.Drained():
	default:
		t.Fatal("the old generation did not drain once its last request let it go")
	}
	select {
	case <-next.Drained():
		t.Fatal("the current generation drained")
	default:
	}
}

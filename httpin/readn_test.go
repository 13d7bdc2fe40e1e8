package httpin

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadN(t *testing.T) {
	body := strings.Repeat("x", 200<<10)
	got, err := readN(iotest.OneByteReader(strings.NewReader(body)), int64(len(body)))
	if err != nil || string(got) != body {
		t.Fatalf("readN of %d bytes, a byte a read = %d bytes, %v", len(body), len(got), err)
	}
	if _, err := readN(strings.NewReader("short"), 10); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("readN of a body cut short = %v, want io.ErrUnexpectedEOF", err)
	}
	if got, err := readN(iotest.DataErrReader(strings.NewReader("exact")), 5); err != nil || string(got) != "exact" {
		t.Errorf("readN with the data and io.EOF together = %q, %v", got, err)
	}
	boom := errors.New("boom")
	if _, err := readN(iotest.ErrReader(boom), 5); !errors.Is(err, boom) {
		t.Errorf("readN of a failing body = %v, want its error", err)
	}
}

// A body announced large but not sent does not get its announced size
// allocated: readN holds at most readNFirst until bytes come.
func TestReadNAllocatesAsDataArrives(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _ = readN(strings.NewReader("abc"), 1<<30)
	runtime.ReadMemStats(&after)
	// 1 GiB announced; the bound leaves room for whatever else allocates
	// meanwhile.
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("readN of a body announced as 1 GiB, 3 bytes sent, allocated %d bytes", n)
	}
	var sizes []int
	r := &capSpy{r: strings.NewReader(strings.Repeat("y", 300<<10)), sizes: &sizes}
	if _, err := readN(r, 300<<10); err != nil {
		t.Fatal(err)
	}
	if sizes[0] > readNFirst {
		t.Errorf("first read into a buffer of %d bytes, want at most %d", sizes[0], readNFirst)
	}
}

// capSpy records the room each read is given.
type capSpy struct {
	r     io.Reader
	sizes *[]int
}

func (s *capSpy) Read(p []byte) (int, error) {
	*s.sizes = append(*s.sizes, len(p))
	return s.r.Read(p)
}

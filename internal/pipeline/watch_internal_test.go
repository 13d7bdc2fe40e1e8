package pipeline

import (
	"testing"
	"testing/synctest"
	"time"
)

// A watch goes back to its own itinerary's pool: an app made inside a
// testing/synctest bubble keeps its timers there, so an app outside it
// never resets one (the runtime stops the program if it does, which is
// how this test fails with one pool for the process).
func TestWatchesStayWithTheirItinerary(t *testing.T) {
	var inBubble *watch
	synctest.Test(t, func(t *testing.T) {
		it := NewItinerary(&Hop{})
		ex := &Exchange{itinerary: it, Deadline: time.Now().Add(time.Hour)}
		inBubble = startWatch(ex)
		if !inBubble.stop() {
			t.Fatal("a watch an hour from its deadline had fired")
		}
	})
	outside := NewItinerary(&Hop{})
	for range 100 {
		ex := &Exchange{itinerary: outside, Deadline: time.Now().Add(time.Hour)}
		w := startWatch(ex)
		if w == inBubble || w.pool != outside.watches {
			t.Fatal("an itinerary took a watch from another's pool")
		}
		ex.Deadline = time.Now().Add(2 * time.Hour)
		w.move(ex.Deadline)
		w.stop()
	}
}

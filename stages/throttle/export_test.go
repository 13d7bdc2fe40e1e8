package throttle

import "github.com/troupe-go/troupe/actors"

// OnWait makes the throttle of spec call f whenever a request joins its
// backlog. Call it before the app starts.
func OnWait(spec *actors.Spec, f func()) { spec.Stage.(*throttle).onWait = f }

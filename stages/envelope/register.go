package envelope

import "github.com/troupe-go/troupe/config"

// Register adds the stage kind envelope to reg.
//
//	stages:
//	  envelope: {kind: envelope}
//	groups:
//	  - prefix: /api
//	    stages: [envelope]
func Register(reg *config.Registry) {
	reg.Register("envelope", config.StageKind(`wraps JSON responses as {"data": …, "error": null, "request_id": …} and problem+json ones as `+
		`{"data": null, "error": …, "request_id": …}; status unchanged, other bodies untouched. `+
		"Global by default, so that it also wraps the errors of the stages after it. No options.",
		Priority, New))
}

package httpin

import (
	"github.com/troupe-go/troupe/overload"
	"time"

	"github.com/troupe-go/troupe/internal/pipeline"
)

// Route is what the ingress knows of a matched route.
type Route struct {
	// Pattern is the route's pattern, for logs and metrics.
	Pattern string
	// Itinerary is the route's plan of stage actors.
	Itinerary *pipeline.Itinerary
	// Timeout is the route's request deadline; 0 means the ingress default.
	Timeout time.Duration
	// MaxBodyBytes is the route's body limit; 0 means the ingress default.
	MaxBodyBytes int64
	// StreamBody hands the request body to the pipeline unread, as
	// Exchange.BodyReader, instead of reading it into Exchange.Body.
	StreamBody bool
	// Class is the route's criticality under overload: Sheddable requests
	// are refused first, Critical ones last. The zero value is Default.
	Class overload.Class
}

package validate_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/stages/validate"
	"github.com/troupe-go/troupe/stagetest"
)

// benchBodies are bodies of the shapes an API sees: a small object, a
// page of objects, and an object with many keys.
func benchBodies() map[string]string {
	item := `{"name":"desk lamp","count":3,"tags":["home","light"],"price":19.99,"items":[{"name":"bulb"},{"name":"shade"}]}`
	var page, wide strings.Builder
	page.WriteString(`{"name":"page","items":[`)
	for i := range 100 {
		if i > 0 {
			page.WriteByte(',')
		}
		fmt.Fprintf(&page, `{"name":"item %d","count":%d,"note":"caf\u00e9 \u2615 %d"}`, i, i, i)
	}
	page.WriteString(`]}`)
	wide.WriteString(`{"name":"wide","items":[]`)
	for i := range 200 {
		fmt.Fprintf(&wide, `,"field_%03d":%d`, i, i)
	}
	wide.WriteString(`}`)
	return map[string]string{"item": item, "page": page.String(), "wide": wide.String()}
}

// BenchmarkProcess measures the stage on one exchange, reused: the body
// checks, the decoding and, with a schema, the validation.
func BenchmarkProcess(b *testing.B) {
	bodies := benchBodies()
	for _, name := range []string{"item", "page", "wide"} {
		for _, withSchema := range []bool{false, true} {
			cfg := validate.Config{}
			label := name + "/syntax"
			if withSchema {
				cfg.Schema, label = itemSchema, name+"/schema"
			}
			b.Run(label, func(b *testing.B) {
				stage, err := newStage(cfg)
				if err != nil {
					b.Fatal(err)
				}
				body := []byte(bodies[name])
				r := httptest.NewRequest("POST", "/items", nil)
				r.Header.Set("Content-Type", "application/json")
				ex := stagetest.Exchange(b, r, stagetest.WithBody(body))
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if err := stage.Process(ex); err != nil || ex.Response.Written() {
						b.Fatalf("Process: %v %s", err, ex.Response.Body)
					}
				}
			})
		}
	}
}

package compress_test

import (
	"net/http/httptest"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/compress"
	"github.com/troupe-go/troupe/stagetest"
)

// BenchmarkAfter measures the after-phase on a 16 KiB JSON body per
// coding, with the compressed size as a share of the original: the cost
// a response pays for compression, and what it buys.
func BenchmarkAfter(b *testing.B) {
	spec, err := compress.New("compress", compress.Config{})
	if err != nil {
		b.Fatal(err)
	}
	after := spec.Stage.(actors.AfterStage)
	body := jsonBody(16 << 10)
	for _, ce := range []string{"zstd", "gzip"} {
		b.Run(ce, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/x", nil)
			r.Header.Set("Accept-Encoding", ce)
			ex := stagetest.Exchange(b, r)
			var out int
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				ex.Response.Header().Del("Content-Encoding")
				ex.Respond(200, "application/json", body)
				after.After(ex)
				out = len(ex.Response.Body)
			}
			b.ReportMetric(float64(out)/float64(len(body)), "ratio")
		})
	}
}

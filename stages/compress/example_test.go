package compress_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/compress"
	"go.uber.org/zap"
)

// Compression for a client that accepts gzip only: a body past MinSize
// goes out gzipped and smaller, and decodes to what the handler wrote.
func ExampleNew() {
	c, err := compress.New("compress", compress.Config{MinSize: 512})
	if err != nil {
		panic(err)
	}
	body := `{"items":"` + strings.Repeat("troupe ", 300) + `"}`
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.Use(c)
	app.GET("/items", func(ex *actors.Exchange) error {
		ex.Respond(http.StatusOK, "application/json", []byte(body))
		return nil
	})
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	r := httptest.NewRequest(http.MethodGet, "/items", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		panic(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		panic(err)
	}
	fmt.Println(rec.Code, rec.Header().Get("Content-Encoding"), rec.Header().Get("Vary"))
	fmt.Println("smaller:", rec.Body.Len() < len(body), "same once decoded:", string(plain) == body)
	// Output:
	// 200 gzip Accept-Encoding
	// smaller: true same once decoded: true
}

package live

import (
	"embed"
	"io/fs"
	"net/http"
)

// files are the live page: plain HTML, CSS and JavaScript, with no
// build step and nothing fetched from elsewhere.
//
//go:embed page
var files embed.FS

// indexHTML is the page itself.
var indexHTML = mustRead("page/index.html")

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err) // the file is embedded: a missing one fails every test
	}
	return b
}

// assets serves the page's stylesheet and script under /assets/.
func assets() http.Handler {
	sub, err := fs.Sub(files, "page")
	if err != nil {
		panic(err)
	}
	fileServer := http.StripPrefix("/assets/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fileServer.ServeHTTP(w, r)
	})
}

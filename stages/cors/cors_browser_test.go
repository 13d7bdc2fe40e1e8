//go:build unix

package cors_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/cors"
)

const chromium = "/usr/bin/chromium"

// pageA is served from origin A, the allowed one. It makes three
// cross-origin calls to the API on origin B (simple, preflighted,
// credentialed), then loads a page from origin C, which is not allowed,
// in an iframe; that page makes a call of its own and posts the outcome
// back. The results go into #out as JSON, and the title becomes "done".
const pageA = `<!doctype html>
<html><head><title>running</title></head><body><pre id="out"></pre>
<script>
const B = "{{B}}", C = "{{C}}";
const results = {};
async function run(name, f) {
  try { results[name] = await f(); } catch (e) { results[name] = "error: " + e.name; }
}
(async () => {
  document.cookie = "session=s3cret; path=/"; // cookies ignore ports: B gets it if credentials are sent
  await run("simple", async () => {
    const r = await fetch(B + "/api/simple");
    return r.status + " " + await r.text();
  });
  await run("preflighted", async () => {
    const r = await fetch(B + "/api/items/7", {method: "PUT", headers: {"Content-Type": "application/json", "X-Custom": "yes"}, body: JSON.stringify({n: 1})});
    return r.status + " " + await r.text() + " exposed:" + (r.headers.get("X-Request-Id") !== null);
  });
  await run("credentialed", async () => {
    const r = await fetch(B + "/api/simple", {credentials: "include"});
    return r.status + " " + await r.text();
  });
  results.foreign = await new Promise(resolve => {
    window.addEventListener("message", e => { if (e.origin === C) resolve(e.data); });
    const f = document.createElement("iframe");
    f.src = C + "/foreign";
    document.body.appendChild(f);
  });
  document.getElementById("out").textContent = JSON.stringify(results);
  document.title = "done";
})();
</script></body></html>`

// pageC is served from origin C, which the API does not allow.
const pageC = `<!doctype html><html><body><script>
fetch("{{B}}/api/simple").then(r => r.text()).then(
  t => parent.postMessage("read: " + t, "*"),
  e => parent.postMessage("error: " + e.name, "*"));
</script></body></html>`

// A real cross-origin fetch from headless Chromium: the browser, not the
// test, decides whether the CORS headers are right.
func TestBrowserCrossOriginFetch(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s not found: install it with `apt-get install -y chromium` (Debian) to run this test", chromium)
	}
	// Origins A and C are page servers on ports of their own, made before
	// they start: their pages name the API's origin, B, which in turn
	// must allow A.
	siteA, siteC := httptest.NewUnstartedServer(nil), httptest.NewUnstartedServer(nil)
	defer siteA.Close()
	defer siteC.Close()
	originA, originC := "http://"+siteA.Listener.Addr().String(), "http://"+siteC.Listener.Addr().String()

	var reached, handled methods // what the API's first stage and its handlers saw
	stage := mustNew(t, cors.Config{
		AllowedOrigins:   []string{originA},
		AllowedMethods:   []string{"GET", "PUT"},
		AllowedHeaders:   []string{"Content-Type", "X-Custom"},
		ExposedHeaders:   []string{"X-Request-Id"},
		AllowCredentials: true,
	})
	urlB := startApp(t, func(app *troupe.App) {
		app.Use(troupe.Stage("seen", actors.Global, actors.StageFunc(func(ex *actors.Exchange) error {
			reached.add(ex.Request.Method)
			return nil
		})))
		api := app.Group("/api", troupe.Stage("cors", actors.Global, stage))
		api.Handle("GET", "/simple", troupe.Handler("GET /api/simple", func(ex *actors.Exchange) error {
			handled.add(ex.Request.Method)
			cookie := "none"
			if c, err := ex.Request.Cookie("session"); err == nil {
				cookie = c.Value
			}
			ex.Respond(http.StatusOK, "text/plain", []byte("hello cookie="+cookie))
			return nil
		}))
		api.Handle("PUT", "/items/{id}", troupe.Handler("PUT /api/items/{id}", func(ex *actors.Exchange) error {
			handled.add(ex.Request.Method)
			ex.Respond(http.StatusOK, "text/plain", []byte("put "+ex.Params.Get("id")+" "+ex.Request.Header.Get("X-Custom")+" "+string(ex.Body)))
			return nil
		}))
	})
	fill := strings.NewReplacer("{{B}}", urlB, "{{C}}", originC)
	siteA.Config.Handler, siteC.Config.Handler = page(fill.Replace(pageA)), page(fill.Replace(pageC))
	siteA.Start()
	siteC.Start()

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=10000", "--dump-dom", originA+"/")
	// Chromium forks helpers: kill the whole process group if the
	// deadline passes, and do not wait for stray pipes beyond a second.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\nstderr:\n%s", err, stderr.String())
	}

	dom := stdout.String()
	if !strings.Contains(dom, "<title>done</title>") {
		t.Fatalf("the page did not finish; DOM:\n%s\nstderr:\n%s", dom, stderr.String())
	}
	m := regexp.MustCompile(`(?s)<pre id="out">(.*?)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no #out in the DOM:\n%s", dom)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &got); err != nil {
		t.Fatalf("#out %q: %v", m[1], err)
	}
	t.Logf("fetch results: %q", got)
	want := map[string]string{
		"simple":       "200 hello cookie=none", // cross-origin fetches send no cookies by default
		"preflighted":  `200 put 7 yes {"n":1} exposed:true`,
		"credentialed": "200 hello cookie=s3cret",
		"foreign":      "error: TypeError", // the browser withholds the response from origin C
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("fetch %s = %q, want %q", k, got[k], w)
		}
	}

	// Server side: the browser did send a preflight, the CORS stage
	// answered it, and no handler ever saw an OPTIONS request.
	if n := reached.get("OPTIONS"); n < 1 {
		t.Errorf("the server saw %d preflights, want at least 1 (for the PUT)", n)
	}
	if n := handled.get("OPTIONS"); n != 0 {
		t.Errorf("handlers saw %d OPTIONS requests, want 0", n)
	}
	if n := handled.get("PUT"); n != 1 {
		t.Errorf("the PUT handler ran %d times, want 1", n)
	}
}

// page serves body as HTML.
func page(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(body))
	})
}

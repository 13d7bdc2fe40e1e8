package envelope_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/envelope"
	"github.com/troupe-go/troupe/stagetest"
)

// newSpec returns an envelope stage.
func newSpec(t *testing.T) *actors.Spec {
	t.Helper()
	spec, err := envelope.New("envelope", envelope.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// response is what the handler behind the envelope answers.
type response struct {
	status int
	header []string // pairs
	body   string
}

func TestEnvelope(t *testing.T) {
	tests := []struct {
		name       string
		method     string // GET if ""
		give       response
		wantStatus int
		wantType   string
		wantBody   string
	}{
		{name: "JSON object", give: response{status: 200, header: []string{"Content-Type", "application/json"}, body: `{"id":1}`},
			wantStatus: 200, wantType: "application/json", wantBody: `{"data":{"id":1},"error":null,"request_id":"test-request"}`},
		{name: "JSON array, created", give: response{status: 201, header: []string{"Content-Type", "application/json; charset=utf-8"}, body: ` [1, 2] `},
			wantStatus: 201, wantType: "application/json", wantBody: `{"data": [1, 2] ,"error":null,"request_id":"test-request"}`},
		{name: "JSON scalar", give: response{status: 200, header: []string{"Content-Type", "application/json"}, body: `null`},
			wantStatus: 200, wantType: "application/json", wantBody: `{"data":null,"error":null,"request_id":"test-request"}`},
		{name: "+json", give: response{status: 200, header: []string{"Content-Type", "application/vnd.api+json"}, body: `{}`},
			wantStatus: 200, wantType: "application/json", wantBody: `{"data":{},"error":null,"request_id":"test-request"}`},
		{name: "problem", give: response{status: 409, header: []string{"Content-Type", "application/problem+json"}, body: `{"status":409}`},
			wantStatus: 409, wantType: "application/json", wantBody: `{"data":null,"error":{"status":409},"request_id":"test-request"}`},
		{name: "text untouched", give: response{status: 200, header: []string{"Content-Type", "text/plain"}, body: `{"id":1}`},
			wantStatus: 200, wantType: "text/plain", wantBody: `{"id":1}`},
		{name: "no content type untouched", give: response{status: 200, body: `{"id":1}`},
			wantStatus: 200, wantType: "", wantBody: `{"id":1}`},
		{name: "invalid JSON untouched", give: response{status: 200, header: []string{"Content-Type", "application/json"}, body: `{"id":`},
			wantStatus: 200, wantType: "application/json", wantBody: `{"id":`},
		{name: "empty body untouched", give: response{status: 204, header: []string{"Content-Type", "application/json"}},
			wantStatus: 204, wantType: "application/json", wantBody: ``},
		{name: "encoded body untouched", give: response{status: 200, header: []string{"Content-Type", "application/json", "Content-Encoding", "gzip"}, body: `{}`},
			wantStatus: 200, wantType: "application/json", wantBody: `{}`},
		{name: "identity encoding wrapped", give: response{status: 200, header: []string{"Content-Type", "application/json", "Content-Encoding", "identity"}, body: `1`},
			wantStatus: 200, wantType: "application/json", wantBody: `{"data":1,"error":null,"request_id":"test-request"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = "GET"
			}
			out := stagetest.Run(t, newSpec(t).Stage, httptest.NewRequest(method, "/x", nil), stagetest.WithHandler(func(ex *actors.Exchange) error {
				for i := 0; i+1 < len(tt.give.header); i += 2 {
					ex.Response.Header().Set(tt.give.header[i], tt.give.header[i+1])
				}
				ex.Respond(tt.give.status, "", []byte(tt.give.body))
				return nil
			}))
			if out.Status != tt.wantStatus || out.Header.Get("Content-Type") != tt.wantType || string(out.Body) != tt.wantBody {
				t.Errorf("%s %q = %d %q %s; want %d %q %s", tt.give.header, tt.give.body, out.Status, out.Header.Get("Content-Type"), out.Body,
					tt.wantStatus, tt.wantType, tt.wantBody)
			}
		})
	}
}

func TestEnvelopeHeaders(t *testing.T) {
	tests := []struct {
		name     string
		give     []string // response header pairs
		wantETag string
	}{
		{name: "strong ETag weakened", give: []string{"Etag", `"abc"`}, wantETag: `W/"abc"`},
		{name: "weak ETag kept", give: []string{"Etag", `W/"abc"`}, wantETag: `W/"abc"`},
		{name: "no ETag", give: nil, wantETag: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, newSpec(t).Stage, httptest.NewRequest("GET", "/x", nil), stagetest.WithHandler(func(ex *actors.Exchange) error {
				for i := 0; i+1 < len(tt.give); i += 2 {
					ex.Response.Header().Set(tt.give[i], tt.give[i+1])
				}
				ex.Response.Header().Set("Content-Length", "2")
				ex.Respond(200, "application/json", []byte(`{}`))
				return nil
			}))
			if got := out.Header.Get("Etag"); got != tt.wantETag {
				t.Errorf("ETag = %q, want %q", got, tt.wantETag)
			}
			if got := out.Header.Get("Content-Length"); got != "" {
				t.Errorf("Content-Length = %q, want it dropped", got)
			}
		})
	}
}

func TestEnvelopeOfAnError(t *testing.T) {
	out := stagetest.Run(t, newSpec(t).Stage, httptest.NewRequest("GET", "/x", nil),
		stagetest.WithRequestID(`id-"quoted"`),
		stagetest.WithHandler(func(ex *actors.Exchange) error { return actors.NewError(http.StatusNotFound, "no such x") }))
	want := `{"data":null,"error":{"type":"about:blank","title":"Not Found","status":404,"detail":"no such x","instance":"/x","request_id":"id-\"quoted\""},"request_id":"id-\"quoted\""}`
	if out.Status != 404 || string(out.Body) != want {
		t.Errorf("got %d %s, want 404 %s", out.Status, out.Body, want)
	}
}

func TestEnvelopeOnce(t *testing.T) {
	outer, inner := newSpec(t).Stage.(actors.AfterStage), newSpec(t).Stage.(actors.AfterStage)
	ex := stagetest.Exchange(t, httptest.NewRequest("GET", "/x", nil))
	_ = outer.Process(ex)
	_ = inner.Process(ex)
	ex.Respond(200, "application/json", []byte(`1`))
	inner.After(ex)
	outer.After(ex)
	if want := `{"data":1,"error":null,"request_id":"test-request"}`; string(ex.Response.Body) != want {
		t.Errorf("two envelope stages gave %s, want %s", ex.Response.Body, want)
	}
}

package demo

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stagetest"
)

func TestItems(t *testing.T) {
	store := newItemStore()
	create, err := itemsCreateKind(store).New("POST /api/items", config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	get, err := itemsGetKind(store).New("GET /api/items/{id}", config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	post := func(body string) stagetest.Outcome {
		r := httptest.NewRequest("POST", "/api/items", nil)
		return stagetest.Run(t, create.Stage, r, stagetest.WithBody([]byte(body)))
	}
	out := post(`{"name":"lamp"}`)
	if out.Status != http.StatusCreated || out.Header.Get("Location") != "/api/items/1" || !strings.Contains(string(out.Body), `"id":"1"`) {
		t.Fatalf("create = %d %q %s", out.Status, out.Header.Get("Location"), out.Body)
	}
	if out := post(`{not json`); out.Status != http.StatusBadRequest {
		t.Errorf("create with bad JSON = %d, want 400", out.Status)
	}
	tests := []struct {
		id         string
		wantStatus int
		wantBody   string
	}{
		{"1", http.StatusOK, `{"id":"1","item":{"name":"lamp"}}`},
		{"2", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		out := stagetest.Run(t, get.Stage, httptest.NewRequest("GET", "/api/items/"+tt.id, nil), stagetest.WithParams("id", tt.id))
		if out.Status != tt.wantStatus || (tt.wantBody != "" && string(out.Body) != tt.wantBody) {
			t.Errorf("get %s = %d %s, want %d %s", tt.id, out.Status, out.Body, tt.wantStatus, tt.wantBody)
		}
		if tt.wantStatus == http.StatusOK && out.Header.Get("Cache-Control") != "public, max-age=30" {
			t.Errorf("get %s: Cache-Control %q, want public, max-age=30", tt.id, out.Header.Get("Cache-Control"))
		}
	}
}

func TestItemsStoreIsBounded(t *testing.T) {
	store := newItemStore()
	for i := range maxItems {
		store.items[string(rune(i))] = nil
	}
	create, _ := itemsCreateKind(store).New("c", config.Options{})
	out := stagetest.Run(t, create.Stage, httptest.NewRequest("POST", "/api/items", nil), stagetest.WithBody([]byte(`{}`)))
	if out.Status != http.StatusInsufficientStorage {
		t.Errorf("create in a full store = %d, want 507", out.Status)
	}
}

package compress

import "testing"

func TestNegotiate(t *testing.T) {
	both, err := newStage(Config{})
	if err != nil {
		t.Fatal(err)
	}
	gzipFirst, err := newStage(Config{Encodings: []string{"gzip", "zstd"}})
	if err != nil {
		t.Fatal(err)
	}
	onlyGzip, err := newStage(Config{Encodings: []string{"gzip"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stage *stage
		give  []string // Accept-Encoding lines
		want  string   // "" for identity
	}{
		{"absent", both, nil, ""},
		{"empty", both, []string{""}, ""},
		{"identity only", both, []string{"identity"}, ""},
		{"gzip", both, []string{"gzip"}, "gzip"},
		{"x-gzip", both, []string{"x-gzip"}, "gzip"},
		{"upper case", both, []string{"GZIP"}, "gzip"},
		{"zstd", both, []string{"zstd"}, "zstd"},
		{"browser", both, []string{"gzip, deflate, br, zstd"}, "zstd"},
		{"tie goes to the server's order", gzipFirst, []string{"gzip, zstd"}, "gzip"},
		{"tie goes to zstd by default", both, []string{"gzip;q=0.8, zstd;q=0.8"}, "zstd"},
		{"higher q wins", both, []string{"gzip;q=1.0, zstd;q=0.5"}, "gzip"},
		{"q=0 refuses", both, []string{"zstd;q=0, gzip;q=0.001"}, "gzip"},
		{"q=0 refuses all", both, []string{"zstd;q=0, gzip;q=0.000"}, ""},
		{"star", both, []string{"*"}, "zstd"},
		{"star with a refusal", both, []string{"*, zstd;q=0"}, "gzip"},
		{"star at zero", both, []string{"*;q=0"}, ""},
		{"named beats star", both, []string{"*;q=0.1, gzip;q=0.5"}, "gzip"},
		{"several lines", both, []string{"br", "gzip;q=0.9"}, "gzip"},
		{"spaces", both, []string{"  gzip ; q = 0.5 ,  zstd ;  q=0.4 "}, "gzip"},
		{"other parameters", both, []string{"zstd;level=3;q=0.2, gzip;q=0.1"}, "zstd"},
		{"malformed q ignored", both, []string{"zstd;q=2, gzip"}, "gzip"},
		{"q above one", both, []string{"zstd;q=1.001"}, ""},
		{"negative q", both, []string{"zstd;q=-1"}, ""},
		{"four decimals", both, []string{"zstd;q=0.1234"}, ""},
		{"not offered", onlyGzip, []string{"zstd"}, ""},
		{"unknown only", both, []string{"br, deflate, compress"}, ""},
		{"commas only", both, []string{",,,"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if c := tt.stage.negotiate(tt.give); c != nil {
				got = c.name()
			}
			if got != tt.want {
				t.Errorf("negotiate(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestQValue(t *testing.T) {
	tests := []struct {
		give   string
		want   int
		wantOK bool
	}{
		{"", 1000, true},
		{"q=1", 1000, true},
		{"q=1.000", 1000, true},
		{"Q=0.5", 500, true},
		{"q=0.25", 250, true},
		{"q=0.125", 125, true},
		{"q=0", 0, true},
		{"q=0.", 0, true},
		{"level=9", 1000, true},
		{"q=1.5", 0, false},
		{"q=2", 0, false},
		{"q=.5", 0, false},
		{"q=0.5x", 0, false},
		{"q=0.-1", 0, false},
		{"q=0.+1", 0, false},
		{"q=", 0, false},
		{"q=0x1", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, ok := qvalue(tt.give)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("qvalue(%q) = %d, %v; want %d, %v", tt.give, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestCompressibleTypes(t *testing.T) {
	ts, err := newTypes([]string{"application/x-custom", "model/*"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		give string
		want bool
	}{
		{"text/plain", true},
		{"text/html; charset=utf-8", true},
		{"Text/CSS", true},
		{"application/json", true},
		{"application/json;charset=utf-8", true},
		{"application/problem+json", true},
		{"application/vnd.api+json", true},
		{"application/atom+xml", true},
		{"image/svg+xml", true},
		{"application/javascript", true},
		{"application/x-custom", true},
		{"model/gltf+binary", true},
		{"image/png", false},
		{"image/jpeg", false},
		{"application/octet-stream", false},
		{"application/zip", false},
		{"application/gzip", false},
		{"font/woff2", false},
		{"video/mp4", false},
		{"", false},
		{"json", false},
		{"text/", false},
		{"/json", false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			if got := ts.compressible(tt.give); got != tt.want {
				t.Errorf("compressible(%q) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

package main

import (
	"os"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	b, err := os.ReadFile("testdata/wrk-4.1.0.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseWrk(string(b))
	if err != nil {
		t.Fatal(err)
	}
	got.RawOutput = ""
	want := wrkResult{
		Requests: 114540, Elapsed: 2010 * time.Millisecond, RPS: 57114.85,
		P50: 870 * time.Microsecond, P99: 9820 * time.Microsecond, Non2xx: 7, SockErrs: 16,
	}
	if *got != want {
		t.Errorf("parseWrk(testdata/wrk-4.1.0.txt) = %+v, want %+v", *got, want)
	}
}

func TestParseWrkIncomplete(t *testing.T) {
	if _, err := parseWrk("Running 2s test @ http://127.0.0.1:1/\n"); err == nil {
		t.Error("parseWrk(no report) = nil error, want one")
	}
}

func TestParseWrkDuration(t *testing.T) {
	tests := []struct {
		give string
		want time.Duration
	}{
		{give: "870.00us", want: 870 * time.Microsecond},
		{give: "2.48ms", want: 2480 * time.Microsecond},
		{give: "1.02s", want: 1020 * time.Millisecond},
		{give: "1.50m", want: 90 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := parseWrkDuration(tt.give)
			if err != nil || got != tt.want {
				t.Errorf("parseWrkDuration(%q) = %v, %v, want %v", tt.give, got, err, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		give []float64
		want float64
	}{
		{name: "odd", give: []float64{3, 1, 2}, want: 2},
		{name: "even", give: []float64{4, 1, 3, 2}, want: 2.5},
		{name: "one", give: []float64{7}, want: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.give, func(v float64) float64 { return v }); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

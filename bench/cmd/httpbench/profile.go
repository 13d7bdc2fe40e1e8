package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/google/pprof/profile"
)

// profiler collects one CPU profile per troupe round, so that the plain
// rounds in between are left out, and merges them into one file at the
// end. Not safe for concurrent use.
type profiler struct {
	profiles []*bytes.Buffer
}

func (p *profiler) start() error {
	buf := new(bytes.Buffer)
	if err := pprof.StartCPUProfile(buf); err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	p.profiles = append(p.profiles, buf)
	return nil
}

func (p *profiler) stop() { pprof.StopCPUProfile() }

// write merges the rounds' profiles into path.
func (p *profiler) write(path string) error {
	var ps []*profile.Profile
	for i, b := range p.profiles {
		pr, err := profile.Parse(b)
		if err != nil {
			return fmt.Errorf("cpu profile of round %d: %w", i+1, err)
		}
		ps = append(ps, pr)
	}
	merged, err := profile.Merge(ps)
	if err != nil {
		return fmt.Errorf("merging cpu profiles: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := merged.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

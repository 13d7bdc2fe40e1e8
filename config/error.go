package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Error is one problem found in a configuration file, at a line of it. Its
// message has the form "FILE:LINE: reason", which editors and CI logs turn
// into links. Load and Parse return every Error they find, joined with
// errors.Join, sorted by line.
type Error struct {
	// File is the file name, as given to Load or Parse.
	File string
	// Line is the 1-based line of the offending YAML node.
	Line int
	// Err is the reason.
	Err error
}

// Error returns "FILE:LINE: reason".
func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Err }

// yamlLine matches the "line N: reason" messages of yaml.v3, with or
// without its "yaml: " prefix.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// parserProblems are the syntax errors yaml.v3 reports with a 0-based line
// (those of its parser, unlike those of its scanner): the line where the
// broken mapping or list starts, or where the problem is when that is the
// first line.
var parserProblems = []string{
	"did not find expected <document start>",
	"found undefined tag handle",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
}

// fromYAML turns an error of the yaml package into Errors with the line it
// names, or at line fallback when it names none, with prefix before each
// reason.
func fromYAML(file string, fallback int, prefix string, err error) []error {
	var msgs []string
	if te, ok := errors.AsType[*yaml.TypeError](err); ok {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	out := make([]error, 0, len(msgs))
	for _, m := range msgs {
		line := fallback
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			line, _ = strconv.Atoi(sub[1]) // the pattern allows digits only
			m = sub[2]
			if slices.Contains(parserProblems, m) {
				line++
			}
		}
		out = append(out, &Error{File: file, Line: line, Err: errors.New(prefix + m)})
	}
	return out
}

// located flattens err (which may be a join) into Errors: parts that already
// carry a file and line are kept as they are, the others are placed at
// fallback.
func located(file string, fallback int, err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, located(file, fallback, e)...)
		}
		return out
	}
	if _, ok := errors.AsType[*Error](err); ok {
		return []error{err}
	}
	return []error{&Error{File: file, Line: fallback, Err: err}}
}

// sortByLine orders errs by line, keeping the order of errors on one line.
func sortByLine(errs []error) {
	line := func(err error) int {
		if e, ok := errors.AsType[*Error](err); ok {
			return e.Line
		}
		return 0
	}
	slices.SortStableFunc(errs, func(a, b error) int { return line(a) - line(b) })
}

// lastLine returns the number of the last line of data, breaking lines
// where yaml.v3 does: at \n, \r, \r\n, NEL, LS and PS.
func lastLine(data []byte) int {
	breaks, ended := 0, false
	for i := 0; i < len(data); i++ {
		ended = true
		switch {
		case data[i] == '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
		case data[i] == '\n':
		case data[i] == 0xC2 && i+1 < len(data) && data[i+1] == 0x85: // NEL
			i++
		case data[i] == 0xE2 && i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xA8 || data[i+2] == 0xA9): // LS, PS
			i += 2
		default:
			ended = false
			continue
		}
		breaks++
	}
	if ended || len(data) == 0 {
		return max(breaks, 1)
	}
	return breaks + 1
}

package accesslog

import (
	"io"
	"sync"
)

// countedStream is a streamed response body that counts what is read from
// it and reports, once, when it is closed: how many bytes went and whether
// a read failed before io.EOF.
type countedStream struct {
	io.ReadCloser
	n    int64
	eof  bool // the body was read to its end
	fail bool // a read failed
	once sync.Once
	done func(n int64, cut bool)
}

func (c *countedStream) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	switch {
	case err == io.EOF:
		c.eof = true
	case err != nil:
		c.fail = true
	}
	return n, err
}

// Close closes the body and reports. The body was cut if a read failed or
// the copy stopped part of the way (the client went away); a body never
// read (the answer to a HEAD request) was not.
func (c *countedStream) Close() error {
	err := c.ReadCloser.Close()
	c.once.Do(func() { c.done(c.n, c.fail || (!c.eof && c.n > 0)) })
	return err
}

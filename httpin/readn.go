package httpin

import (
	"io"
	"slices"
)

// readNFirst is the most readN allocates before any of the body has come.
const readNFirst = 64 << 10

// readN reads exactly n bytes from r (io.ErrUnexpectedEOF if it ends
// sooner). Its buffer grows, doubling, as the bytes arrive, so that a client
// announcing a large body and sending little of it does not get the whole
// of it allocated.
func readN(r io.Reader, n int64) ([]byte, error) {
	buf := make([]byte, 0, min(n, readNFirst))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(n-int64(len(buf)), int64(len(buf)))))
		}
		m, err := r.Read(buf[len(buf):int(min(int64(cap(buf)), n))])
		buf = buf[:len(buf)+m]
		switch {
		case err == io.EOF && int64(len(buf)) < n:
			return nil, io.ErrUnexpectedEOF
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return nil, err
		}
	}
	return buf, nil
}

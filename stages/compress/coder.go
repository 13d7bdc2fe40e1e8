package compress

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// coder is one content coding. Implementations are safe for concurrent
// use.
type coder interface {
	// name is the coding's token in Accept-Encoding and Content-Encoding.
	name() string
	// encode returns body compressed, in a new slice.
	encode(body []byte) ([]byte, error)
}

// gzipCoder compresses with gzip writers from a pool: a writer holds
// about a megabyte of tables, too much to make per response.
type gzipCoder struct {
	level   int
	writers sync.Pool // *gzip.Writer, reset to io.Discard
}

func newGzip(level int) (*gzipCoder, error) {
	if level == 0 {
		level = gzip.DefaultCompression
	} else if level < gzip.BestSpeed || level > gzip.BestCompression {
		return nil, fmt.Errorf("gzip_level: %d is not between 1 and 9", level)
	}
	return &gzipCoder{level: level}, nil
}

func (*gzipCoder) name() string { return "gzip" }

func (g *gzipCoder) encode(body []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(body)/4 + 64) // text and JSON commonly shrink to a fifth or less
	w, _ := g.writers.Get().(*gzip.Writer)
	if w == nil {
		var err error
		if w, err = gzip.NewWriterLevel(&buf, g.level); err != nil {
			return nil, err
		}
	} else {
		w.Reset(&buf)
	}
	defer func() {
		w.Reset(io.Discard) // let go of buf, which becomes the response body
		g.writers.Put(w)
	}()
	if _, err := w.Write(body); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// zstdCoder compresses with one shared encoder: EncodeAll is safe for
// concurrent use, and runs up to GOMAXPROCS encodings at once (a further
// one waits for a free internal encoder). NewWriter(nil) starts no
// goroutines; EncodeAll uses none.
type zstdCoder struct {
	enc *zstd.Encoder
}

// zstdWindow is the largest window RFC 9659 lets a "zstd" content coding
// use, so that browsers can decode it.
const zstdWindow = 8 << 20

func newZstd(level string) (*zstdCoder, error) {
	l := zstd.SpeedDefault
	if level != "" {
		ok, parsed := zstd.EncoderLevelFromString(strings.ToLower(level))
		if !ok {
			return nil, fmt.Errorf("zstd_level: %q is not one of fastest, default, better, best", level)
		}
		l = parsed
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(l), zstd.WithWindowSize(zstdWindow))
	if err != nil {
		return nil, err
	}
	return &zstdCoder{enc: enc}, nil
}

func (*zstdCoder) name() string { return "zstd" }

func (z *zstdCoder) encode(body []byte) ([]byte, error) {
	// Sized like gzip's buffer; left nil, EncodeAll would reserve
	// len(body) for bodies under 1 MiB.
	return z.enc.EncodeAll(body, make([]byte, 0, len(body)/4+64)), nil
}

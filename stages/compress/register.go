package compress

import "github.com/troupe-go/troupe/config"

// doc describes the kind compress and its options, for `server -kinds`.
const doc = "compresses response bodies with zstd or gzip as Accept-Encoding allows (q-values; zstd on a tie), " +
	"when the body is at least min_size bytes and its Content-Type is compressible; sets Content-Encoding and Vary, weakens ETags. " +
	"Options: min_size (bytes, default 1024), encodings (preference order, default [zstd, gzip]), " +
	"gzip_level (1-9, default 5), zstd_level (fastest, default, better, best; default default), " +
	"types (more compressible media types, e.g. application/x-custom or model/*)."

// Register adds the stage kind compress to reg:
//
//	stages:
//	  compress:
//	    kind: compress
//	    options:
//	      min_size: 2048
//	      encodings: [zstd, gzip]
//	      types: [application/x-custom]
func Register(reg *config.Registry) {
	reg.Register("compress", config.StageKind(doc, Priority, New))
}

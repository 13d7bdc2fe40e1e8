package main

import (
	"io"
	"time"

	"github.com/troupe-go/troupe/config"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// newLogger returns the server's logger, writing to w: JSON lines sampled
// like zap.NewProduction's, or zap's development console format. Stack
// traces are left to the log lines that carry their own (a panicking
// stage's).
func newLogger(cfg config.Log, w io.Writer) *zap.Logger {
	ws := zapcore.Lock(zapcore.AddSync(w))
	var core zapcore.Core
	if cfg.Format == "console" {
		enc := zap.NewDevelopmentEncoderConfig()
		enc.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		core = zapcore.NewCore(zapcore.NewConsoleEncoder(enc), ws, cfg.Level)
	} else {
		core = zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), ws, cfg.Level)
		core = zapcore.NewSamplerWithOptions(core, time.Second, 100, 100)
	}
	return zap.New(core, zap.AddCaller(), zap.ErrorOutput(ws))
}

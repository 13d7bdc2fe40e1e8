package main

import (
	"errors"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/httpin"
	"go.uber.org/zap"
)

// reloadTLS re-reads the listener's certificate and key (server.tls) on
// SIGHUP and logs the outcome: the new certificate's serial and expiry, or
// why the old one stays. It returns the reload's error.
func reloadTLS(app *troupe.App, log *zap.Logger) error {
	err := app.ReloadTLS()
	switch {
	case errors.Is(err, httpin.ErrNoTLS):
		log.Info("SIGHUP: no TLS certificate to reload (server.tls is not set)")
	case err != nil:
		log.Error("SIGHUP: TLS certificate not reloaded; the old one is still served", zap.Error(err))
	default:
		fields := []zap.Field{}
		if c := app.Certificate(); c != nil && c.Leaf != nil {
			fields = append(fields, zap.String("serial", c.Leaf.SerialNumber.String()), zap.Time("not_after", c.Leaf.NotAfter))
		}
		log.Info("SIGHUP: TLS certificate reloaded", fields...)
	}
	return err
}

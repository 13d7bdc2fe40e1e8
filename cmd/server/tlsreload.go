package main

import (
	"errors"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/httpin"
	"go.uber.org/zap"
)

// reloadTLS re-reads the listener's certificate and key (server.tls),
// after each reload of the configuration that applied, and logs the
// outcome: the new certificate's serial and expiry, or why the old one
// stays. Without TLS it does nothing.
func reloadTLS(app *troupe.App, log *zap.Logger) error {
	err := app.ReloadTLS()
	switch {
	case errors.Is(err, httpin.ErrNoTLS):
		return nil
	case err != nil:
		log.Error("TLS certificate not reloaded; the old one is still served", zap.Error(err))
		return err
	}
	fields := []zap.Field{}
	if c := app.Certificate(); c != nil && c.Leaf != nil {
		fields = append(fields, zap.String("serial", c.Leaf.SerialNumber.String()), zap.Time("not_after", c.Leaf.NotAfter))
	}
	log.Info("TLS certificate reloaded", fields...)
	return nil
}

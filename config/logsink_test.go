package config_test

import (
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// A kind's Options.Logger writes to the app's logger once the config is
// built, and to nowhere before.
func TestOptionsLoggerFollowsTheApp(t *testing.T) {
	var stageLog *zap.Logger
	reg := testRegistry()
	reg.Register("logs", config.Kind{New: func(name string, opts config.Options) (*actors.Spec, error) {
		stageLog = opts.Logger().With(zap.String("stage", name))
		return troupe.Stage(name, actors.Global, actors.StageFunc(func(*actors.Exchange) error { return nil })), nil
	}})
	cfg, err := config.Parse("l.yaml", []byte("stages: {l: {kind: logs}}\nroutes: [{method: GET, path: /, handler: ok, stages: [l]}]\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	stageLog.Info("before build") // discarded: no app yet
	core, logs := observer.New(zap.InfoLevel)
	cfg.Build(troupe.WithLogger(zap.New(core)))
	stageLog.Info("after build")
	entries := logs.All()
	if len(entries) != 1 || entries[0].Message != "after build" || entries[0].ContextMap()["stage"] != "l" {
		t.Errorf("app log = %+v, want one entry \"after build\" with stage=l", entries)
	}
}

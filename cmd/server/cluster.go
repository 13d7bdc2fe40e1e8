package main

import (
	"errors"
	"fmt"

	"github.com/troupe-go/troupe/cluster"
	"github.com/troupe-go/troupe/config"
)

// setClusterPorts applies -cluster-port and -cluster-health-port (zero:
// not given) to the configuration's cluster member.
func setClusterPorts(cfg *config.Config, port, healthPort int) error {
	if port == 0 && healthPort == 0 {
		return nil
	}
	v, ok := cfg.Block(cluster.BlockKey)
	if !ok {
		return errors.New("-cluster-port, -cluster-health-port: the configuration has no cluster section")
	}
	if err := v.(*cluster.Node).SetPorts(port, healthPort); err != nil {
		return fmt.Errorf("-cluster-port, -cluster-health-port: %w", err)
	}
	return nil
}

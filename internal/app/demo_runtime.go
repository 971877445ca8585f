//go:build !release

package app

import (
	"fmt"

	"github.com/trustjob/trustjob/internal/config"
)

// demoRuntime points the demo's run at the emulated runtime: Code Engine
// exchanges the same token file; a VPC instance asks the emulator's metadata
// service (cloudsim.Services) for the runner profile by ID.
func demoRuntime(env map[string]string, compute, profileID string) error {
	switch compute {
	case "", config.ComputeKubernetes:
		return nil
	case config.ComputeCodeEngine:
		env[config.EnvComputeResource] = compute
	case config.ComputeVPC:
		env[config.EnvComputeResource] = compute
		env[config.EnvProfileID] = profileID
		env[config.EnvProfileName] = ""
	default:
		return fmt.Errorf("--compute-resource %q: use kubernetes, code-engine or vpc", compute)
	}
	return nil
}

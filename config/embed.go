// Package config holds trustjob's example configurations. demo.yaml is compiled
// into the binary so `trustjob demo` works from any directory, including a
// container image that carries nothing but the binary.
package config

import _ "embed"

// Demo is config/demo.yaml, the configuration `trustjob demo` runs.
//
//go:embed demo.yaml
var Demo []byte

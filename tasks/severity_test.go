package tasks

import (
	"testing"

	"github.com/trustjob/trustjob/internal/config"
)

// failOn's severities (validated in config, which cannot import this package)
// are the findings' severities, in order.
func TestConfigSeveritiesMatch(t *testing.T) {
	if len(config.Severities) != int(numSeverities) {
		t.Fatalf("config.Severities %v, want %d names", config.Severities, numSeverities)
	}
	for i, name := range config.Severities {
		if s, ok := ParseSeverity(name); !ok || s != Severity(i) {
			t.Errorf("config.Severities[%d] = %q, tasks says %v", i, name, s)
		}
	}
}

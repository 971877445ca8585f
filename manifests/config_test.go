package manifests_test

import (
	"testing"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/tasks/builtin"
)

// loadConfig validates a configuration embedded in the manifests with the
// product's loader and the built-in task types, in an empty environment (the
// pod sets no auth variables).
func loadConfig(t *testing.T, name, data string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(name, []byte(data), builtin.Registry(), nil)
	if err != nil {
		t.Errorf("%s: the configuration does not load:\n%v", name, err)
		return nil
	}
	return cfg
}

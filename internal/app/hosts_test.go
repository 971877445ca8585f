package app

import (
	"strings"
	"testing"
)

// `trustjob tasks` lists the host of every service per endpoints setting
// (issue 13, F1).
func TestTasksCommandListsHosts(t *testing.T) {
	h := newHarness(t)
	if code := h.run("tasks"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	out := h.stdout.String()
	for _, want := range []string{
		"resource-controller, resource-manager: public resource-controller.cloud.ibm.com; private private.<privateRegion>.resource-controller.cloud.ibm.com; vpe private.resource-controller.cloud.ibm.com",
		"user-management: public user-management.cloud.ibm.com; private private.<privateRegion>.user-management.cloud.ibm.com; vpe private.user-management.cloud.ibm.com",
		"VPE gateway",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tasks output lacks %q:\n%s", want, out)
		}
	}
}

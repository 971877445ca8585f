package doctor_test

import (
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/exitcode"
)

// Each task's probe makes the reads its run needs permission for, so a
// missing grant fails the doctor instead of the nightly run (issue 13, F16).
// Before, the inventory probe listed only resource groups and the
// inactive-identities probe only service IDs: every row but the first two
// passed the doctor.
func TestDoctorProbesEachPermission(t *testing.T) {
	tests := []struct {
		revoke, task, want string
	}{
		{cloudsim.ActionGroupRetrieve, "task inv", "list resource groups"},
		{cloudsim.ActionInstanceRetrieve, "task inv", "list resource instances"},
		{cloudsim.ActionResourceSearch, "task inv", "search resources"},
		{cloudsim.ActionServiceIDList, "task ids", "list service IDs"},
		{cloudsim.ActionAPIKeyList, "task ids", "list API keys"},
		{cloudsim.ActionUserRetrieve, "task ids", "list users"},
		{cloudsim.ActionReportGet, "task ids", "activity report"},
	}
	for _, tt := range tests {
		t.Run(tt.revoke, func(t *testing.T) {
			w := start(t)
			wd := w.l.Sim.World()
			wd.Revoke(wd.IAM.RunnerIAMID(), tt.revoke)
			rep := w.run(t)
			c := find(rep, tt.task)
			if rep.ExitCode != exitcode.NoPerm || c == nil || !strings.Contains(c.Detail, tt.want) || !strings.Contains(c.Detail, "403") {
				t.Errorf("without %s: exit %d, check %+v; want %s failing with 403 on %q:\n%s", tt.revoke, rep.ExitCode, c, tt.task, tt.want, dump(rep))
			}
		})
	}
}

package runner

import (
	"testing"

	"github.com/trustjob/trustjob/internal/exitcode"
)

func TestExitCode(t *testing.T) {
	ok := TaskResult{Status: Succeeded}
	failed := TaskResult{Status: Failed, Error: "boom"}
	denied := TaskResult{Status: Failed, Error: "403", PermissionDenied: true}
	incomplete := TaskResult{Status: Incomplete, Error: "cancelled"}
	notDue := TaskResult{Status: Skipped, Reason: "not due"}
	cancelled := TaskResult{Status: Skipped, Error: "not started: SIGTERM"}
	exceeded := TaskResult{Status: Succeeded, FailOnExceeded: true}
	exceededAndFailed := TaskResult{Status: Failed, Error: "boom", FailOnExceeded: true}

	tests := []struct {
		name    string
		results []TaskResult
		want    int
	}{
		{"nothing ran", nil, exitcode.OK},
		{"all succeeded", []TaskResult{ok, ok}, exitcode.OK},
		{"not due is not a failure", []TaskResult{ok, notDue}, exitcode.OK},
		{"one failed", []TaskResult{ok, failed}, exitcode.TaskFailed},
		{"permission only", []TaskResult{ok, denied}, exitcode.NoPerm},
		{"all permission", []TaskResult{denied, denied}, exitcode.NoPerm},
		{"permission and other failure", []TaskResult{denied, failed}, exitcode.TaskFailed},
		{"incomplete", []TaskResult{ok, incomplete}, exitcode.TaskFailed},
		{"cancelled before start", []TaskResult{ok, cancelled}, exitcode.TaskFailed},
		{"failOn exceeded", []TaskResult{ok, exceeded}, exitcode.Findings},
		{"failure beats failOn", []TaskResult{exceeded, failed}, exitcode.TaskFailed},
		{"failed task over failOn", []TaskResult{exceededAndFailed}, exitcode.TaskFailed},
		{"permission beats failOn", []TaskResult{exceeded, denied}, exitcode.NoPerm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.results); got != tt.want {
				t.Errorf("ExitCode = %d, want %d", got, tt.want)
			}
		})
	}
}

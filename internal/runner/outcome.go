package runner

import (
	"github.com/trustjob/trustjob/internal/exitcode"
)

// Status is how a task's run ended.
type Status string

// Task statuses, as written in run-summary.json and the logs.
const (
	// Succeeded: the task ran to the end; its report is complete.
	Succeeded Status = "succeeded"
	// Failed: the task returned an error or timed out; what it wrote is kept,
	// marked incomplete.
	Failed Status = "failed"
	// Incomplete: the run was cancelled (SIGTERM, the run deadline) while the
	// task ran; its partial report is kept, marked incomplete.
	Incomplete Status = "incomplete"
	// Skipped: the task did not start, because it was not due (not a failure)
	// or because the run was cancelled first (a failure).
	Skipped Status = "skipped"
)

// ExitCode maps the task results of a run to the process exit code, in this
// order:
//
//   - 77 (NoPerm) when at least one task failed and every failure is a
//     permission problem: retrying cannot help, an IAM policy must change;
//   - 1 (TaskFailed) when any task failed, was cut short or did not start
//     because the run was cancelled;
//   - 3 (Findings) when every task succeeded but one's findings exceeded its
//     failOn threshold;
//   - 0 (OK) otherwise, including when no task was due.
func ExitCode(results []TaskResult) int {
	failures, denied, exceeded := 0, 0, false
	for _, r := range results {
		if r.FailOnExceeded {
			exceeded = true
		}
		if !r.failure() {
			continue
		}
		failures++
		if r.PermissionDenied {
			denied++
		}
	}
	switch {
	case failures > 0 && denied == failures:
		return exitcode.NoPerm
	case failures > 0:
		return exitcode.TaskFailed
	case exceeded:
		return exitcode.Findings
	}
	return exitcode.OK
}

// failure reports whether r counts against the run: a task that failed, was
// cut short, or was skipped because the run was cancelled (it has an error);
// a task skipped as not due does not.
func (r TaskResult) failure() bool {
	switch r.Status {
	case Failed, Incomplete:
		return true
	case Skipped:
		return r.Error != ""
	}
	return false
}

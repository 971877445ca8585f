package runner

import (
	"errors"
	"net/http"

	"github.com/IBM/go-sdk-core/v5/core"

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

// PermissionDenied can be implemented by task errors that know they mean
// "the trusted profile lacks an IAM permission" without an HTTP status.
type PermissionDenied interface {
	PermissionDenied() bool
}

// IsPermission reports whether err comes from a 401 or 403 answer of an IBM
// Cloud API: an IAM policy is missing or the profile's token was refused. The
// SDK chains its problems (SDKProblem -> HTTPProblem) so errors.As finds the
// HTTP status however the task wrapped the error.
func IsPermission(err error) bool {
	if err == nil {
		return false
	}
	var pd PermissionDenied
	if errors.As(err, &pd) && pd.PermissionDenied() {
		return true
	}
	var auth *core.AuthenticationError
	if errors.As(err, &auth) && auth.HTTPProblem != nil && deniedStatus(auth.HTTPProblem.Response) {
		return true
	}
	var hp *core.HTTPProblem
	return errors.As(err, &hp) && deniedStatus(hp.Response)
}

func deniedStatus(r *core.DetailedResponse) bool {
	if r == nil {
		return false
	}
	s := r.GetStatusCode()
	return s == http.StatusUnauthorized || s == http.StatusForbidden
}

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

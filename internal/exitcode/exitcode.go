// Package exitcode is the one table of trustjob's process exit codes.
//
// The codes are part of the product's contract with Kubernetes: the CronJob's
// podFailurePolicy fails a Job at once on NoPerm and Config (a retry cannot help)
// and lets backoffLimit retry the others. Manifests are checked against these
// constants by a test, so change them only together.
package exitcode

const (
	// OK: every task that ran succeeded.
	OK = 0
	// TaskFailed: one or more tasks failed; the others ran and wrote their reports.
	TaskFailed = 1
	// Usage: the command line was wrong (unknown flag, subcommand or argument).
	Usage = 2
	// Findings: a task's findings exceeded its configured failOn threshold.
	Findings = 3
	// TempFail: a temporary failure before any task ran (IAM unreachable after
	// retries, deadline reached during sign-in). A later retry may succeed.
	TempFail = 75
	// NoPerm: sign-in or permission setup is wrong (token file missing or invalid,
	// the trusted profile does not trust this workload, 401/403 at sign-in).
	// Retrying without a change to the setup cannot help.
	NoPerm = 77
	// Config: the configuration is invalid. Nothing was sent over the network.
	Config = 78
)

// NotRetryable lists the codes for which the Job must fail at once
// (podFailurePolicy action FailJob).
var NotRetryable = []int{NoPerm, Config}

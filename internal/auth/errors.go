package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// IAM error codes trustjob explains.
const (
	// CodeNotEligible: the profile does not trust this workload (no link or
	// rule matches), or the profile does not exist.
	CodeNotEligible = "BXNIM0398E"
)

// mountHint says how the projected token is mounted; every token-file problem
// ends with it.
const mountHint = "mount a projected service-account token: a `projected` volume with source " +
	"serviceAccountToken {audience: iam, expirationSeconds: 3600, path: sa-token}, mounted read-only at " +
	"/var/run/secrets/tokens (not through subPath, which stops the kubelet's rotation); " +
	"or point auth.crTokenFile / TRUSTJOB_CR_TOKEN_FILE at the file"

// PreflightError is a token-file problem found before any network call.
type PreflightError struct {
	Path    string
	Problem string // "does not exist", "is empty", ...
}

func (e *PreflightError) Error() string {
	return fmt.Sprintf("service-account token %s %s", e.Path, e.Problem)
}

// Hint says how to fix it.
func (e *PreflightError) Hint() string { return mountHint }

// SignInError is a failed token exchange.
type SignInError struct {
	Status     int    // IAM's HTTP status; 0 without an answer
	Code       string // IAM's errorCode, e.g. BXNIM0398E
	IAMMessage string
	Message    string
	// Workload describes the token's identity (issuer, namespace, service
	// account), for explaining a refusal.
	Workload  string
	Temporary bool // a retry later may succeed (exit 75)

	hint string // overrides the hint derived from the fields above
}

func (e *SignInError) Error() string {
	iam := strings.TrimSpace(e.Code + " " + e.IAMMessage)
	if iam == "" {
		return e.Message
	}
	return e.Message + ": " + iam
}

// SetHint replaces the hint derived from the fields (for a refusal trustjob
// itself decides, such as a profile in the wrong account).
func (e *SignInError) SetHint(h string) { e.hint = h }

// Hint says what to do about it.
func (e *SignInError) Hint() string {
	who := ""
	if e.Workload != "" {
		who = " (this pod: " + e.Workload + ")"
	}
	switch {
	case e.hint != "":
		return e.hint
	case e.Temporary:
		return "IAM is unavailable or slow; the CronJob's next run (or the Job's retry) will try again"
	case e.Code == CodeNotEligible:
		return "this workload is not trusted by that profile" + who + ": a link or claim rule of the " +
			"trusted profile must match this cluster, namespace and service account, and the profile must " +
			"exist in the cluster's account (README, \"Set up IBM Cloud\"; `trustjob doctor` checks each step)"
	case e.Status == 400:
		return "IAM rejected the service-account token" + who + ": it must be a projected token with " +
			"audience iam and a lifetime of at most one hour; " + mountHint
	case e.Status == 401 || e.Status == 403:
		return "IAM refused the sign-in" + who + "; check the trusted profile's links and rules (`trustjob doctor`)"
	case e.Status == 0:
		return mountHint
	}
	return "check the trusted profile and the token (`trustjob doctor`)"
}

// ExitCode maps a preflight or sign-in error to trustjob's exit code and a
// hint for the user: 77 when the setup is wrong (a retry cannot help), 75 when
// IAM was unavailable, 78 when the configuration sends the token where it must
// not go.
func ExitCode(err error) (int, string) {
	var pe *PreflightError
	var se *SignInError
	switch {
	case err == nil:
		return exitcode.OK, ""
	case errors.As(err, &pe):
		return exitcode.NoPerm, pe.Hint()
	case errors.As(err, &se):
		if se.Temporary {
			return exitcode.TempFail, se.Hint()
		}
		return exitcode.NoPerm, se.Hint()
	case errors.Is(err, ibmcloud.ErrHostNotAllowed):
		return exitcode.Config, "list the host under allowedHosts in the configuration, or remove the endpoint override"
	case errors.Is(err, ibmcloud.ErrInsecureEndpoint):
		return exitcode.Config, "use an https URL: the access token never travels over plain http except to a loopback host"
	case errors.Is(err, ibmcloud.ErrOriginChanged):
		return exitcode.Config, "each endpoint is pinned to its scheme, host and port, and redirects that change any of them are refused; " +
			"point the endpoint at the final URL, or list a host of yours under allowedHosts"
	case errors.Is(err, context.Canceled):
		return exitcode.TempFail, "the process was asked to stop during sign-in"
	case errors.Is(err, context.DeadlineExceeded):
		return exitcode.TempFail, "the run's deadline ended the sign-in"
	}
	return exitcode.NoPerm, "check the trusted profile and the token (`trustjob doctor`)"
}

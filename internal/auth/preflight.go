package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/safefile"
)

// maxTokenSize bounds what is read of the token file (projected tokens are
// about 1 KiB).
const maxTokenSize = 64 << 10

// Preflight checks the token file before any network call: it exists, is
// readable, is not empty, looks like a JWT and has not expired. Each problem
// has its own message; the signature is IAM's business.
func Preflight(s Settings, now time.Time) error {
	if s.ComputeResource == ComputeVPC {
		return preflightVPC(s) // no token file: the metadata service issues it
	}
	if s.CRTokenFile == "" {
		return &PreflightError{Path: "(none)", Problem: "is not configured"}
	}
	tok, err := readToken(s.CRTokenFile)
	if err != nil {
		return err
	}
	claims, err := claimsOf(tok)
	if err != nil {
		return &PreflightError{Path: s.CRTokenFile, Problem: "is not a JWT (" + err.Error() + ")"}
	}
	if exp, ok := claims["exp"].(float64); ok && now.After(time.Unix(int64(exp), 0)) {
		return &PreflightError{Path: s.CRTokenFile, Problem: fmt.Sprintf(
			"expired at %s; the kubelet refreshes a projected token, a copied one goes stale",
			time.Unix(int64(exp), 0).UTC().Format(time.RFC3339))}
	}
	return nil
}

// ReadTokenFile reads the projected token the way run does (doctor uses it
// too): a regular file (a FIFO or /dev/zero is refused without blocking), at
// most 64 KiB, trimmed. Errors are *PreflightError.
func ReadTokenFile(path string) ([]byte, error) { return readToken(path) }

func readToken(path string) ([]byte, error) {
	b, err := safefile.ReadFile(path, maxTokenSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &PreflightError{Path: path, Problem: "does not exist"}
	case errors.Is(err, fs.ErrPermission):
		return nil, &PreflightError{Path: path, Problem: "is not readable by this user (uid " + fmt.Sprint(os.Getuid()) + ")"}
	case errors.Is(err, safefile.ErrNotRegular):
		return nil, &PreflightError{Path: path, Problem: "is not a regular file: " + errors.Unwrap(err).Error()}
	case errors.Is(err, safefile.ErrTooLarge):
		return nil, &PreflightError{Path: path, Problem: fmt.Sprintf("is larger than %d KiB: not a projected token", maxTokenSize>>10)}
	case err != nil:
		return nil, &PreflightError{Path: path, Problem: "cannot be read: " + err.Error()}
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, &PreflightError{Path: path, Problem: "is empty"}
	}
	return b, nil
}

// claimsOf decodes a JWT's claims without verifying it.
func claimsOf(tok []byte) (map[string]any, error) {
	parts := strings.Split(string(tok), ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%d parts, want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("claims are not base64url")
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil || claims == nil {
		return nil, errors.New("claims are not a JSON object")
	}
	return claims, nil
}

// describeWorkload names the identity a token file carries, for explaining an
// IAM refusal ("" when it cannot be read). It never includes the token.
func describeWorkload(path string) string {
	tok, err := readToken(path)
	if err != nil {
		return ""
	}
	c, err := claimsOf(tok)
	if err != nil {
		return ""
	}
	var parts []string
	if k, ok := c["kubernetes.io"].(map[string]any); ok {
		if ns, ok := k["namespace"].(string); ok {
			parts = append(parts, "namespace "+ns)
		}
		if sa, ok := k["serviceaccount"].(map[string]any); ok {
			if n, ok := sa["name"].(string); ok {
				parts = append(parts, "service account "+n)
			}
		}
	} else if sub, ok := c["sub"].(string); ok {
		parts = append(parts, "subject "+sub)
	}
	if iss, ok := c["iss"].(string); ok {
		parts = append(parts, "cluster issuer "+iss)
	}
	return strings.Join(parts, ", ")
}

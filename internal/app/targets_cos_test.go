//go:build !release

package app

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	simcos "github.com/trustjob/trustjob/internal/cloudsim/cos"
	"github.com/trustjob/trustjob/internal/exitcode"
)

// TestRunTargetsDeliverToCOS: with targets, each account's reports land in
// the bucket under trustjob/account=<id>/, uploaded as auth's profile (the
// bucket's account); the targets' own profiles are never granted the bucket.
func TestRunTargetsDeliverToCOS(t *testing.T) {
	l := startEnterprise(t, 3)
	cos := simcos.New(func(tok string) (simcos.Caller, error) {
		c, err := l.VerifyToken(tok)
		if err != nil {
			return simcos.Caller{}, err
		}
		return simcos.Caller{IAMID: c.IAMID, AccountID: c.AccountID}, nil
	})
	cos.CreateBucket(SimBucket, l.Hub.AccountID)
	cos.Grant(SimBucket, l.Hub.IAM.RunnerIAMID(), simcos.Writer)
	srv := httptest.NewServer(cos)
	defer srv.Close()
	env := map[string]string{EnvCOSEndpoint: srv.URL}
	for k, v := range l.Env {
		env[k] = v
	}
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: trustjob/v1
kind: Config
auth: {profileID: %s, crTokenFile: %q, iamURL: %s}
allowedHosts: [127.0.0.1]
output:
  dir: %q
  cos: {bucket: %s, endpoint: us-south}
tasks:
  - {name: inventory, type: inventory}
targets:
`, l.ProfileID, l.TokenFile, l.URL(), t.TempDir(), SimBucket)
	for _, c := range l.Children {
		fmt.Fprintf(&b, "  - {account: %s, profileID: %s}\n", c.ID, c.ProfileID)
	}
	var stdout, stderr bytes.Buffer
	code := realApp(env, &stdout, &stderr).main(t.Context(), []string{"run", "--config", writeConfig(t, b.String()), "--log-format", "json"})
	if code != exitcode.OK {
		t.Fatalf("exit %d:\n%s", code, tail(stderr.String()))
	}
	keys := strings.Join(cos.Keys(SimBucket), "\n")
	for _, c := range l.Children {
		want := "trustjob/account=" + c.ID + "/inventory/latest.jsonl"
		if !strings.Contains(keys, want) {
			t.Errorf("bucket lacks %s; keys:\n%s", want, keys)
		}
	}
	if strings.Contains(keys, "trustjob/inventory/") {
		t.Errorf("an object outside account=<id>/:\n%s", keys)
	}
}

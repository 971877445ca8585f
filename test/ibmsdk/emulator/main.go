// Command emulator serves trustjob's IBM Cloud emulator for IBM's own SDK
// integration tests (test/ibmsdk/run.sh): it starts the emulator on a loopback
// port, signs in as the runner's trusted profile through go-sdk-core's
// ContainerAuthenticator (the cr-token exchange trustjob makes), and writes one
// IBM credentials file per service, as the tests read them
// (IBM_CREDENTIALS_FILE format: <SERVICE>_URL, <SERVICE>_AUTH_TYPE=bearerToken,
// <SERVICE>_BEARER_TOKEN and the ids each test file asks for). It then serves
// until it is killed, and writes the emulator's request log to DIR/requests.json
// on SIGTERM or SIGINT.
//
//	go run ./test/ibmsdk/emulator DIR
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	"github.com/IBM/platform-services-go-sdk/resourcecontrollerv2"

	"github.com/trustjob/trustjob/internal/cloudsim"
)

var versionSuffix = regexp.MustCompile(`_v[0-9]+$`)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: emulator DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "emulator:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	l, err := cloudsim.StartLocal(cloudsim.DefaultSpec(), cloudsim.Options{ReportDelay: 2 * time.Second}, filepath.Join(dir, "token"))
	if err != nil {
		return err
	}
	defer l.Close()
	a, err := core.NewContainerAuthenticatorBuilder().SetIAMProfileName(l.ProfileName).
		SetCRTokenFilename(l.TokenFile).SetURL(l.Env["TRUSTJOB_IAM_URL"]).Build()
	if err != nil {
		return err
	}
	token, err := a.GetToken()
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	base := l.Sim.URL()

	w := l.Sim.World()
	w.RLock()
	account, runner := w.AccountID, w.IAM.RunnerIAMID()
	group := w.Resources.Groups[0].ID
	var userIAMID string
	if len(w.Identities.Users) > 0 {
		userIAMID = w.Identities.Users[0].IAMID
	}
	w.RUnlock()

	rc, err := resourcecontrollerv2.NewResourceControllerV2(&resourcecontrollerv2.ResourceControllerV2Options{URL: base, Authenticator: a})
	if err != nil {
		return err
	}
	list, _, err := rc.ListResourceInstancesWithContext(context.Background(), rc.NewListResourceInstancesOptions().SetLimit(1))
	if err != nil || len(list.Resources) == 0 {
		return fmt.Errorf("list one instance: %v", err)
	}
	crn := *list.Resources[0].CRN

	// Ids the tests need but the emulator has no notion of (enterprise
	// accounts, Cloud Foundry orgs, COS buckets) get placeholders: the tests
	// that use them are excluded (test/ibmsdk/excluded.txt).
	const none = "not-emulated"
	files := map[string]map[string]string{
		"iam_identity.env": {"ACCOUNT_ID": account, "IAM_ID": runner, "APIKEY": none,
			"ENTERPRISE_ACCOUNT_ID": none, "ENTERPRISE_SUBACCOUNT_ID": none},
		"resource_controller.env": {"ACCOUNT_ID": account, "RESOURCE_GROUP": group, "PLAN_ID": none,
			"RECLAMATION_PLAN_ID": none, "ORGANIZATION_GUID": none, "SPACE_GUID": none, "APPLICATION_GUID": none},
		"resource_manager.env":      {"USER_ACCOUNT_ID": account, "QUOTA_ID": none},
		"global_search.env":         {},
		"global_tagging.env":        {"RESOURCE_CRN": crn},
		"iam_access_groups_v2.env":  {"TEST_ACCOUNT_ID": account, "TEST_ACCOUNT_GROUP_ID": none, "TEST_POLICY_TEMPLATE_ID": none},
		"iam_policy_management.env": {"TEST_ACCOUNT_ID": account, "TEST_TARGET_ACCOUNT_ID": none},
		"user_management.env": {"ACCOUNT_ID": account, "USER_ID": userIAMID, "MEMBER_EMAIL": none,
			"ACCESS_GROUP_ID": none, "VIEWER_ROLE_ID": none},
		"account_management_v4.env": {"ACCOUNT_ID": account},
		"usage_reports.env": {"ACCOUNT_ID": account, "RESOURCE_GROUP_ID": group, "ORG_ID": none,
			"BILLING_MONTH": l.Sim.Now().UTC().Format("2006-01"), "COS_BUCKET": none, "COS_LOCATION": none, "DATE_FROM": none, "DATE_TO": none},
	}
	// A second client some tests build (an "alternate" or "admin" caller)
	// signs in as the same profile.
	alt := map[string]string{"resource_manager.env": "ALT_RESOURCE_MANAGER", "user_management.env": "USER_MANAGEMENT_ADMIN"}
	for name, props := range files {
		// iam_access_groups_v2.env holds IAM_ACCESS_GROUPS_* (the SDK's
		// service name has no version).
		prefix := strings.ToUpper(versionSuffix.ReplaceAllString(strings.TrimSuffix(name, ".env"), ""))
		var b strings.Builder
		for _, p := range []string{prefix, alt[name]} {
			if p != "" {
				fmt.Fprintf(&b, "%s_URL=%s\n%s_AUTH_TYPE=bearerToken\n%s_BEARER_TOKEN=%s\n", p, base, p, p, token)
			}
		}
		for k, v := range props {
			fmt.Fprintf(&b, "%s_%s=%s\n", prefix, k, v)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o600); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "ready"), []byte(base+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Println("emulator at", base, "; credentials files in", dir)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	b, err := json.MarshalIndent(l.Sim.Log().Entries(), "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "requests.json"), b, 0o644)
}

package cloudsim

import (
	"io"
	"net/http"
	"testing"

	"github.com/IBM/go-sdk-core/v5/core"

	simcore "github.com/trustjob/trustjob/internal/cloudsim/core"
)

// TestMountAService mounts a service the way the package comment describes,
// here an existing http.Handler through simcore.Adapt, and checks that it runs
// behind the whole chain: authentication, the IAM action, faults, the log.
func TestMountAService(t *testing.T) {
	l, err := StartLocal(DefaultSpec(), Options{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	const service, action = "things", "things.thing.read"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/things", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, simcore.CallerFrom(r).IAMID)
	})
	l.Sim.Handle(simcore.Route{Pattern: "GET /v1/things", Service: service, Action: action, Handler: simcore.Adapt(mux)})

	auth, err := core.NewContainerAuthenticatorBuilder().SetIAMProfileName(l.ProfileName).
		SetCRTokenFilename(l.TokenFile).SetURL(l.Env["TRUSTJOB_IAM_URL"]).Build()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.GetToken()
	if err != nil {
		t.Fatal(err)
	}
	get := func(bearer string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, l.Sim.URL()+"/v1/things", nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	w := l.Sim.World()
	if code, body := get(tok); code != 200 || body != w.IAM.RunnerIAMID() {
		t.Errorf("signed in: %d %q, want 200 and the runner's iam_id", code, body)
	}
	if code, _ := get(""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	l.Sim.AddFault(&Fault{Service: service, Nth: 1, Status: http.StatusTooManyRequests})
	if code, _ := get(tok); code != http.StatusTooManyRequests {
		t.Errorf("fault: %d, want 429", code)
	}
	w.SetGrants(w.IAM.RunnerIAMID(), ActionInstanceRetrieve)
	if code, _ := get(tok); code != http.StatusForbidden {
		t.Errorf("without %s: %d, want 403", action, code)
	}
	if n := l.Sim.Log().Count(service); n != 4 {
		t.Errorf("request log counts %d requests to %s, want 4", n, service)
	}
}

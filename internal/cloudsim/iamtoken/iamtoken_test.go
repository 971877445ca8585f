package iamtoken

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim/testenv"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
	"github.com/trustjob/trustjob/internal/cloudsim/identity"

	sdkcore "github.com/IBM/go-sdk-core/v5/core"
	"github.com/golang-jwt/jwt/v5"
)

// newIAMEnv is an emulator with the token service and IAM Identity (whose
// profile endpoints show a token exchange's effects) over the default account
// with seven profiles.
func newIAMEnv(t *testing.T, opts core.Options) *testenv.Env {
	t.Helper()
	spec := account.DefaultSpec()
	spec.Profiles = 7
	return testenv.New(t, spec, opts, Mount, identity.Mount)
}

func TestTokenEndpoint(t *testing.T) {
	e := newIAMEnv(t, core.Options{})
	c1 := e.World.IAM.Clusters[0]
	c2, err := e.World.AddCluster(account.Cluster{Name: "other-cluster"})
	if err != nil {
		t.Fatal(err)
	}
	other := e.World.IAM.Profiles[1]
	// A profile trusted by a rule only: any service account in namespace
	// batch or jobs on the generated cluster.
	ruled := &account.Profile{Name: "rule-trusted", AccountID: e.World.AccountID, CreatedAt: time.Now()}
	e.World.IAM.FillProfile(ruled)
	ruled.Rules = []*account.Rule{e.World.IAM.NewRule(&account.Rule{Name: "batch", Conditions: []account.Condition{
		{Claim: "service_instance", Operator: "EQUALS", Value: `"` + c1.ID + `"`},
		{Claim: "namespace", Operator: "IN", Value: `["batch","jobs"]`},
		{Claim: "pod", Operator: "CONTAINS", Value: `"cron"`},
	}}, time.Now())}
	e.World.IAM.Profiles = append(e.World.IAM.Profiles, ruled)

	stranger := core.GenerateSigningKey(424242, "")
	forged := *c2.Keys[0]
	forged.KID = c1.Keys[0].KID // cluster 2's key pretending to be cluster 1's
	now := time.Now()
	name := e.Runner.Name

	tests := []struct {
		name    string
		method  string
		form    url.Values
		hdr     http.Header
		status  int
		code    string
		details string // substring of errorDetails
	}{
		{name: "valid link by name", form: testenv.CRForm(e.Mint(t, nil), "profile_name", name), status: 200},
		{name: "valid link by id", form: testenv.CRForm(e.Mint(t, nil), "profile_id", e.Runner.ID), status: 200},
		{name: "valid link by crn", form: testenv.CRForm(e.Mint(t, nil), "profile_crn", e.Runner.CRN), status: 200},
		{name: "valid id and name", form: testenv.CRForm(e.Mint(t, nil), "profile_id", e.Runner.ID, "profile_name", name), status: 200},
		{name: "valid without pod", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.Pod = "" }), "profile_name", name), status: 200},
		{name: "valid rule", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.Namespace, o.ServiceAccount, o.Pod = "batch", "anything", "cron-123" }), "profile_name", "rule-trusted"), status: 200},
		{name: "rule with one condition failing", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.Namespace, o.ServiceAccount, o.Pod = "batch", "anything", "web-1" }), "profile_name", "rule-trusted"),
			status: 400, code: codeNotEligible, details: "trustjob-cluster:batch:anything:web-1"},
		// IBM documents "1 hour or less"; go-sdk-core sends the file as it is
		// (issue 13, F14). Options.LenientCRToken allows both (TestLenientCRToken).
		{name: "lifetime 3607s refused", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.Lifetime = 3607 * time.Second }), "profile_name", name),
			status: 400, code: codeBadToken, details: "maximum of 3600 seconds"},
		{name: "iat 30s in the future accepted", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.IssuedAt = now.Add(30 * time.Second) }), "profile_name", name), status: 200},
		{name: "trailing newline refused", form: testenv.CRForm(e.Mint(t, nil)+"\n", "profile_name", name),
			status: 400, code: codeBadToken, details: "trailing whitespace"},
		{name: "wrong namespace", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.Namespace = "default" }), "profile_name", name),
			status: 400, code: codeNotEligible, details: "'trustjob-cluster:default:trustjob:runner-28937-abcde'"},
		{name: "wrong service account", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.ServiceAccount = "default" }), "profile_name", name),
			status: 400, code: codeNotEligible, details: e.Runner.IAMID},
		{name: "wrong cluster known to IAM", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.Cluster = c2.ID }), "profile_name", name),
			status: 400, code: codeNotEligible, details: "other-cluster:trustjob:trustjob:"},
		{name: "other profile does not trust runner", form: testenv.CRForm(e.Mint(t, nil), "profile_id", other.ID),
			status: 400, code: codeNotEligible, details: other.IAMID},
		{name: "other cluster's key with this cluster's kid", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.SignWith = &forged }), "profile_name", name),
			status: 400, code: codeBadToken, details: "signature is invalid"},
		{name: "other cluster's key with this cluster's issuer", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.SignWith = c2.Keys[0]; o.Issuer = c1.Issuer }), "profile_name", name),
			status: 400, code: codeBadToken, details: "not issued by a cluster known to IAM"},
		{name: "unknown key", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.SignWith = stranger }), "profile_name", name),
			status: 400, code: codeBadToken, details: "unknown issuer or signing key"},
		{name: "unknown issuer", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.Issuer = "https://kubernetes.default.svc" }), "profile_name", name),
			status: 400, code: codeBadToken, details: "https://kubernetes.default.svc"},
		{name: "wrong audience", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.Audience = []string{"https://kubernetes.default.svc"} }), "profile_name", name),
			status: 400, code: codeBadToken, details: "does not contain 'iam'"},
		{name: "expired", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.IssuedAt = now.Add(-2 * time.Hour) }), "profile_name", name),
			status: 400, code: codeBadToken, details: "expired at"},
		{name: "lifetime over an hour", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.Lifetime = 2 * time.Hour }), "profile_name", name),
			status: 400, code: codeBadToken, details: "lifetime of 7200 seconds"},
		{name: "issued in the future", form: testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.IssuedAt = now.Add(5 * time.Minute) }), "profile_name", name),
			status: 400, code: codeBadToken, details: "in the future"},
		{name: "not a JWT", form: testenv.CRForm("not-a-token", "profile_name", name), status: 400, code: codeBadToken, details: "not a JWT"},
		{name: "garbage JWT", form: testenv.CRForm("a.b.c", "profile_name", name), status: 400, code: codeBadToken, details: "not a valid JWT"},
		{name: "unknown profile name", form: testenv.CRForm(e.Mint(t, nil), "profile_name", "nobody"), status: 400, code: codeNotEligible, details: "'nobody'"},
		{name: "unknown profile id", form: testenv.CRForm(e.Mint(t, nil), "profile_id", "Profile-00000000-0000-4000-a000-000000000000"),
			status: 400, code: codeNotEligible, details: "iam-Profile-00000000-0000-4000-a000-000000000000"},
		{name: "id and name of different profiles", form: testenv.CRForm(e.Mint(t, nil), "profile_id", e.Runner.ID, "profile_name", other.Name),
			status: 400, code: codeNotEligible, details: "different trusted profiles"},
		{name: "tenant header excludes the account", form: testenv.CRForm(e.Mint(t, nil), "profile_name", name), hdr: http.Header{"Ibm-Cloud-Tenant": {"0123456789abcdef0123456789abcdef"}},
			status: 400, code: codeNotEligible, details: "IBM-Cloud-Tenant"},
		{name: "tenant header includes the account", form: testenv.CRForm(e.Mint(t, nil), "profile_name", name), hdr: http.Header{"Ibm-Cloud-Tenant": {"x, " + e.World.AccountID}}, status: 200},
		{name: "missing grant_type", form: url.Values{"cr_token": {"x"}, "profile_name": {name}}, status: 400, code: codeMissing, details: "'grant_type'"},
		{name: "missing cr_token", form: url.Values{"grant_type": {testenv.GrantCRToken}, "profile_name": {name}}, status: 400, code: codeMissing, details: "'cr_token'"},
		{name: "missing profile", form: testenv.CRForm(e.Mint(t, nil)), status: 400, code: codeMissing, details: "'profile_id'"},
		{name: "apikey grant", form: url.Values{"grant_type": {"urn:ibm:params:oauth:grant-type:apikey"}, "apikey": {"x"}}, status: 400, code: codeBadValue, details: "only the cr-token grant"},
		{name: "malformed profile_crn", form: testenv.CRForm(e.Mint(t, nil), "profile_crn", "crn:v1:bluemix:public:iam-identity::a/x::serviceid:ServiceId-1"),
			status: 400, code: codeBadCRN, details: "not the CRN of a trusted profile"},
		{name: "method not allowed", method: http.MethodGet, status: 405, code: codeMethodNotAllowed, details: "HTTP 405"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			status, body := e.Post(t, method, tt.form, tt.hdr)
			if status != tt.status {
				t.Fatalf("status = %d, want %d; body %v", status, tt.status, body)
			}
			if tt.status == 200 {
				checkTokenResponse(t, body)
				return
			}
			if body["errorCode"] != tt.code {
				t.Errorf("errorCode = %v, want %s (%v)", body["errorCode"], tt.code, body["errorDetails"])
			}
			if msg, _ := body["errorMessage"].(string); msg == "" {
				t.Error("no errorMessage")
			}
			if d, _ := body["errorDetails"].(string); !strings.Contains(d, tt.details) {
				t.Errorf("errorDetails = %q, want it to contain %q", d, tt.details)
			}
			ctx, _ := body["context"].(map[string]any)
			if id, _ := ctx["requestId"].(string); id == "" {
				t.Errorf("no context.requestId in %v", body)
			}
		})
	}
}

func checkTokenResponse(t *testing.T, body map[string]any) {
	t.Helper()
	for _, k := range []string{"access_token", "refresh_token", "token_type", "expires_in", "expiration", "scope"} {
		if _, ok := body[k]; !ok {
			t.Errorf("response lacks %s", k)
		}
	}
	if body["token_type"] != "Bearer" || body["refresh_token"] != "not_supported" || body["expires_in"] != 3600.0 {
		t.Errorf("response = %v", body)
	}
	exp, _ := body["expiration"].(float64)
	if d := time.Until(time.Unix(int64(exp), 0)); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("expiration %v is %v away", exp, d)
	}
}

func TestTokenEndpointUnknownProfileDistinct(t *testing.T) {
	e := newIAMEnv(t, core.Options{DistinctProfileNotFound: true})
	status, body := e.Post(t, http.MethodPost, testenv.CRForm(e.Mint(t, nil), "profile_name", "nobody"), nil)
	if status != 400 || body["errorCode"] != codeProfileNotFound || body["errorMessage"] != "Trusted profile not found." {
		t.Fatalf("got %d %v", status, body)
	}
	// A profile that exists but does not trust the workload is still "not eligible".
	status, body = e.Post(t, http.MethodPost, testenv.CRForm(e.Mint(t, nil), "profile_id", e.World.IAM.Profiles[1].ID), nil)
	if status != 400 || body["errorCode"] != codeNotEligible {
		t.Fatalf("got %d %v", status, body)
	}
}

// LenientCRToken restores the emulator's old leniency for sources that
// disagree: a trimmed token file and the kube-apiserver's 3607 s; and the
// sub_type claim is configurable (issue 13, F14).
func TestLenientCRToken(t *testing.T) {
	e := newIAMEnv(t, core.Options{LenientCRToken: true, AccessTokenSubType: "Profile"})
	for _, tok := range []string{
		e.Mint(t, nil) + "\n",
		e.Mint(t, func(o *account.MintOptions) { o.Lifetime = 3607 * time.Second }),
	} {
		status, body := e.Post(t, http.MethodPost, testenv.CRForm(tok, "profile_name", e.Runner.Name), nil)
		if status != 200 {
			t.Fatalf("lenient: %d %v", status, body)
		}
		if p := testenv.JWTPayload(t, body["access_token"].(string)); p["sub_type"] != "Profile" {
			t.Errorf("sub_type %v", p["sub_type"])
		}
	}
	status, body := e.Post(t, http.MethodPost, testenv.CRForm(e.Mint(t, func(o *account.MintOptions) { o.Lifetime = 3608 * time.Second }), "profile_name", e.Runner.Name), nil)
	if status != 400 {
		t.Errorf("3608 s accepted even leniently: %d %v", status, body)
	}
}

func TestAccessTokenClaims(t *testing.T) {
	e := newIAMEnv(t, core.Options{TokenTTL: 20 * time.Minute})
	status, body := e.Post(t, http.MethodPost, testenv.CRForm(e.Mint(t, nil), "profile_name", e.Runner.Name), nil)
	if status != 200 {
		t.Fatalf("status %d: %v", status, body)
	}
	if body["expires_in"] != 1200.0 {
		t.Errorf("expires_in = %v, want TokenTTL", body["expires_in"])
	}
	tok := body["access_token"].(string)
	c := e.World.IAM.Clusters[0]
	p := testenv.JWTPayload(t, tok)
	want := map[string]any{
		"iam_id": e.Runner.IAMID, "id": e.Runner.IAMID, "sub": e.Runner.ID, "identifier": e.Runner.ID,
		"sub_type": "ComputeResource", "name": e.Runner.Name, "grant_type": testenv.GrantCRToken, "scope": "ibm openid",
		"client_id": "default", "realmid": "iam", "iss": e.Srv.URL + "/identity",
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("claim %s = %v, want %v", k, p[k], v)
		}
	}
	authn, _ := p["authn"].(map[string]any)
	if authn["sub"] != c.CRN || authn["iam_id"] != "crn-"+c.CRN || authn["name"] != "trustjob/trustjob" {
		t.Errorf("authn = %v", authn)
	}
	acct, _ := p["account"].(map[string]any)
	if acct["bss"] != e.World.AccountID || acct["valid"] != true || acct["boundary"] != "global" {
		t.Errorf("account = %v", acct)
	}
	if p["exp"].(float64)-p["iat"].(float64) != 1200 || p["exp"] != body["expiration"] {
		t.Errorf("iat %v exp %v expiration %v", p["iat"], p["exp"], body["expiration"])
	}

	// The signature checks out against the published JWKS.
	resp, err := http.Get(e.Srv.URL + "/identity/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	keys, err := core.ParseJWKS(raw)
	if err != nil || len(keys) != 1 {
		t.Fatalf("jwks: %v %v", keys, err)
	}
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return keys[0].Public, nil }, jwt.WithValidMethods([]string{"RS256"}))
	if err != nil || parsed.Header["kid"] != keys[0].KID {
		t.Fatalf("verify access token with JWKS: %v (kid %v vs %s)", err, parsed.Header["kid"], keys[0].KID)
	}
	if e.Runner.AuthnCount != 901 || time.Since(*e.Runner.LastAuthn) > time.Minute {
		t.Errorf("activity not recorded: %d %v", e.Runner.AuthnCount, e.Runner.LastAuthn)
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	e := newIAMEnv(t, core.Options{})
	resp, err := http.Get(e.Srv.URL + "/identity/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cfg map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	base := e.Srv.URL + "/identity"
	for k, v := range map[string]string{"issuer": base, "token_endpoint": base + "/token", "jwks_uri": base + "/keys",
		"authorization_endpoint": base + "/authorize", "passcode_endpoint": base + "/passcode"} {
		if cfg[k] != v {
			t.Errorf("%s = %v, want %s", k, cfg[k], v)
		}
	}
}

// TestContainerAuthenticatorErrors checks what trustjob sees through the SDK:
// an AuthenticationError whose Result keeps IAM's errorCode and details.
func TestContainerAuthenticatorErrors(t *testing.T) {
	e := newIAMEnv(t, core.Options{})
	dir := t.TempDir()
	pt := account.NewProjectedToken(dir)
	if err := pt.Write(e.Mint(t, func(o *account.MintOptions) { o.Namespace = "default" })); err != nil {
		t.Fatal(err)
	}
	auth, err := sdkcore.NewContainerAuthenticatorBuilder().SetIAMProfileID(e.Runner.ID).
		SetCRTokenFilename(pt.Path()).SetURL(e.Srv.URL).Build()
	if err != nil {
		t.Fatal(err)
	}
	_, err = auth.GetToken()
	var ae *sdkcore.AuthenticationError
	if !errors.As(err, &ae) {
		t.Fatalf("GetToken error %T %v, want *sdkcore.AuthenticationError", err, err)
	}
	if ae.Response.StatusCode != 400 || !strings.Contains(err.Error(), msgNotEligible) {
		t.Errorf("status %d, error %q", ae.Response.StatusCode, err)
	}
	res, _ := ae.Response.Result.(map[string]any)
	if res["errorCode"] != codeNotEligible {
		t.Errorf("Result = %v", ae.Response.Result)
	}

	// The kubelet rotates in a good token; the next exchange reads the file again.
	if err := pt.Write(e.Mint(t, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.GetToken(); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
}

func TestConditionOperators(t *testing.T) {
	tests := []struct {
		op, value, attr string
		want            bool
	}{
		{"EQUALS", `"jobs"`, "jobs", true},
		{"EQUALS", `"jobs"`, "Jobs", false},
		{"EQUALS", `jobs`, "jobs", true}, // bare value, as the CLI accepts
		{"EQUALS", `42`, "42", true},     // numbers compare as strings
		{"EQUALS", `true`, "true", true},
		{"NOT_EQUALS", `"jobs"`, "web", true},
		{"NOT_EQUALS", `"jobs"`, "jobs", false},
		{"EQUALS_IGNORE_CASE", `"JOBS"`, "jobs", true},
		{"NOT_EQUALS_IGNORE_CASE", `"JOBS"`, "jobs", false},
		{"NOT_EQUALS_IGNORE_CASE", `"JOBS"`, "web", true},
		{"IN", `["a","jobs"]`, "jobs", true},
		{"IN", `["a","b"]`, "jobs", false},
		{"IN", `"jobs"`, "jobs", true},
		{"CONTAINS", `"ob"`, "jobs", true},
		{"CONTAINS", `"x"`, "jobs", false},
		{"CONTAINS", `""`, "jobs", false},
		{"LIKE", `"jobs"`, "jobs", false},
	}
	for _, tt := range tests {
		got := crConditionHolds(account.Condition{Claim: "namespace", Operator: tt.op, Value: tt.value}, tt.attr)
		if got != tt.want {
			t.Errorf("%s %s on %q = %v, want %v", tt.op, tt.value, tt.attr, got, tt.want)
		}
	}
}

func TestRuleClaims(t *testing.T) {
	c := &account.Cluster{ID: "c1", Location: "eu-de", ResourceGroupID: "rg1", ResourceGroupName: "prod", CRType: account.CRTypeIKS}
	id := &crIdentity{cluster: c, namespace: "ns", serviceAccount: "sa", pod: "pod-1"}
	for claim, v := range map[string]string{"namespace": "ns", "name": "sa", "pod": "pod-1", "service_instance": "c1",
		"location": "eu-de", "resource_group_id": "rg1", "resource_group_name": "prod"} {
		r := &account.Rule{Type: account.RuleTypeCR, CRType: account.CRTypeIKS, Conditions: []account.Condition{{Claim: claim, Operator: "EQUALS", Value: account.QuoteCondition(v)}}}
		if !crRuleMatches(r, id) {
			t.Errorf("claim %s=%s did not match", claim, v)
		}
	}
	noPod := &crIdentity{cluster: c, namespace: "ns", serviceAccount: "sa"}
	r := &account.Rule{Conditions: []account.Condition{{Claim: "pod", Operator: "NOT_EQUALS", Value: `"x"`}}}
	if crRuleMatches(r, noPod) {
		t.Error("a condition on an absent pod claim matched")
	}
	p := &account.Profile{AccountID: "a", Rules: []*account.Rule{{Type: account.RuleTypeCR, CRType: account.CRTypeROKS, Conditions: []account.Condition{{Claim: "namespace", Operator: "EQUALS", Value: `"ns"`}}}}}
	c.AccountID = "a"
	if crEligible(p, id) {
		t.Error("a ROKS_SA rule matched an IKS cluster")
	}
}

func TestCrossAccountLink(t *testing.T) {
	e := newIAMEnv(t, core.Options{})
	c, err := e.World.AddCluster(account.Cluster{Name: "shared", AccountID: "fedcba9876543210fedcba9876543210"})
	if err != nil {
		t.Fatal(err)
	}
	tok := e.Mint(t, func(o *account.MintOptions) { o.Cluster = "shared" })
	// Without a cross-account link the profile is not eligible, and by name it
	// is looked up in the cluster's account, where it does not exist.
	if st, body := e.Post(t, http.MethodPost, testenv.CRForm(tok, "profile_id", e.Runner.ID), nil); st != 400 || body["errorCode"] != codeNotEligible {
		t.Fatalf("no link: %d %v", st, body)
	}
	e.World.IAM.Runner().Links = append(e.World.IAM.Runner().Links, &account.Link{CRType: account.CRTypeIKS, CRN: c.CRN,
		Namespace: e.Spec.Namespace, ServiceAccount: e.Spec.ServiceAccount, IsCrossAccount: true})
	if st, body := e.Post(t, http.MethodPost, testenv.CRForm(tok, "profile_id", e.Runner.ID), nil); st != 200 {
		t.Fatalf("cross-account link by id: %d %v", st, body)
	}
	if st, body := e.Post(t, http.MethodPost, testenv.CRForm(tok, "profile_name", e.Runner.Name), nil); st != 400 || body["errorCode"] != codeNotEligible {
		t.Fatalf("by name in the wrong account: %d %v", st, body)
	}
}

// TestPublicKeyCluster registers a cluster by its public keys only, as the e2e
// test does with a real kube-apiserver, once from a JWKS and once from PEM.
func TestPublicKeyCluster(t *testing.T) {
	e := newIAMEnv(t, core.Options{})
	key := core.GenerateSigningKey(777, "")
	jwks, err := json.Marshal(core.KeySet([]*core.SigningKey{key}))
	if err != nil {
		t.Fatal(err)
	}
	pemKey := core.GenerateSigningKey(778, "")
	pemFile, err := os.ReadFile(writePublicPEM(t, pemKey))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cluster account.Cluster
		key     *core.SigningKey
	}{
		{account.Cluster{Name: "kind-jwks", Issuer: "https://kubernetes.default.svc.cluster.local", JWKS: string(jwks)}, key},
		{account.Cluster{Name: "kind-pem", Issuer: "https://kind-pem.example", PEM: string(pemFile)}, pemKey},
	} {
		t.Run(tc.cluster.Name, func(t *testing.T) {
			c, err := e.World.AddCluster(tc.cluster)
			if err != nil {
				t.Fatal(err)
			}
			if c.Keys[0].CanSign() || c.Keys[0].KID != tc.key.KID {
				t.Fatalf("key = %+v", c.Keys[0])
			}
			if _, err := e.World.MintSAToken(account.MintOptions{Cluster: c.Name, Namespace: "a", ServiceAccount: "b"}); err == nil {
				t.Error("minted with a public-only cluster")
			}
			e.World.IAM.Runner().Links = append(e.World.IAM.Runner().Links,
				&account.Link{CRType: account.CRTypeIKS, CRN: c.CRN, Namespace: "e2e", ServiceAccount: "runner"})
			tok := e.Mint(t, func(o *account.MintOptions) {
				o.Cluster, o.SignWith, o.Namespace, o.ServiceAccount = c.ID, tc.key, "e2e", "runner"
			})
			if st, body := e.Post(t, http.MethodPost, testenv.CRForm(tok, "profile_name", e.Runner.Name), nil); st != 200 {
				t.Fatalf("%d %v", st, body)
			}
		})
	}
	if _, err := e.World.AddCluster(account.Cluster{Name: "bad", JWKS: "{"}); err == nil {
		t.Error("AddCluster accepted a broken JWKS")
	}
	if _, err := e.World.AddCluster(account.Cluster{Name: "kind-pem"}); err == nil {
		t.Error("AddCluster accepted a duplicate")
	}
}

// TestTokenClaimShapes signs hand-made claim sets to reach the checks that
// MintSAToken never trips.
func TestTokenClaimShapes(t *testing.T) {
	e := newIAMEnv(t, core.Options{})
	c := e.World.IAM.Clusters[0]
	now := time.Now().Unix()
	base := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": c.Issuer, "aud": "iam", "sub": "system:serviceaccount:trustjob:trustjob",
			"iat": now, "nbf": now, "exp": now + 600,
			"kubernetes.io": map[string]any{"namespace": "trustjob", "serviceaccount": map[string]any{"name": "trustjob", "uid": "u"}}}
	}
	tests := []struct {
		name    string
		mod     func(jwt.MapClaims)
		status  int
		details string
	}{
		{"aud as a string", func(jwt.MapClaims) {}, 200, ""},
		{"sub mismatch", func(m jwt.MapClaims) { m["sub"] = "system:serviceaccount:trustjob:other" }, 400, "does not match its kubernetes.io claims"},
		{"no kubernetes.io", func(m jwt.MapClaims) { delete(m, "kubernetes.io") }, 400, "no kubernetes.io"},
		{"no exp", func(m jwt.MapClaims) { delete(m, "exp") }, 400, "no exp"},
		{"no iat", func(m jwt.MapClaims) { delete(m, "iat") }, 400, "no iat"},
		{"nbf in the future", func(m jwt.MapClaims) { m["nbf"] = now + 300 }, 400, "not valid before"},
		{"exp as a string", func(m jwt.MapClaims) { m["exp"] = "soon" }, 400, "not a valid JWT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			tt.mod(m)
			tok, err := c.Keys[0].Sign(m)
			if err != nil {
				t.Fatal(err)
			}
			st, body := e.Post(t, http.MethodPost, testenv.CRForm(tok, "profile_name", e.Runner.Name), nil)
			if st != tt.status {
				t.Fatalf("status %d, want %d: %v", st, tt.status, body)
			}
			if d, _ := body["errorDetails"].(string); !strings.Contains(d, tt.details) {
				t.Errorf("details %q, want %q", d, tt.details)
			}
		})
	}
	// alg none and HS256 are refused.
	for _, alg := range []jwt.SigningMethod{jwt.SigningMethodNone, jwt.SigningMethodHS256} {
		tk := jwt.NewWithClaims(alg, base())
		tk.Header["kid"] = c.Keys[0].KID
		var key any = jwt.UnsafeAllowNoneSignatureType
		if alg == jwt.SigningMethodHS256 {
			key = []byte("secret")
		}
		s, err := tk.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		if st, body := e.Post(t, http.MethodPost, testenv.CRForm(s, "profile_name", e.Runner.Name), nil); st != 400 || body["errorCode"] != codeBadToken {
			t.Errorf("alg %s: %d %v", alg.Alg(), st, body)
		}
	}
}

func writePublicPEM(t *testing.T, k *core.SigningKey) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sa.pub")
	if err := os.WriteFile(path, publicPEM(t, k), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

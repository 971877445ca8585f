package iamtoken

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim/testenv"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"
)

func publicPEM(t *testing.T, k *core.SigningKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestMintSATokenClaims(t *testing.T) {
	w := account.Generate(account.DefaultSpec())
	c := w.IAM.Clusters[0]
	iat := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tok, err := w.MintSAToken(account.MintOptions{Namespace: "jobs", ServiceAccount: "automation-sa", Pod: "runner-1",
		IssuedAt: iat, Lifetime: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	p := testenv.JWTPayload(t, tok)
	if p["iss"] != c.Issuer || p["sub"] != "system:serviceaccount:jobs:automation-sa" ||
		p["iat"] != float64(iat.Unix()) || p["nbf"] != p["iat"] || p["exp"] != float64(iat.Unix()+600) {
		t.Errorf("claims = %v", p)
	}
	if aud, _ := p["aud"].([]any); len(aud) != 1 || aud[0] != "iam" {
		t.Errorf("aud = %v", p["aud"])
	}
	if jti, _ := p["jti"].(string); jti == "" {
		t.Error("no jti")
	}
	k, _ := p["kubernetes.io"].(map[string]any)
	sa, _ := k["serviceaccount"].(map[string]any)
	pod, _ := k["pod"].(map[string]any)
	node, _ := k["node"].(map[string]any)
	if k["namespace"] != "jobs" || sa["name"] != "automation-sa" || sa["uid"] == "" || pod["name"] != "runner-1" || node["name"] == nil {
		t.Errorf("kubernetes.io = %v", k)
	}
	hdr := jwtHeader(t, tok)
	if hdr["alg"] != "RS256" || hdr["kid"] != c.Keys[0].KID {
		t.Errorf("header = %v", hdr)
	}

	if _, err := w.MintSAToken(account.MintOptions{Namespace: "a"}); err == nil {
		t.Error("minted without a service account")
	}
	if _, err := w.MintSAToken(account.MintOptions{Namespace: "a", ServiceAccount: "b", Cluster: "nope"}); err == nil {
		t.Error("minted for an unknown cluster")
	}
}

func jwtHeader(t *testing.T, tok string) map[string]any {
	t.Helper()
	return testenv.JWTPayload(t, strings.SplitN(tok, ".", 2)[0]+"."+strings.SplitN(tok, ".", 2)[0]+".x")
}

func TestGeneratedWorldIsDeterministic(t *testing.T) {
	a, b := account.Generate(account.DefaultSpec()), account.Generate(account.DefaultSpec())
	if a.IAM.Clusters[0].CRN != b.IAM.Clusters[0].CRN || a.IAM.Key.KID != b.IAM.Key.KID ||
		a.IAM.Runner().ID != b.IAM.Runner().ID || a.IAM.Clusters[0].Keys[0].KID != b.IAM.Clusters[0].Keys[0].KID {
		t.Error("same spec, different IAM state")
	}
	c := a.IAM.Clusters[0]
	if len(c.ID) != 20 || c.CRN != "crn:v1:bluemix:public:containers-kubernetes:us-south:a/"+a.AccountID+":"+c.ID+"::" {
		t.Errorf("cluster = %s %s", c.ID, c.CRN)
	}
	r := a.IAM.Runner()
	if !strings.HasPrefix(r.ID, "Profile-") || r.IAMID != "iam-"+r.ID || r.Name != "trustjob-runner" ||
		r.CRN != "crn:v1:bluemix:public:iam-identity::a/"+a.AccountID+"::profile:"+r.ID {
		t.Errorf("runner = %+v", r)
	}
	if a.IAM.RunnerIAMID() != r.IAMID || !a.Allowed(r.IAMID, "anything") {
		t.Error("runner is not granted everything")
	}
	if len(a.IAM.Profiles) != account.DefaultSpec().Profiles {
		t.Errorf("%d profiles", len(a.IAM.Profiles))
	}
	var never, old int
	for _, p := range a.IAM.Profiles {
		switch {
		case p.LastAuthn == nil:
			never++
		case time.Since(*p.LastAuthn) > 90*24*time.Hour:
			old++
		}
	}
	if never == 0 || old == 0 {
		t.Errorf("last_authn spread: %d never, %d older than 90 days", never, old)
	}
	other := account.Generate(account.Spec{Seed: 2})
	if other.IAM.Key.KID == a.IAM.Key.KID && other.IAM.Runner().ID == r.ID {
		t.Error("different seeds, same IAM state")
	}
}

func TestProjectedTokenRotation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tokens")
	pt := account.NewProjectedToken(dir)
	if pt.Path() != filepath.Join(dir, "sa-token") {
		t.Fatalf("path %s", pt.Path())
	}
	if err := pt.Write("first"); err != nil {
		t.Fatal(err)
	}
	first, _ := os.Readlink(filepath.Join(dir, "..data"))
	if err := pt.Write("second"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(pt.Path())
	if err != nil || string(got) != "second" {
		t.Fatalf("read %q %v", got, err)
	}
	link, err := os.Readlink(pt.Path())
	if err != nil || link != filepath.Join("..data", "sa-token") {
		t.Errorf("sa-token -> %q (%v)", link, err)
	}
	data, err := os.Readlink(filepath.Join(dir, "..data"))
	if err != nil || !strings.HasPrefix(data, "..") || data == first {
		t.Errorf("..data -> %q (first %q) %v", data, first, err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(entries) != 3 { // ..<ts>, ..data, sa-token: the old payload is gone
		t.Errorf("dir holds %v", names)
	}
}

func TestKubeletRotation(t *testing.T) {
	w := account.Generate(account.DefaultSpec())
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := &account.Kubelet{World: w, Token: account.NewProjectedToken(t.TempDir()),
		Options: account.MintOptions{Namespace: "trustjob", ServiceAccount: "trustjob", Lifetime: time.Hour},
		Now:     func() time.Time { return now }}
	steps := []struct {
		advance time.Duration
		rotated bool
	}{
		{0, true},                 // no token yet
		{47 * time.Minute, false}, // 78 % of the lifetime
		{1 * time.Minute, true},   // 80 %
		{10 * time.Minute, false},
		{-time.Hour, true}, // the clock went backwards
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		rotated, err := k.Sync()
		if err != nil || rotated != s.rotated {
			t.Fatalf("step %d: rotated %v (%v), want %v", i, rotated, err, s.rotated)
		}
	}
	tok, err := os.ReadFile(k.Token.Path())
	if err != nil {
		t.Fatal(err)
	}
	if iat := testenv.JWTPayload(t, string(tok))["iat"]; iat != float64(now.Unix()) {
		t.Errorf("iat %v, want %d", iat, now.Unix())
	}
}

func TestParseKeys(t *testing.T) {
	rsaKey := core.GenerateSigningKey(5, "")
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := core.NewSigningKey(ec, "ec-1")
	if err != nil {
		t.Fatal(err)
	}
	set, _ := json.Marshal(core.KeySet([]*core.SigningKey{rsaKey, ecKey}))
	keys, err := core.ParseJWKS(set)
	if err != nil || len(keys) != 2 || keys[0].KID != rsaKey.KID || keys[1].KID != "ec-1" || keys[1].Alg != "ES256" {
		t.Fatalf("ParseJWKS = %+v, %v", keys, err)
	}
	if !keys[0].Public.(*rsa.PublicKey).Equal(rsaKey.Public) || !keys[1].Public.(*ecdsa.PublicKey).Equal(ec.Public()) {
		t.Error("JWKS round trip changed a key")
	}
	pems := append(publicPEM(t, rsaKey), publicPEM(t, ecKey)...)
	keys, err = core.ParsePublicKeysPEM(pems)
	if err != nil || len(keys) != 2 || keys[0].KID != rsaKey.KID {
		t.Fatalf("ParsePublicKeysPEM = %+v, %v", keys, err)
	}
	for _, bad := range []string{"", "{}", `{"keys":[{"kty":"RSA","n":"!","e":"AQAB"}]}`, `{"keys":[{"kty":"oct"}]}`} {
		if _, err := core.ParseJWKS([]byte(bad)); err == nil {
			t.Errorf("ParseJWKS(%q) succeeded", bad)
		}
	}
	if _, err := core.ParsePublicKeysPEM([]byte("not pem")); err == nil {
		t.Error("ParsePublicKeysPEM accepted garbage")
	}

	// An ES256 cluster key signs tokens IAM accepts.
	w := account.Generate(account.DefaultSpec())
	c, err := w.AddCluster(account.Cluster{Name: "ec-cluster"})
	if err != nil {
		t.Fatal(err)
	}
	c.Keys = []*core.SigningKey{ecKey}
	s := testenv.NewServer(w, core.Options{}, Mount)
	tok, err := w.MintSAToken(account.MintOptions{Cluster: "ec-cluster", Namespace: "trustjob", ServiceAccount: "trustjob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, terr := verifyCRToken(&w.IAM, tok, s.Now(), false); terr != nil {
		t.Fatalf("ES256 token refused: %v", terr)
	}
}

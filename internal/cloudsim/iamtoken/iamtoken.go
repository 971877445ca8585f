package iamtoken

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/cloudsim/account"
	"github.com/trustjob/trustjob/internal/cloudsim/core"

	"github.com/golang-jwt/jwt/v5"
)

// The IAM token endpoint, cr-token grant only (IBM's references: see the
// package comment).

const (
	grantCRToken = "urn:ibm:params:oauth:grant-type:cr-token"
	// crLeeway is the clock skew tolerated on a cr_token's iat and nbf.
	crLeeway = 60 * time.Second
	// crMaxLifetime is the longest cr_token IAM accepts: IBM documents "1 hour
	// or less". crLenientLifetime (Options.LenientCRToken) adds the
	// kube-apiserver's 7 s of slack (3607 s tokens).
	crMaxLifetime     = time.Hour
	crLenientLifetime = time.Hour + 7*time.Second
	// maxTokenForm bounds the token request body.
	maxTokenForm = 64 << 10
)

// Token endpoint error codes, as IAM's answers carry them (captured answers and
// go-sdk-core's and the IBM Cloud CLI's sources). BXNIM0399E is invented: IAM's
// answer to an unknown profile is not public, and by default the emulator gives
// the "not eligible" answer like IAM appears to.
const (
	codeMethodNotAllowed = "BXNIM0060E"
	codeMissing          = "BXNIM0109E"
	codeBadValue         = "BXNIM0106E"
	codeBadCRN           = "BXNIM0113E"
	codeNotEligible      = "BXNIM0398E"
	codeProfileNotFound  = "BXNIM0399E"
	codeBadToken         = "BXNIM0407E"
)

const msgNotEligible = "Selected trusted profile not eligible."

func (s *api) routesIAMToken() {
	// One pattern for every method, so a GET gets IAM's 405 body rather than
	// ServeMux's plain-text one.
	s.Handle(core.Route{Pattern: "/identity/token", Service: core.ServiceIAMToken, Handler: s.iamToken})
	s.Handle(core.Route{Pattern: "GET /identity/keys", Service: core.ServiceIAMToken, Handler: s.iamKeys})
	s.Handle(core.Route{Pattern: "GET /identity/.well-known/openid-configuration", Service: core.ServiceIAMToken, Handler: s.iamOpenIDConfig})
}

// crTokenError is a refusal of the token endpoint.
type crTokenError struct {
	status  int
	code    string
	message string
	details string
}

func (e *crTokenError) Error() string { return e.code + " " + e.message + ": " + e.details }

func crMissing(prop string) *crTokenError {
	return &crTokenError{http.StatusBadRequest, codeMissing, "Property missing or empty.",
		"Property '" + prop + "' either missing or empty."}
}

func crBadToken(format string, args ...any) *crTokenError {
	return &crTokenError{http.StatusBadRequest, codeBadToken, "Provided token is invalid.", fmt.Sprintf(format, args...)}
}

func (s *api) iamToken(w http.ResponseWriter, r *http.Request, _ *core.Caller) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.WriteTokenError(w, r, http.StatusMethodNotAllowed, codeMethodNotAllowed,
			"Web application exception 'javax.ws.rs.ClientErrorException' during request processing.",
			"HTTP 405 Method Not Allowed")
		return
	}
	resp, terr := s.crExchange(r)
	if terr != nil {
		s.WriteTokenError(w, r, terr.status, terr.code, terr.message, terr.details)
		return
	}
	core.WriteJSON(w, http.StatusOK, resp)
}

// crTokenResponse is the success body (go-sdk-core's IamTokenServerResponse).
type crTokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Expiration   int64  `json:"expiration"`
	Scope        string `json:"scope"`
}

// crRequest is a parsed cr-token grant request.
type crRequest struct {
	crToken                            string
	profileID, profileName, profileCRN string
	clientID                           string
	tenants                            []string
}

func (s *api) crExchange(r *http.Request) (*crTokenResponse, *crTokenError) {
	req, terr := crParseRequest(r)
	if terr != nil {
		return nil, terr
	}
	now := s.Now()

	s.world.RLock()
	id, terr := verifyCRToken(&s.world.IAM, req.crToken, now, s.Options().LenientCRToken)
	var p *account.Profile
	if terr == nil {
		p, terr = s.crResolveProfile(req, id)
	}
	s.world.RUnlock()
	if terr != nil {
		return nil, terr
	}

	ttl := s.Options().TokenTTL
	exp := now.Add(ttl)
	claims := core.AccessClaims{
		IAMID: p.IAMID, ID: p.IAMID, RealmID: "iam", Identifier: p.ID, Name: p.Name,
		SubType: s.Options().AccessTokenSubType,
		Authn: core.AuthnClaims{Sub: id.cluster.CRN, IAMID: "crn-" + id.cluster.CRN,
			Name: id.namespace + "/" + id.serviceAccount},
		Account:   core.AccountClaims{Boundary: "global", Valid: true, BSS: p.AccountID},
		GrantType: grantCRToken, Scope: "ibm openid", ClientID: req.clientID,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   p.ID,
			Issuer:    core.BaseURL(r) + "/identity",
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        s.TraceID(),
		},
	}
	s.world.RLock()
	key := s.world.IAM.Key
	s.world.RUnlock()
	tok, err := key.Sign(claims)
	if err != nil {
		return nil, &crTokenError{http.StatusInternalServerError, "BXNIM0500E", "Internal error.", err.Error()}
	}

	// Activity, as IAM records it for the inactive-identity report.
	s.world.Lock()
	t := now.UTC()
	p.LastAuthn = &t
	p.AuthnCount++
	s.world.Unlock()

	return &crTokenResponse{
		AccessToken: tok, RefreshToken: "not_supported", TokenType: "Bearer",
		ExpiresIn: int64(ttl / time.Second), Expiration: exp.Unix(), Scope: "ibm openid",
	}, nil
}

func crParseRequest(r *http.Request) (*crRequest, *crTokenError) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxTokenForm)
	// A body that is not a form leaves PostForm empty: IAM then misses
	// grant_type, which is the answer below.
	_ = r.ParseForm()
	f := r.PostForm
	grant := f.Get("grant_type")
	if grant == "" {
		return nil, crMissing("grant_type")
	}
	if grant != grantCRToken {
		// Real IAM supports more grants (apikey, assume, ...); the emulator
		// serves only the one trustjob uses and says so in the details.
		return nil, &crTokenError{http.StatusBadRequest, codeBadValue,
			fmt.Sprintf("Validation of property 'grant_type' with value '%s' failed. Valid values: %s", core.Clip(grant, 100), grantCRToken),
			"This emulator supports only the cr-token grant."}
	}
	req := &crRequest{
		crToken:     f.Get("cr_token"),
		profileID:   f.Get("profile_id"),
		profileName: f.Get("profile_name"),
		profileCRN:  f.Get("profile_crn"),
		clientID:    "default",
	}
	if req.crToken == "" {
		return nil, crMissing("cr_token")
	}
	if req.profileID == "" && req.profileName == "" && req.profileCRN == "" {
		return nil, crMissing("profile_id")
	}
	if req.profileCRN != "" && !crValidProfileCRN(req.profileCRN) {
		return nil, &crTokenError{http.StatusBadRequest, codeBadCRN, "Provided cloud resource name is invalid",
			fmt.Sprintf("The profile_crn '%s' is not the CRN of a trusted profile.", core.Clip(req.profileCRN, 200))}
	}
	if id, _, ok := r.BasicAuth(); ok && id != "" {
		req.clientID = id
	}
	if h := r.Header.Get("IBM-Cloud-Tenant"); h != "" {
		for t := range strings.SplitSeq(h, ",") {
			if t = strings.TrimSpace(t); t != "" {
				req.tenants = append(req.tenants, t)
			}
		}
	}
	return req, nil
}

// crValidProfileCRN checks crn:v1:<cloud>:<ctype>:iam-identity::a/<acct>::profile:Profile-<id>.
func crValidProfileCRN(crn string) bool {
	parts := strings.Split(crn, ":")
	return len(parts) == 10 && parts[0] == "crn" && parts[1] == "v1" && parts[2] != "" &&
		parts[3] != "" && parts[4] == "iam-identity" && strings.HasPrefix(parts[6], "a/") &&
		len(parts[6]) > 2 && parts[8] == "profile" && strings.HasPrefix(parts[9], "Profile-")
}

// crIdentity is what IAM derives from a verified cr_token.
type crIdentity struct {
	cluster        *account.Cluster
	namespace      string
	serviceAccount string
	pod            string
}

func (id *crIdentity) identifier() string {
	return id.cluster.Name + ":" + id.namespace + ":" + id.serviceAccount + ":" + id.pod
}

// attr returns the value of a Profile-CR claim for this compute resource.
func (id *crIdentity) attr(claim string) (string, bool) {
	switch claim {
	case "namespace":
		return id.namespace, true
	case "name":
		return id.serviceAccount, true
	case "pod":
		return id.pod, id.pod != ""
	case "service_instance":
		return id.cluster.ID, true
	case "location":
		return id.cluster.Location, true
	case "resource_group_id":
		return id.cluster.ResourceGroupID, true
	case "resource_group_name":
		return id.cluster.ResourceGroupName, true
	}
	return "", false
}

var crTokenParser = jwt.NewParser(jwt.WithValidMethods([]string{"RS256", "ES256"}), jwt.WithoutClaimsValidation(), jwt.WithJSONNumber())

// verifyCRToken checks a service-account token as IAM must before trusting it:
// a known cluster's key signed it (RS256 or ES256), its audience holds iam, it
// is current (with leeway) and lives at most an hour, and its claims name a
// namespace and service account. IBM documents the requirements (audience iam,
// at most one hour), not the mechanics, so these are the emulator's. The
// caller holds the world's read lock.
func verifyCRToken(st *account.IAMState, raw string, now time.Time, lenient bool) (*crIdentity, *crTokenError) {
	// go-sdk-core sends the token file unchanged; whether IAM tolerates a
	// trailing newline is unknown, so by default the emulator does not.
	maxLife := crMaxLifetime
	if lenient {
		raw = strings.TrimSpace(raw)
		maxLife = crLenientLifetime
	} else if strings.TrimSpace(raw) != raw {
		// Go's base64 decoder skips newlines, so without this check a
		// trailing newline would pass unnoticed.
		return nil, crBadToken("The cr_token has leading or trailing whitespace (the projected token file has none; a hand-written file must not either).")
	}
	if strings.Count(raw, ".") != 2 {
		return nil, crBadToken("The cr_token is not a JWT (expected three base64url parts).")
	}
	var claims account.SAClaims
	var cluster *account.Cluster
	_, err := crTokenParser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		c, k := keyFor(st, claims.Issuer, kid)
		if k == nil {
			return nil, errCRUnknownKey
		}
		cluster = c
		return k.Public, nil
	})
	switch {
	case err == nil:
	case errors.Is(err, errCRUnknownKey):
		return nil, crBadToken("The cr_token was not issued by a cluster known to IAM (issuer '%s', unknown issuer or signing key).", core.Clip(claims.Issuer, 200))
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, crBadToken("The cr_token signature is invalid.")
	case errors.Is(err, jwt.ErrTokenUnverifiable) || errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, crBadToken("The cr_token signature cannot be verified: %s", err.Error())
	default:
		return nil, crBadToken("The cr_token is not a valid JWT: %s", err.Error())
	}
	if !slices.Contains(claims.Audience, "iam") {
		return nil, crBadToken("The cr_token audience %q does not contain 'iam'.", []string(claims.Audience))
	}
	if claims.ExpiresAt == nil {
		return nil, crBadToken("The cr_token has no exp claim.")
	}
	if claims.IssuedAt == nil {
		return nil, crBadToken("The cr_token has no iat claim.")
	}
	exp, iat := claims.ExpiresAt.Time, claims.IssuedAt.Time
	if !now.Before(exp) {
		return nil, crBadToken("The cr_token expired at %s.", exp.UTC().Format(time.RFC3339))
	}
	if iat.After(now.Add(crLeeway)) {
		return nil, crBadToken("The cr_token iat %s is in the future.", iat.UTC().Format(time.RFC3339))
	}
	if claims.NotBefore != nil && claims.NotBefore.After(now.Add(crLeeway)) {
		return nil, crBadToken("The cr_token is not valid before %s.", claims.NotBefore.UTC().Format(time.RFC3339))
	}
	if life := exp.Sub(iat); life > maxLife {
		return nil, crBadToken("The cr_token lifetime of %d seconds exceeds the maximum of %d seconds.", int64(life/time.Second), int64(maxLife/time.Second))
	}
	k := claims.Kubernetes
	if k == nil || k.Namespace == "" || k.ServiceAccount == nil || k.ServiceAccount.Name == "" {
		return nil, crBadToken("The cr_token has no kubernetes.io namespace and service account claims.")
	}
	if want := "system:serviceaccount:" + k.Namespace + ":" + k.ServiceAccount.Name; claims.Subject != want {
		return nil, crBadToken("The cr_token subject '%s' does not match its kubernetes.io claims ('%s').", core.Clip(claims.Subject, 200), want)
	}
	id := &crIdentity{cluster: cluster, namespace: k.Namespace, serviceAccount: k.ServiceAccount.Name}
	if k.Pod != nil {
		id.pod = k.Pod.Name
	}
	return id, nil
}

var errCRUnknownKey = errors.New("unknown issuer or key")

// keyFor finds the cluster with this issuer and a key with this kid (any of
// its keys when the token has no kid).
func keyFor(st *account.IAMState, iss, kid string) (*account.Cluster, *core.SigningKey) {
	for _, c := range st.Clusters {
		if c.Issuer != iss {
			continue
		}
		for _, k := range c.Keys {
			if kid == "" || k.KID == kid {
				return c, k
			}
		}
	}
	return nil, nil
}

// crResolveProfile finds the requested profile in the compute resource's account
// and checks that it trusts the compute resource. The caller holds the world's
// read lock.
func (s *api) crResolveProfile(req *crRequest, id *crIdentity) (*account.Profile, *crTokenError) {
	st := &s.world.IAM
	acct := id.cluster.AccountID
	var found *account.Profile
	requested := req.profileID
	lookups := []struct {
		value string
		match func(p *account.Profile) bool
	}{
		{req.profileID, func(p *account.Profile) bool { return p.ID == req.profileID }},
		{req.profileCRN, func(p *account.Profile) bool { return p.CRN == req.profileCRN }},
		// Names are unique per acct and looked up in the cluster's.
		{req.profileName, func(p *account.Profile) bool { return p.Name == req.profileName && p.AccountID == acct }},
	}
	for _, l := range lookups {
		if l.value == "" {
			continue
		}
		if requested == "" {
			requested = l.value
		}
		var p *account.Profile
		for _, cand := range st.Profiles {
			if l.match(cand) {
				p = cand
				break
			}
		}
		if p == nil {
			return nil, s.crProfileNotFound(id, l.value)
		}
		if found != nil && found != p {
			return nil, &crTokenError{http.StatusBadRequest, codeNotEligible, msgNotEligible,
				fmt.Sprintf("The given profile parameters refer to different trusted profiles ('%s' and '%s').", found.ID, p.ID)}
		}
		found = p
	}
	if len(req.tenants) > 0 && !slices.Contains(req.tenants, found.AccountID) {
		return nil, crNotEligible(id, found.IAMID, "the IBM-Cloud-Tenant header does not include the profile's account")
	}
	if !crEligible(found, id) {
		why := "no link or rule of the trusted profile matches the compute resource"
		if crCrossAccountOnly(found, id) {
			why = "the profile's link names a compute resource in another account and is not marked is_cross_account"
		}
		return nil, crNotEligible(id, found.IAMID, why)
	}
	return found, nil
}

func (s *api) crProfileNotFound(id *crIdentity, requested string) *crTokenError {
	if s.Options().DistinctProfileNotFound {
		return &crTokenError{http.StatusBadRequest, codeProfileNotFound, "Trusted profile not found.",
			fmt.Sprintf("No trusted profile '%s' exists in account '%s'.", core.Clip(requested, 200), id.cluster.AccountID)}
	}
	iamID := requested
	if strings.HasPrefix(iamID, "Profile-") {
		iamID = "iam-" + iamID
	}
	return crNotEligible(id, iamID, "")
}

func crNotEligible(id *crIdentity, iamID, why string) *crTokenError {
	d := fmt.Sprintf("The given token with identifier '%s' is not permitted to assume the indicated trusted profile; profile ID '%s'.",
		core.Clip(id.identifier(), 300), core.Clip(iamID, 200))
	if why != "" {
		d += " Reason: " + why + "."
	}
	return &crTokenError{http.StatusBadRequest, codeNotEligible, msgNotEligible, d}
}

// crEligible says whether any link or any Profile-CR rule of p matches id.
func crEligible(p *account.Profile, id *crIdentity) bool {
	c := id.cluster
	cross := p.AccountID != c.AccountID
	for _, l := range p.Links {
		if l.CRType == c.CRType && l.CRN == c.CRN && l.Namespace == id.namespace &&
			l.ServiceAccount == id.serviceAccount && (!cross || l.IsCrossAccount) {
			return true
		}
	}
	if cross {
		return false // rules apply within the profile's account only
	}
	for _, r := range p.Rules {
		if r.Type == account.RuleTypeCR && r.CRType == c.CRType && crRuleMatches(r, id) {
			return true
		}
	}
	return false
}

// crCrossAccountOnly reports whether a link of p would match id if it were
// marked is_cross_account: the cluster is in another account than the
// profile, and the SDK documents that such a link needs the flag.
func crCrossAccountOnly(p *account.Profile, id *crIdentity) bool {
	c := id.cluster
	if p.AccountID == c.AccountID {
		return false
	}
	for _, l := range p.Links {
		if l.CRType == c.CRType && l.CRN == c.CRN && l.Namespace == id.namespace &&
			l.ServiceAccount == id.serviceAccount && !l.IsCrossAccount {
			return true
		}
	}
	return false
}

// crRuleMatches reports whether every condition of r holds for id.
func crRuleMatches(r *account.Rule, id *crIdentity) bool {
	if len(r.Conditions) == 0 {
		return false
	}
	for _, cond := range r.Conditions {
		v, ok := id.attr(cond.Claim)
		if !ok || !crConditionHolds(cond, v) {
			return false
		}
	}
	return true
}

// crConditionHolds evaluates one comparator (iam-condition-properties: values
// compare as strings; CONTAINS on a string attribute is a substring test).
func crConditionHolds(c account.Condition, attr string) bool {
	values := crConditionValues(c.Value)
	first := ""
	if len(values) > 0 {
		first = values[0]
	}
	switch c.Operator {
	case "EQUALS":
		return attr == first
	case "NOT_EQUALS":
		return attr != first
	case "EQUALS_IGNORE_CASE":
		return strings.EqualFold(attr, first)
	case "NOT_EQUALS_IGNORE_CASE":
		return !strings.EqualFold(attr, first)
	case "IN":
		return slices.Contains(values, attr)
	case "CONTAINS":
		return first != "" && strings.Contains(attr, first)
	}
	return false
}

// crConditionValues parses a stringified JSON value (a string, number, bool or
// an array of them) into strings; anything else is taken as one raw string.
func crConditionValues(v string) []string {
	var any1 any
	if err := json.Unmarshal([]byte(v), &any1); err != nil {
		return []string{v}
	}
	switch x := any1.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, crScalar(e))
		}
		return out
	case nil:
		return []string{v}
	default:
		return []string{crScalar(x)}
	}
}

func crScalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func (s *api) iamKeys(w http.ResponseWriter, _ *http.Request, _ *core.Caller) {
	s.world.RLock()
	set := core.KeySet([]*core.SigningKey{s.world.IAM.Key})
	s.world.RUnlock()
	core.WriteJSON(w, http.StatusOK, set)
}

func (s *api) iamOpenIDConfig(w http.ResponseWriter, r *http.Request, _ *core.Caller) {
	base := core.BaseURL(r) + "/identity"
	core.WriteJSON(w, http.StatusOK, map[string]any{
		"issuer":                                base,
		"authorization_endpoint":                base + "/authorize",
		"token_endpoint":                        base + "/token",
		"passcode_endpoint":                     base + "/passcode",
		"userinfo_endpoint":                     base + "/userinfo",
		"jwks_uri":                              base + "/keys",
		"response_types_supported":              []string{"code", "token", "id_token"},
		"grant_types_supported":                 []string{grantCRToken},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "none"},
		"scopes_supported":                      []string{"openid"},
		"claims_supported":                      []string{"iam_id", "sub", "account", "exp", "iat", "iss"},
	})
}

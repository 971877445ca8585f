// Package vpcmeta emulates the identity part of the IBM Cloud VPC instance
// metadata service, as one virtual server instance sees it: the instance
// identity token (PUT .../token) and its exchange for a trusted profile's IAM
// token (POST .../iam_token(s)), under both API versions go-sdk-core speaks
// (2022-03-01: /instance_identity/v1/..., 2025-08-26: /identity/v1/...), with
// the documented headers, limits and error bodies
// (/work/shared/reference/delivery-and-runtimes.md §3).
//
// The IAM token itself comes from an Issuer: in the emulator, a cr-token
// exchange at the emulated IAM (ExchangeIssuer), so the token is one the
// other emulated services accept.
package vpcmeta

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// API versions and their paths.
const (
	VersionLegacy = "2022-03-01"
	VersionNew    = "2025-08-26"

	pathTokenLegacy = "/instance_identity/v1/token"
	pathIAMLegacy   = "/instance_identity/v1/iam_token"
	pathTokenNew    = "/identity/v1/token"
	pathIAMNew      = "/identity/v1/iam_tokens"
)

// Token lifetime limits of the identity token (seconds).
const (
	defaultExpiresIn = 300
	minExpiresIn     = 5
	maxExpiresIn     = 3600
	maxBody          = 64 << 10
)

// ProfileRef names a trusted profile by ID or CRN.
type ProfileRef struct {
	ID  string `json:"id,omitempty"`
	CRN string `json:"crn,omitempty"`
}

func (p ProfileRef) matches(q ProfileRef) bool {
	return (p.ID != "" && p.ID == q.ID) || (p.CRN != "" && p.CRN == q.CRN) ||
		(p.ID != "" && q.CRN != "" && strings.HasSuffix(q.CRN, ":profile:"+p.ID)) ||
		(q.ID != "" && p.CRN != "" && strings.HasSuffix(p.CRN, ":profile:"+q.ID))
}

// Instance is the virtual server the metadata service belongs to.
type Instance struct {
	ID, CRN, Name, Zone, Region, AccountID, ResourceGroupID string
	VPCID, VPCCRN, SubnetID                                 string
	// DefaultProfile is used when a request names none; Linked are the
	// profiles the instance may become (the default is always linked).
	DefaultProfile *ProfileRef
	Linked         []ProfileRef
}

// Issuer returns an IAM access token of the profile for the instance.
type Issuer interface {
	IAMToken(ctx context.Context, inst Instance, profile ProfileRef) (token string, expiresIn int64, err error)
}

// Server is an emulated metadata service; build it with New.
type Server struct {
	inst   Instance
	issuer Issuer
	key    []byte
	now    func() time.Time

	mu sync.Mutex
	// Disabled makes every request wait for the client to give up, as an
	// instance with the metadata service off does ("no response").
	disabled bool
	// failNext answers the next n requests with status failStatus.
	failNext, failStatus int
	requests             []string // "METHOD path", in order
}

// New returns a metadata service for inst whose IAM tokens come from issuer.
func New(inst Instance, issuer Issuer) *Server {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &Server{inst: inst, issuer: issuer, key: key, now: time.Now}
}

// SetDisabled turns the metadata service off (no answers) or on.
func (s *Server) SetDisabled(off bool) { s.mu.Lock(); s.disabled = off; s.mu.Unlock() }

// FailNext answers the next n requests with status (e.g. 503, 429).
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	s.failNext, s.failStatus = n, status
	s.mu.Unlock()
}

// Requests lists the requests served so far ("PUT /instance_identity/v1/token").
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	disabled := s.disabled
	fail := 0
	if s.failNext > 0 {
		s.failNext--
		fail = s.failStatus
	}
	s.mu.Unlock()
	if disabled {
		// Read the body first: only then does net/http notice the client
		// hanging up and end r.Context().
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBody))
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Minute):
		}
		return
	}
	if fail != 0 {
		if fail == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		writeError(w, fail, "service_error", "The metadata service is temporarily unavailable.", nil)
		return
	}
	var op func(http.ResponseWriter, *http.Request, string)
	var method string
	switch r.URL.Path {
	case pathTokenLegacy, pathTokenNew:
		op, method = s.token, http.MethodPut
	case pathIAMLegacy, pathIAMNew:
		op, method = s.iamToken, http.MethodPost
	default:
		writeError(w, http.StatusNotFound, "not_found", "The requested resource was not found.", nil)
		return
	}
	version := r.URL.Query().Get("version")
	if version == "" {
		writeError(w, http.StatusBadRequest, "missing_value", "The version query parameter is required.",
			&target{"version", "parameter", ""})
		return
	}
	if _, err := time.Parse("2006-01-02", version); err != nil || version < VersionLegacy {
		writeError(w, http.StatusBadRequest, "invalid_value", "The version query parameter must be a date on or after "+VersionLegacy+".",
			&target{"version", "parameter", version})
		return
	}
	// From 2025-08-26 the /instance_identity paths are gone; before it the
	// /identity paths do not exist yet.
	legacy := strings.HasPrefix(r.URL.Path, "/instance_identity/")
	if legacy != (version < VersionNew) {
		writeError(w, http.StatusNotFound, "not_found", "The requested resource was not found for version "+version+".", nil)
		return
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method "+r.Method+" is not allowed.", nil)
		return
	}
	if r.Header.Get("Metadata-Flavor") != "ibm" {
		writeError(w, http.StatusBadRequest, "missing_value", "The Metadata-Flavor header must be set to ibm.",
			&target{"Metadata-Flavor", "header", r.Header.Get("Metadata-Flavor")})
		return
	}
	op(w, r, version)
}

type identityClaims struct {
	jwt.RegisteredClaims
	Nonce string         `json:"nonce,omitempty"`
	IaaS  map[string]any `json:"iaas"`
	VPC   map[string]any `json:"vpc,omitempty"`
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, _ string) {
	var body struct {
		ExpiresIn *int   `json:"expires_in"`
		Nonce     string `json:"nonce"`
	}
	if ok := decodeBody(w, r, &body); !ok {
		return
	}
	exp := defaultExpiresIn
	if body.ExpiresIn != nil {
		exp = *body.ExpiresIn
	}
	if exp < minExpiresIn || exp > maxExpiresIn {
		writeError(w, http.StatusBadRequest, "invalid_value",
			fmt.Sprintf("expires_in must be between %d and %d.", minExpiresIn, maxExpiresIn),
			&target{"expires_in", "field", strconv.Itoa(exp)})
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	expires := now.Add(time.Duration(exp) * time.Second)
	in := s.inst
	claims := identityClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "VSI-CR_" + in.Region, Subject: in.CRN, Audience: jwt.ClaimStrings{"vpc-metadata"},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(expires),
		},
		Nonce: body.Nonce,
		IaaS: map[string]any{"crn": in.CRN, "accountID": in.AccountID, "instanceID": in.ID, "zone": in.Zone,
			"region": in.Region, "resource_group_id": in.ResourceGroupID},
		VPC: map[string]any{"crn": in.VPCCRN, "id": in.VPCID},
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.key)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "service_error", "Internal error.", nil)
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: tok, CreatedAt: rfc(now), ExpiresAt: rfc(expires), ExpiresIn: int64(exp)})
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	CreatedAt   string `json:"created_at"`
	ExpiresAt   string `json:"expires_at"`
	ExpiresIn   int64  `json:"expires_in"`
}

func (s *Server) iamToken(w http.ResponseWriter, r *http.Request, _ string) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		writeError(w, http.StatusUnauthorized, "unauthenticated", "The instance identity token is missing.", nil)
		return
	}
	var claims identityClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(s.now), jwt.WithExpirationRequired())
	if err != nil {
		writeError(w, http.StatusUnauthorized, "unauthenticated", "The instance identity token is not valid or has expired.", nil)
		return
	}
	var body struct {
		TrustedProfile *struct {
			ID   string `json:"id"`
			CRN  string `json:"crn"`
			Name string `json:"name"`
		} `json:"trusted_profile"`
	}
	if ok := decodeBody(w, r, &body); !ok {
		return
	}
	var want ProfileRef
	switch tp := body.TrustedProfile; {
	case tp == nil:
		if s.inst.DefaultProfile == nil {
			writeError(w, http.StatusBadRequest, "missing_field", "A trusted profile ID was not passed in the request body.",
				&target{"trusted_profile", "field", ""})
			return
		}
		want = *s.inst.DefaultProfile
	case tp.Name != "":
		// go-sdk-core can send a name; the VPC API documents ID and CRN only.
		writeError(w, http.StatusBadRequest, "unknown_field", "trusted_profile.name is not supported; use id or crn.",
			&target{"trusted_profile.name", "field", tp.Name})
		return
	case tp.ID != "" && tp.CRN != "":
		writeError(w, http.StatusBadRequest, "invalid_value", "Specify one of trusted_profile.id or trusted_profile.crn.",
			&target{"trusted_profile", "field", ""})
		return
	case tp.ID == "" && tp.CRN == "":
		writeError(w, http.StatusBadRequest, "missing_field", "A trusted profile ID was not passed in the request body.",
			&target{"trusted_profile", "field", ""})
		return
	default:
		want = ProfileRef{ID: tp.ID, CRN: tp.CRN}
	}
	if !s.linked(want) {
		writeError(w, http.StatusBadRequest, "profile_not_linked",
			"The virtual server instance is not linked to the specified trusted profile.",
			&target{"trusted_profile", "field", want.ID + want.CRN})
		return
	}
	tok, expiresIn, err := s.issuer.IAMToken(r.Context(), s.inst, want)
	var denied *DeniedError
	switch {
	case errors.As(err, &denied):
		writeError(w, http.StatusBadRequest, "profile_not_linked", denied.Message, &target{"trusted_profile", "field", want.ID + want.CRN})
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, "service_error", "The IAM token could not be created.", nil)
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	writeJSON(w, http.StatusCreated, tokenResponse{AccessToken: tok, CreatedAt: rfc(now),
		ExpiresAt: rfc(now.Add(time.Duration(expiresIn) * time.Second)), ExpiresIn: expiresIn})
}

func (s *Server) linked(p ProfileRef) bool {
	if d := s.inst.DefaultProfile; d != nil && d.matches(p) {
		return true
	}
	for _, l := range s.inst.Linked {
		if l.matches(p) {
			return true
		}
	}
	return false
}

// DeniedError is an Issuer's refusal (IAM does not let the instance become
// the profile).
type DeniedError struct{ Message string }

func (e *DeniedError) Error() string { return e.Message }

// decodeBody reads an optional JSON body strictly; false when it answered.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "The request body is too large.", nil)
		return false
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return true
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		code := "invalid_request"
		if strings.Contains(err.Error(), "unknown field") {
			code = "unknown_field"
		}
		writeError(w, http.StatusBadRequest, code, "The request body is not valid: "+err.Error(), nil)
		return false
	}
	return true
}

type target struct{ Name, Type, Value string }

func writeError(w http.ResponseWriter, status int, code, msg string, t *target) {
	e := map[string]any{"code": code, "message": msg,
		"more_info": "https://cloud.ibm.com/docs/vpc?topic=vpc-metadata-error-codes"}
	if t != nil {
		e["target"] = map[string]string{"name": t.Name, "type": t.Type, "value": t.Value}
	}
	writeJSON(w, status, map[string]any{"errors": []any{e}, "status_code": status, "trace": traceID()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func rfc(t time.Time) string { return t.Format(time.RFC3339) }

func traceID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ExchangeIssuer gets the profile's token from the emulated IAM with the
// cr-token grant, presenting a compute-resource token the emulated IAM
// trusts (the emulator's projected token file). Real IBM Cloud does this
// exchange inside the metadata service; the emulator reuses its IAM so the
// token is valid for every emulated service.
type ExchangeIssuer struct {
	IAMURL      string
	CRTokenFile string
	Client      *http.Client
	ReadFile    func(string) ([]byte, error)
}

// IAMToken implements Issuer.
func (e ExchangeIssuer) IAMToken(ctx context.Context, _ Instance, p ProfileRef) (string, int64, error) {
	read := e.ReadFile
	if read == nil {
		return "", 0, errors.New("vpcmeta: ExchangeIssuer.ReadFile is required")
	}
	cr, err := read(e.CRTokenFile)
	if err != nil {
		return "", 0, fmt.Errorf("read compute-resource token: %w", err)
	}
	form := url.Values{"grant_type": {"urn:ibm:params:oauth:grant-type:cr-token"}, "cr_token": {strings.TrimSpace(string(cr))}}
	if p.ID != "" {
		form.Set("profile_id", p.ID)
	} else {
		form.Set("profile_crn", p.CRN)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(e.IAMURL, "/")+"/identity/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	c := e.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var ie struct {
			Message string `json:"errorMessage"`
		}
		_ = json.Unmarshal(b, &ie)
		if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound {
			return "", 0, &DeniedError{Message: "IAM refused the profile: " + ie.Message}
		}
		return "", 0, fmt.Errorf("IAM answered %d", resp.StatusCode)
	}
	var t struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(b, &t); err != nil || t.AccessToken == "" {
		return "", 0, errors.New("IAM answered without an access token")
	}
	return t.AccessToken, t.ExpiresIn, nil
}

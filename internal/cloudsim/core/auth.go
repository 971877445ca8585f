package core

import (
	"crypto"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AccessClaims is the payload of an access token for a trusted profile, as IAM
// issues it (package iamtoken mints them; authenticate verifies them).
type AccessClaims struct {
	IAMID      string        `json:"iam_id"`
	ID         string        `json:"id"`
	RealmID    string        `json:"realmid"`
	Identifier string        `json:"identifier"`
	Name       string        `json:"name"`
	SubType    string        `json:"sub_type"`
	Authn      AuthnClaims   `json:"authn"`
	Account    AccountClaims `json:"account"`
	GrantType  string        `json:"grant_type"`
	Scope      string        `json:"scope"`
	ClientID   string        `json:"client_id"`
	jwt.RegisteredClaims
}

// AuthnClaims is the authn claim: who signed in.
type AuthnClaims struct {
	Sub   string `json:"sub"`
	IAMID string `json:"iam_id"`
	Name  string `json:"name"`
}

// AccountClaims is the account claim.
type AccountClaims struct {
	Boundary string `json:"boundary"`
	Valid    bool   `json:"valid"`
	BSS      string `json:"bss"`
}

var iamAccessParser = jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())

// iamAuthCache remembers verified access tokens: an RSA verification per request
// would dominate the cost of big listings in benchmarks.
type iamAuthCache struct {
	mu sync.Mutex
	m  map[string]iamCachedCaller
}

type iamCachedCaller struct {
	caller Caller
	exp    time.Time
	pub    crypto.PublicKey // the key that verified it
}

var iamAccessTokens = &iamAuthCache{m: map[string]iamCachedCaller{}}

// authenticate verifies the request's bearer token; on failure it writes the 401
// and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, service string) (*Caller, bool) {
	tok, ok := Bearer(r)
	if !ok {
		s.WriteError(w, r, service, http.StatusUnauthorized, "unauthorized", "No authorization header found.")
		return nil, false
	}
	c, err := s.verifyAccessToken(tok)
	if err != nil {
		s.WriteError(w, r, service, http.StatusUnauthorized, "unauthorized",
			"The provided access token is invalid or expired: "+err.Error()+".")
		return nil, false
	}
	return c, true
}

// verifyAccessToken checks an access token's signature (the emulator's current
// key) and expiry (the emulator's clock) and returns its caller.
func (s *Server) verifyAccessToken(tok string) (*Caller, error) {
	key := s.account.AccessTokenKey()
	if key == nil {
		return nil, errors.New("no signing key")
	}
	now := s.Now()
	iamAccessTokens.mu.Lock()
	cc, hit := iamAccessTokens.m[tok]
	iamAccessTokens.mu.Unlock()
	if !hit || cc.pub != key.Public {
		var claims AccessClaims
		_, err := iamAccessParser.ParseWithClaims(tok, &claims, func(t *jwt.Token) (any, error) {
			if kid, _ := t.Header["kid"].(string); kid != key.KID {
				return nil, errors.New("unknown key id")
			}
			return key.Public, nil
		})
		if err != nil {
			return nil, errors.New("signature check failed")
		}
		if claims.ExpiresAt == nil || claims.IAMID == "" {
			return nil, errors.New("missing claims")
		}
		cc = iamCachedCaller{caller: Caller{IAMID: claims.IAMID, ProfileID: claims.Subject, AccountID: claims.Account.BSS},
			exp: claims.ExpiresAt.Time, pub: key.Public}
		iamAccessTokens.mu.Lock()
		if len(iamAccessTokens.m) > 4096 {
			clear(iamAccessTokens.m)
		}
		iamAccessTokens.m[tok] = cc
		iamAccessTokens.mu.Unlock()
	}
	if !now.Before(cc.exp) {
		return nil, errors.New("token expired")
	}
	c := cc.caller
	return &c, nil
}

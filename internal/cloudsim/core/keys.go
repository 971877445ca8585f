package core

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// SigningKey is a JWT signing key: the emulator's access-token key, a generated
// cluster's service-account key, or only the public half of a key that lives
// elsewhere (a real kube-apiserver's, loaded from its JWKS or PEM).
type SigningKey struct {
	KID    string
	Alg    string // RS256 or ES256
	Public crypto.PublicKey
	signer crypto.Signer // nil for public-only keys
}

// CanSign reports whether the private half is known.
func (k *SigningKey) CanSign() bool { return k != nil && k.signer != nil }

// iamKeyCache keeps generated keys per seed: a deterministic 2048-bit RSA key costs
// tens of milliseconds, and tests generate the same worlds over and over.
var iamKeyCache sync.Map // uint64 -> *rsa.PrivateKey

// GenerateSigningKey returns the RS256 key derived from seed (the same seed
// always gives the same key) with the given kid; "" uses the Kubernetes-style
// kid (base64url SHA-256 of the public key). For tests that need a key nobody
// trusts, pass any seed the world did not use.
func GenerateSigningKey(seed uint64, kid string) *SigningKey {
	var priv *rsa.PrivateKey
	if v, ok := iamKeyCache.Load(seed); ok {
		priv = v.(*rsa.PrivateKey)
	} else {
		priv = seededRSAKey(seed, 2048)
		iamKeyCache.Store(seed, priv)
	}
	k := &SigningKey{Alg: "RS256", Public: &priv.PublicKey, signer: priv, KID: kid}
	if kid == "" {
		k.KID = kubeKeyID(&priv.PublicKey)
	}
	return k
}

// NewSigningKey wraps a private key (RSA → RS256, ECDSA P-256 → ES256); "" kid
// uses the Kubernetes-style kid.
func NewSigningKey(priv crypto.Signer, kid string) (*SigningKey, error) {
	alg, err := keyAlg(priv.Public())
	if err != nil {
		return nil, err
	}
	if kid == "" {
		kid = kubeKeyID(priv.Public())
	}
	return &SigningKey{KID: kid, Alg: alg, Public: priv.Public(), signer: priv}, nil
}

func keyAlg(pub crypto.PublicKey) (string, error) {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return "RS256", nil
	case *ecdsa.PublicKey:
		if p.Curve == elliptic.P256() {
			return "ES256", nil
		}
	}
	return "", fmt.Errorf("unsupported public key type %T (want RSA or ECDSA P-256)", pub)
}

// seededRSAKey builds an RSA key from a seeded PRNG. crypto/rsa ignores the
// caller's randomness since Go 1.26, and the emulator's accounts must be
// reproducible from their seed, keys included. Test data only, never secrets.
func seededRSAKey(seed uint64, bits int) *rsa.PrivateKey {
	rng := rand.New(rand.NewPCG(seed, 0x6b65797365656421)) //nolint:gosec // reproducible test keys
	e := big.NewInt(65537)
	one := big.NewInt(1)
	for {
		p, q := seededRSAPrime(rng, bits/2), seededRSAPrime(rng, bits/2)
		if p.Cmp(q) == 0 {
			continue
		}
		n := new(big.Int).Mul(p, q)
		if n.BitLen() != bits {
			continue
		}
		pm, qm := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
		phi := new(big.Int).Mul(pm, qm)
		d := new(big.Int).ModInverse(e, phi)
		if d == nil {
			continue
		}
		key := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: 65537}, D: d, Primes: []*big.Int{p, q}}
		key.Precompute()
		if key.Validate() == nil {
			return key
		}
	}
}

func seededRSAPrime(rng *rand.Rand, bits int) *big.Int {
	buf := make([]byte, bits/8)
	for {
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		buf[0] |= 0xc0 // top two bits: the product has exactly 2*bits bits
		buf[len(buf)-1] |= 1
		base := new(big.Int).SetBytes(buf)
		// Sieve base+delta by the small primes first; only survivors get the
		// (expensive) Baillie-PSW test.
		rems := make([]uint64, len(sievePrimes))
		for i, sp := range sievePrimes {
			rems[i] = new(big.Int).Mod(base, big.NewInt(int64(sp))).Uint64()
		}
	next:
		for delta := uint64(0); delta < 1<<16; delta += 2 {
			for i, sp := range sievePrimes {
				if (rems[i]+delta)%sp == 0 {
					continue next
				}
			}
			p := new(big.Int).Add(base, new(big.Int).SetUint64(delta))
			if p.ProbablyPrime(0) {
				return p
			}
		}
	}
}

// sievePrimes are the odd primes below 2000.
var sievePrimes = func() []uint64 {
	var ps []uint64
	for n := uint64(3); n < 2000; n += 2 {
		prime := true
		for _, p := range ps {
			if p*p > n {
				break
			}
			if n%p == 0 {
				prime = false
				break
			}
		}
		if prime {
			ps = append(ps, n)
		}
	}
	return ps
}()

// kubeKeyID is the kid the kube-apiserver puts on service-account tokens:
// base64url(sha256(PKIX DER of the public key)).
func kubeKeyID(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// JWK is one entry of a JSON Web Key Set.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// JWKS is a JSON Web Key Set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// jwk returns the public JWK of k.
func (k *SigningKey) jwk() JWK {
	j := JWK{Kid: k.KID, Alg: k.Alg, Use: "sig"}
	switch p := k.Public.(type) {
	case *rsa.PublicKey:
		j.Kty = "RSA"
		j.N = base64.RawURLEncoding.EncodeToString(p.N.Bytes())
		j.E = base64.RawURLEncoding.EncodeToString(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PublicKey:
		j.Kty, j.Crv = "EC", "P-256"
		b, err := p.Bytes() // uncompressed point 0x04 || X || Y
		if err == nil && len(b) == 65 {
			j.X = base64.RawURLEncoding.EncodeToString(b[1:33])
			j.Y = base64.RawURLEncoding.EncodeToString(b[33:])
		}
	}
	return j
}

// KeySet returns the JWKS of keys.
func KeySet(keys []*SigningKey) JWKS {
	set := JWKS{Keys: make([]JWK, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.jwk())
	}
	return set
}

// ParseJWKS reads the public keys of a JWKS document (RSA and EC P-256 keys;
// other entries are skipped). A kube-apiserver serves one at
// /openid/v1/jwks.
func ParseJWKS(data []byte) ([]*SigningKey, error) {
	var set JWKS
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("parse jwks: %w", err)
	}
	var keys []*SigningKey
	for i, j := range set.Keys {
		k, err := j.key()
		if err != nil {
			return nil, fmt.Errorf("parse jwks: keys[%d]: %w", i, err)
		}
		if k != nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("parse jwks: no RSA or EC P-256 keys")
	}
	return keys, nil
}

func (j JWK) key() (*SigningKey, error) {
	dec := base64.RawURLEncoding.DecodeString
	switch j.Kty {
	case "RSA":
		n, err1 := dec(j.N)
		e, err2 := dec(j.E)
		if err := errors.Join(err1, err2); err != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
			return nil, fmt.Errorf("bad RSA modulus or exponent")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		return publicSigningKey(pub, j.Kid), nil
	case "EC":
		if j.Crv != "P-256" {
			return nil, nil
		}
		x, err1 := dec(j.X)
		y, err2 := dec(j.Y)
		if err := errors.Join(err1, err2); err != nil || len(x) != 32 || len(y) != 32 {
			return nil, fmt.Errorf("bad EC point")
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, fmt.Errorf("bad EC point: %w", err)
		}
		return publicSigningKey(pub, j.Kid), nil
	}
	return nil, nil
}

func publicSigningKey(pub crypto.PublicKey, kid string) *SigningKey {
	alg, _ := keyAlg(pub)
	if kid == "" {
		kid = kubeKeyID(pub)
	}
	return &SigningKey{KID: kid, Alg: alg, Public: pub}
}

// ParsePublicKeysPEM reads PEM "PUBLIC KEY" (PKIX) and "RSA PUBLIC KEY" blocks,
// as in a kube-apiserver's --service-account-key-file. Each key gets the kid
// the apiserver would give it.
func ParsePublicKeysPEM(data []byte) ([]*SigningKey, error) {
	var keys []*SigningKey
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		var pub crypto.PublicKey
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("parse pem %s: %w", block.Type, err)
		}
		if _, err := keyAlg(pub); err != nil {
			return nil, fmt.Errorf("parse pem: %w", err)
		}
		keys = append(keys, publicSigningKey(pub, ""))
	}
	if len(keys) == 0 {
		return nil, errors.New("parse pem: no public keys")
	}
	return keys, nil
}

// Sign returns the compact JWS of claims, with kid and alg in the header.
func (k *SigningKey) Sign(claims jwt.Claims) (string, error) {
	if !k.CanSign() {
		return "", fmt.Errorf("sign jwt: key %q has no private half", k.KID)
	}
	method := jwt.GetSigningMethod(k.Alg)
	if method == nil {
		return "", fmt.Errorf("sign jwt: unsupported alg %q", k.Alg)
	}
	t := jwt.NewWithClaims(method, claims)
	t.Header["kid"] = k.KID
	s, err := t.SignedString(k.signer)
	if err != nil {
		return "", fmt.Errorf("sign jwt: %w", err)
	}
	return s, nil
}

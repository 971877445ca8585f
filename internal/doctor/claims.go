package doctor

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Claims are what the doctor reads from a projected service-account token. The
// signature is not checked: IAM does that; the doctor explains what IAM will
// see.
type Claims struct {
	Issuer         string
	Subject        string
	Audience       []string
	IssuedAt       time.Time
	NotBefore      time.Time
	Expires        time.Time
	Namespace      string
	ServiceAccount string
	Pod            string
}

// ParseClaims decodes a JWT's header and claims without verifying it. It never
// panics on malformed input and its errors never contain the token.
func ParseClaims(token []byte) (Claims, error) {
	var c Claims
	parts := strings.Split(strings.TrimSpace(string(token)), ".")
	if len(parts) != 3 {
		return c, fmt.Errorf("a JWT has 3 dot-separated parts, this has %d", len(parts))
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodePart(parts[0], &header); err != nil {
		return c, fmt.Errorf("header: %w", err)
	}
	var raw struct {
		Iss  string          `json:"iss"`
		Sub  string          `json:"sub"`
		Aud  json.RawMessage `json:"aud"`
		Iat  *float64        `json:"iat"`
		Nbf  *float64        `json:"nbf"`
		Exp  *float64        `json:"exp"`
		Kube *struct {
			Namespace      string `json:"namespace"`
			ServiceAccount *struct {
				Name string `json:"name"`
			} `json:"serviceaccount"`
			Pod *struct {
				Name string `json:"name"`
			} `json:"pod"`
		} `json:"kubernetes.io"`
	}
	if err := decodePart(parts[1], &raw); err != nil {
		return c, fmt.Errorf("claims: %w", err)
	}
	c.Issuer, c.Subject = raw.Iss, raw.Sub
	// aud is a string or an array of strings (RFC 7519 4.1.3).
	var one string
	if json.Unmarshal(raw.Aud, &one) == nil {
		c.Audience = []string{one}
	} else {
		_ = json.Unmarshal(raw.Aud, &c.Audience)
	}
	c.IssuedAt, c.NotBefore, c.Expires = unix(raw.Iat), unix(raw.Nbf), unix(raw.Exp)
	if k := raw.Kube; k != nil {
		c.Namespace = k.Namespace
		if k.ServiceAccount != nil {
			c.ServiceAccount = k.ServiceAccount.Name
		}
		if k.Pod != nil {
			c.Pod = k.Pod.Name
		}
	}
	// Older tokens only carry the identity in sub.
	if ns, sa, ok := strings.Cut(strings.TrimPrefix(c.Subject, "system:serviceaccount:"), ":"); ok && c.Namespace == "" && strings.HasPrefix(c.Subject, "system:serviceaccount:") {
		c.Namespace, c.ServiceAccount = ns, sa
	}
	return c, nil
}

func decodePart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return errors.New("not base64url")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errors.New("not a JSON object")
	}
	return nil
}

func unix(f *float64) time.Time {
	if f == nil || *f < 0 || *f > 1e11 {
		return time.Time{}
	}
	return time.Unix(int64(*f), 0).UTC()
}

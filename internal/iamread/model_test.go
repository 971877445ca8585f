package iamread

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	want := time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)
	for _, s := range []string{"2025-01-02T03:04:00Z", "2025-01-02T03:04:00.000Z", "2025-01-02T03:04+0000", "2025-01-02T03:04:00+0000", "2025-01-02T04:04:00+01:00"} {
		if got, ok := ParseTime(s); !ok || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %t", s, got, ok)
		}
	}
	for _, s := range []string{"", "yesterday", "2025-13-01T00:00:00Z"} {
		if _, ok := ParseTime(s); ok {
			t.Errorf("ParseTime(%q) accepted", s)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	f.Add("2025-01-02T03:04+0000")
	f.Add("2025-01-02")
	f.Fuzz(func(t *testing.T, s string) {
		if got, ok := ParseTime(s); ok && got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) not in UTC", s)
		}
	})
}

func TestKindAndResource(t *testing.T) {
	for id, want := range map[string]string{"IBMid-123": KindUser, "iam-ServiceId-1": KindServiceID, "iam-Profile-1": KindProfile,
		"AccessGroupId-1": KindGroup, "crn:v1:x": KindOther} {
		if got := KindOf(id); got != want {
			t.Errorf("KindOf(%q) = %s, want %s", id, got, want)
		}
	}
	p := Policy{Resource: map[string]string{"accountId": "a", "zeta": "z", "serviceName": "kms", "alpha": "1"}}
	if got := p.ResourceText(); got != "serviceName=kms, alpha=1, zeta=z" {
		t.Errorf("ResourceText = %q", got)
	}
	if got := (Policy{Resource: map[string]string{"accountId": "a"}}).ResourceText(); got != "all account resources" {
		t.Errorf("account-wide ResourceText = %q", got)
	}
}

// TestParseTimeLayouts: every layout IAM writes (issue 12.3), and what is
// not a timestamp.
func TestParseTimeLayouts(t *testing.T) {
	want := time.Date(2025, 4, 10, 2, 0, 0, 0, time.UTC)
	for _, s := range []string{
		"2025-04-10T02:00+0000", "2025-04-10T02:00Z", "2025-04-10T04:00+0200", "2025-04-10T02:00+00:00",
		"2025-04-10T02:00:00Z", "2025-04-10T02:00:00.000Z", "2025-04-10T02:00:00+0000", "2025-04-10T02:00:00.000+0000",
		"2025-04-10T02:00:00", "2025-04-10T02:00", " 2025-04-10T02:00:00Z ", "1744250400", "1744250400000",
	} {
		if got, ok := ParseTime(s); !ok || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %t; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "last Tuesday", "2025-13-01", "10/04/2025", "0", "12345", "2025-04-10 02:00"} {
		if _, ok := ParseTime(s); ok {
			t.Errorf("ParseTime(%q) read a time", s)
		}
	}
}

package inventory

import (
	"strings"
	"testing"
)

func TestCRNFields(t *testing.T) {
	tests := []struct {
		crn, service, location string
	}{
		{"crn:v1:bluemix:public:cloud-object-storage:global:a/abc:1234-5678::", "cloud-object-storage", "global"},
		{"crn:v1:bluemix:public:kms:us-south:a/abc:guid::", "kms", "us-south"},
		{"crn:v1:bluemix:public:is:us-south-1:a/abc::vpc:r006-1", "is", "us-south-1"},
		{"crn:v1:bluemix:public", "", ""},
		{"", "", ""},
		{"not a crn", "", ""},
		{"crn:v1:bluemix:public:kms", "kms", ""},
	}
	for _, tt := range tests {
		t.Run(tt.crn, func(t *testing.T) {
			if got := serviceOf(tt.crn); got != tt.service {
				t.Errorf("service %q, want %q", got, tt.service)
			}
			if got := regionOf(&rcInstance{CRN: tt.crn}); got != tt.location {
				t.Errorf("location %q, want %q", got, tt.location)
			}
		})
	}
}

// FuzzCRN: the CRN reader never panics and returns a field without ':'.
func FuzzCRN(f *testing.F) {
	f.Add("crn:v1:bluemix:public:cloud-object-storage:global:a/abc:1234::")
	f.Add(":::::::")
	f.Add("")
	f.Fuzz(func(t *testing.T, crn string) {
		for n := range 10 {
			if s := crnField(crn, n); strings.Contains(s, ":") || len(s) > len(crn) {
				t.Fatalf("crnField(%q, %d) = %q", crn, n, s)
			}
		}
		_ = crnHash(crn)
	})
}

package ibmcloud_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustjob/trustjob/internal/ibmcloud"
)

func TestPages(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		name    string
		links   []*string // next link of each page
		param   string
		want    int
		wantErr string
	}{
		{"one page", []*string{nil}, "pagetoken", 1, ""},
		{"three pages", []*string{s("/v1/apikeys?pagetoken=a"), s("https://iam.cloud.ibm.com/v1/apikeys?pagetoken=b&pagesize=100"), nil}, "pagetoken", 3, ""},
		{"offset links", []*string{s("/v2/groups?offset=100&limit=100"), s("")}, "offset", 2, ""},
		{"a token twice", []*string{s("/x?start=a"), s("/x?start=a"), nil}, "start", 2, `page token "a" twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := 0
			err := ibmcloud.Pages(context.Background(), "list things", func(tok *string) (*string, error) {
				link := tt.links[pages]
				pages++
				return ibmcloud.NextToken(link, tt.param)
			})
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if pages != tt.want {
				t.Errorf("%d pages fetched, want %d", pages, tt.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ibmcloud.Pages(ctx, "list things", nil); err == nil || !strings.HasPrefix(err.Error(), "list things: ") {
		t.Errorf("cancelled: %v", err)
	}
}

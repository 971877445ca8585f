package ibmcloud_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/IBM/go-sdk-core/v5/core"

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

func TestEachPage(t *testing.T) {
	type page struct {
		items []int
		next  *string
	}
	s := func(v string) *string { return &v }
	pages := map[string]*page{"": {[]int{1, 2}, s("/x?start=b")}, "b": {[]int{3}, nil}}
	var got []int
	err := ibmcloud.EachPage(context.Background(), "list things", "Viewer",
		func(tok *string) (*page, *core.DetailedResponse, error) {
			k := ""
			if tok != nil {
				k = *tok
			}
			return pages[k], &core.DetailedResponse{StatusCode: 200}, nil
		},
		func(p *page) (*string, error) {
			got = append(got, p.items...)
			return ibmcloud.NextToken(p.next, "start")
		})
	if err != nil || len(got) != 3 {
		t.Fatalf("items %v, err %v", got, err)
	}
	err = ibmcloud.EachPage(context.Background(), "list things", "the trusted profile needs Viewer",
		func(*string) (*page, *core.DetailedResponse, error) {
			return nil, &core.DetailedResponse{StatusCode: 403}, errors.New("Forbidden")
		},
		func(*page) (*string, error) { t.Fatal("use called after a failed call"); return nil, nil })
	if !ibmcloud.IsPermission(err) || !strings.Contains(err.Error(), "list things: permission denied (403): the trusted profile needs Viewer") {
		t.Errorf("err = %v", err)
	}
	err = ibmcloud.EachPage(context.Background(), "list things", "",
		func(*string) (*page, *core.DetailedResponse, error) {
			return nil, &core.DetailedResponse{StatusCode: 204}, nil
		},
		func(*page) (*string, error) { return nil, nil })
	if err == nil || !strings.Contains(err.Error(), "HTTP 204 without a body") {
		t.Errorf("bodiless page: %v", err)
	}
}

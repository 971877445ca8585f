package cos_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trustjob/trustjob/internal/auth"
	"github.com/trustjob/trustjob/internal/cloudsim"
	simcos "github.com/trustjob/trustjob/internal/cloudsim/cos"
	"github.com/trustjob/trustjob/internal/deliver/cos"
	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/report"
	"github.com/trustjob/trustjob/internal/simtest"
)

const bucket = "reports"

// fixture is the emulator (IAM + COS) and a signed-in session.
type fixture struct {
	l      *cloudsim.Local
	sess   *auth.Session
	srv    *simcos.Server
	url    string
	runner string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	l, sess := simtest.Start(t, cloudsim.DefaultSpec(), cloudsim.Options{})
	srv := simcos.New(func(tok string) (simcos.Caller, error) {
		c, err := l.Sim.VerifyToken(tok)
		if err != nil {
			return simcos.Caller{}, err
		}
		return simcos.Caller{IAMID: c.IAMID, AccountID: c.AccountID}, nil
	})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	srv.CreateBucket(bucket, sess.Account)
	return &fixture{l: l, sess: sess, srv: srv, url: hs.URL, runner: sess.ProfileIAMID}
}

func (f *fixture) client(t *testing.T, copy bool, mod ...func(*cos.Options)) *cos.Client {
	t.Helper()
	o := cos.Options{Bucket: bucket, Endpoint: f.url, Prefix: "trustjob/", LatestByCopy: copy,
		Token: f.sess.Clients.Authenticator.(cos.TokenSource), AllowedHosts: []string{"127.0.0.1"},
		Account: f.sess.Account, RunID: "run1", Requests: f.sess.Clients.Requests, PartSize: 5 << 20}
	for _, m := range mod {
		m(&o)
	}
	c, err := cos.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// report writes DIR/<task>/<stamp>.<ext> and latest.<ext> like internal/report.
func writeReport(t *testing.T, dir, task, stamp string, body []byte, exts ...string) []string {
	t.Helper()
	var stamped, latest []string
	for _, ext := range exts {
		for _, name := range []string{stamp + "." + ext, "latest." + ext} {
			p := filepath.Join(dir, task, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		stamped = append(stamped, filepath.Join(dir, task, stamp+"."+ext))
		latest = append(latest, filepath.Join(dir, task, "latest."+ext))
	}
	return append(stamped, latest...)
}

func TestPublishLayout(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name  string
		copy  bool
		roles []simcos.Role
	}{
		{"Writer, latest by server-side copy", true, []simcos.Role{simcos.Writer}},
		{"Object Writer + Content Reader, latest by upload", false, []simcos.Role{simcos.ObjectWriter, simcos.ContentReader}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.srv.Revoke(bucket, f.runner)
			f.srv.Grant(bucket, f.runner, tt.roles...)
			dir := t.TempDir()
			body := []byte(`{"crn":"crn:a","name":"x"}` + "\n")
			files := writeReport(t, dir, "inventory", "20260101T020000Z", body, "jsonl", "md", "html")
			keys, err := f.client(t, tt.copy).PublishFiles(context.Background(), "inventory", files, true)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{
				"trustjob/inventory/20260101T020000Z.jsonl", "trustjob/inventory/20260101T020000Z.md", "trustjob/inventory/20260101T020000Z.html",
				"trustjob/inventory/latest.jsonl", "trustjob/inventory/latest.md", "trustjob/inventory/latest.html",
			}
			if strings.Join(keys, ",") != strings.Join(want, ",") {
				t.Errorf("keys %v, want %v (stamped first)", keys, want)
			}
			for key, ct := range map[string]string{
				"trustjob/inventory/latest.jsonl": "application/x-ndjson",
				"trustjob/inventory/latest.md":    "text/markdown; charset=utf-8",
				"trustjob/inventory/latest.html":  "text/html; charset=utf-8",
			} {
				o := f.srv.Object(bucket, key)
				if o == nil || o.ContentType != ct || !bytes.Equal(o.Body(), body) {
					t.Errorf("%s: %+v, want content type %s and the file's bytes", key, o, ct)
					continue
				}
				if o.Meta["Trustjob-Account"] != f.sess.Account || o.Meta["Trustjob-Complete"] != "true" {
					t.Errorf("%s metadata %v", key, o.Meta)
				}
			}
			// The change-report baseline reads back what was written.
			rc, err := f.client(t, tt.copy).OpenLatest(context.Background(), "inventory", "jsonl")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(got, body) {
				t.Errorf("baseline %q, want %q", got, body)
			}
		})
	}
}

func TestIncompleteReportKeepsLatest(t *testing.T) {
	f := newFixture(t)
	f.srv.Grant(bucket, f.runner, simcos.Writer)
	dir := t.TempDir()
	c := f.client(t, true)
	if _, err := c.PublishFiles(context.Background(), "inv", writeReport(t, dir, "inv", "20260101T020000Z", []byte("old\n"), "jsonl"), true); err != nil {
		t.Fatal(err)
	}
	inc := filepath.Join(dir, "inv", "20260102T020000Z.incomplete.jsonl")
	os.WriteFile(inc, []byte("partial\n"), 0o644)
	keys, err := c.PublishFiles(context.Background(), "inv", []string{inc}, false)
	if err != nil || len(keys) != 1 || keys[0] != "trustjob/inv/20260102T020000Z.incomplete.jsonl" {
		t.Fatalf("keys %v, err %v", keys, err)
	}
	if o := f.srv.Object(bucket, keys[0]); o == nil || o.Meta["Trustjob-Complete"] != "false" {
		t.Errorf("incomplete object %+v: want Trustjob-Complete false", o)
	}
	if got := string(f.srv.Object(bucket, "trustjob/inv/latest.jsonl").Body()); got != "old\n" {
		t.Errorf("latest.jsonl %q after an incomplete report, want the old one", got)
	}
}

// A killed upload (the run cancelled mid-way, or parts failing until the
// retries are spent) never replaces latest.*: the stamped object does not
// exist until its multipart upload completes, and latest.* is replaced only
// after that.
func TestKilledUploadNeverReplacesLatest(t *testing.T) {
	f := newFixture(t)
	f.srv.Grant(bucket, f.runner, simcos.Writer)
	dir := t.TempDir()
	c := f.client(t, true, func(o *cos.Options) { o.MaxRetries = 1 })
	if _, err := c.PublishFiles(context.Background(), "inv", writeReport(t, dir, "inv", "20260101T020000Z", []byte("old\n"), "jsonl"), true); err != nil {
		t.Fatal(err)
	}
	oldETag := f.srv.Object(bucket, "trustjob/inv/latest.jsonl").ETag
	big := bytes.Repeat([]byte(`{"crn":"crn:v1:x","name":"instance"}`+"\n"), 400_000) // ~14 MiB: 3 parts
	tests := []struct {
		name   string
		onPart func(cancel context.CancelFunc) func(context.Context, string, string, int) int
	}{
		{"process killed during part 2", func(cancel context.CancelFunc) func(context.Context, string, string, int) int {
			return func(_ context.Context, _, _ string, n int) int {
				if n == 2 {
					cancel() // the process dies while part 2 is on the wire
					return http.StatusInternalServerError
				}
				return 0
			}
		}},
		{"part 2 fails on every attempt", func(context.CancelFunc) func(context.Context, string, string, int) int {
			return func(_ context.Context, _, _ string, n int) int {
				if n == 2 {
					return http.StatusServiceUnavailable
				}
				return 0
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f.srv.OnPart = tt.onPart(cancel)
			defer func() { f.srv.OnPart = nil }()
			stamp := []string{"20260102T020000Z", "20260103T020000Z"}[i]
			keys, err := c.PublishFiles(ctx, "inv", writeReport(t, dir, "inv", stamp, big, "jsonl"), true)
			if err == nil {
				t.Fatalf("upload succeeded (keys %v), want an error", keys)
			}
			if len(keys) != 0 {
				t.Errorf("keys %v written by a failed upload", keys)
			}
			if o := f.srv.Object(bucket, "trustjob/inv/"+stamp+".jsonl"); o != nil {
				t.Error("the stamped object exists although its upload failed")
			}
			if o := f.srv.Object(bucket, "trustjob/inv/latest.jsonl"); o == nil || o.ETag != oldETag {
				t.Error("latest.jsonl was replaced by a failed upload")
			}
		})
	}
	// After the 503s the SDK aborted its upload: no parts left behind.
	// (A killed process cannot abort; the bucket's lifecycle rule
	// AbortIncompleteMultipartUpload removes those parts, docs/delivery.md.)
	if n := f.srv.Uploads(); n > 1 {
		t.Errorf("%d multipart uploads left open, want at most the killed one", n)
	}
}

func TestPermissionDeniedNamesRole(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	files := writeReport(t, dir, "inv", "20260101T020000Z", []byte("x\n"), "jsonl")
	tests := []struct {
		name  string
		roles []simcos.Role
		copy  bool
		do    func(c *cos.Client) error
		want  string
	}{
		{"no role: upload", nil, true, func(c *cos.Client) error {
			_, err := c.PublishFiles(context.Background(), "inv", files, true)
			return err
		}, `"Object Writer"`},
		{"Object Writer: copy to latest", []simcos.Role{simcos.ObjectWriter}, true, func(c *cos.Client) error {
			_, err := c.PublishFiles(context.Background(), "inv", files, true)
			return err
		}, `"Writer"`},
		{"Object Writer: read the baseline", []simcos.Role{simcos.ObjectWriter}, true, func(c *cos.Client) error {
			_, err := c.OpenLatest(context.Background(), "inv", "jsonl")
			return err
		}, `"Content Reader"`},
		{"Content Reader: delete the doctor probe", []simcos.Role{simcos.ObjectWriter, simcos.ContentReader}, false, func(c *cos.Client) error {
			_, _, err := c.Probe(context.Background(), "probe")
			return err
		}, `"Writer"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.srv.Revoke(bucket, f.runner)
			f.srv.Grant(bucket, f.runner, tt.roles...)
			err := tt.do(f.client(t, tt.copy))
			var ce *cos.Error
			if !errors.As(err, &ce) || ce.Status != http.StatusForbidden || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want a 403 naming %s", err, tt.want)
			}
			if !ibmcloud.IsPermission(err) {
				t.Error("ibmcloud.IsPermission is false for a COS 403")
			}
		})
	}
}

func TestRetries5xxAnd429(t *testing.T) {
	f := newFixture(t)
	f.srv.Grant(bucket, f.runner, simcos.Writer)
	var n atomic.Int64
	f.srv.OnRequest = func(r *http.Request) int {
		switch n.Add(1) {
		case 1:
			return http.StatusServiceUnavailable
		case 2:
			return http.StatusTooManyRequests
		}
		return 0
	}
	defer func() { f.srv.OnRequest = nil }()
	dir := t.TempDir()
	before := f.sess.Clients.Requests.Get(cos.Service)
	keys, err := f.client(t, true).PublishFiles(context.Background(), "inv", writeReport(t, dir, "inv", "20260101T020000Z", []byte("x\n"), "jsonl"), true)
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys %v, err %v; want success after a 503 and a 429", keys, err)
	}
	// PUT (503), PUT (429), PUT, COPY.
	if got := f.sess.Clients.Requests.Get(cos.Service) - before; got != 4 {
		t.Errorf("%d COS requests, want 4", got)
	}
}

func TestBaselineRules(t *testing.T) {
	f := newFixture(t)
	f.srv.Grant(bucket, f.runner, simcos.Writer)
	c := f.client(t, true)
	if _, err := c.OpenLatest(context.Background(), "inv", "jsonl"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no object: err %v, want fs.ErrNotExist", err)
	}
	dir := t.TempDir()
	other := f.client(t, true, func(o *cos.Options) { o.Account = "another-account" })
	if _, err := other.PublishFiles(context.Background(), "inv", writeReport(t, dir, "inv", "20260101T020000Z", []byte("x\n"), "jsonl"), true); err != nil {
		t.Fatal(err)
	}
	_, err := c.OpenLatest(context.Background(), "inv", "jsonl")
	if !errors.Is(err, report.ErrOtherAccount) {
		t.Errorf("another account's report: err %v, want report.ErrOtherAccount", err)
	}
	// Both passes of a change report read the same object version.
	if _, err := c.PublishFiles(context.Background(), "inv", writeReport(t, dir, "inv", "20260102T020000Z", []byte("v1\n"), "jsonl"), true); err != nil {
		t.Fatal(err)
	}
	l := c.Latest("inv", "jsonl")
	rc, err := l.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if _, err := c.PublishFiles(context.Background(), "inv", writeReport(t, dir, "inv", "20260103T020000Z", []byte("v2\n"), "jsonl"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "412") {
		t.Errorf("second pass after latest changed: err %v, want 412", err)
	}
}

func TestEndpointsAndHosts(t *testing.T) {
	tok := tokenFunc(func() (string, error) { return "t", nil })
	tests := []struct {
		endpoint, typ string
		allowed       []string
		want, err     string
	}{
		{"us-south", "public", nil, "https://s3.us-south.cloud-object-storage.appdomain.cloud", ""},
		{"eu-de", "direct", nil, "https://s3.direct.eu-de.cloud-object-storage.appdomain.cloud", ""},
		{"eu", "private", nil, "https://s3.private.eu.cloud-object-storage.appdomain.cloud", ""},
		{"https://s3.direct.jp-tok.cloud-object-storage.appdomain.cloud", "", nil, "https://s3.direct.jp-tok.cloud-object-storage.appdomain.cloud", ""},
		{"https://evil.example.com", "", nil, "", "not a COS host"},
		{"http://s3.us-south.cloud-object-storage.appdomain.cloud", "", nil, "", "https only"},
		{"http://127.0.0.1:9000", "", []string{"127.0.0.1"}, "http://127.0.0.1:9000", ""},
	}
	for _, tt := range tests {
		c, err := cos.New(cos.Options{Bucket: "b", Endpoint: tt.endpoint, EndpointType: tt.typ, Token: tok, AllowedHosts: tt.allowed})
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: err %v, want %q", tt.endpoint, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.endpoint, err)
		case tt.err == "" && c.Endpoint() != tt.want:
			t.Errorf("%s (%s): endpoint %s, want %s", tt.endpoint, tt.typ, c.Endpoint(), tt.want)
		}
	}
}

type tokenFunc func() (string, error)

func (f tokenFunc) GetToken() (string, error) { return f() }

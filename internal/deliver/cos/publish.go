package cos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"net/url"

	"github.com/IBM/ibm-cos-sdk-go/aws"
	"github.com/IBM/ibm-cos-sdk-go/aws/awserr"
	"github.com/IBM/ibm-cos-sdk-go/aws/request"
	"github.com/IBM/ibm-cos-sdk-go/service/s3"
	"github.com/IBM/ibm-cos-sdk-go/service/s3/s3manager"

	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/report"
)

// Object metadata trustjob sets (x-amz-meta-*).
const (
	MetaAccount  = "Trustjob-Account"
	MetaRun      = "Trustjob-Run-Id"
	MetaComplete = "Trustjob-Complete"
)

// SummaryFolder holds the run summaries under the prefix.
const SummaryFolder = "run-summary"

// MetricsFolder holds the metrics textfile under the prefix: one object,
// replaced every run, as node-exporter's textfile directory holds one file.
// Each run's numbers stay in its stamped run summary.
const MetricsFolder = "metrics"

// ContentType is the Content-Type of a report file by extension.
func ContentType(name string) string {
	switch strings.TrimPrefix(path.Ext(name), ".") {
	case "jsonl":
		return "application/x-ndjson"
	case "json":
		return "application/json"
	case "csv":
		return "text/csv; charset=utf-8"
	case "md":
		return "text/markdown; charset=utf-8"
	case "html", "htm":
		return "text/html; charset=utf-8"
	case "prom":
		// The textfile is OpenMetrics 1.0 (internal/metrics.WriteTextfile).
		return "application/openmetrics-text; version=1.0.0; charset=utf-8"
	}
	return "application/octet-stream"
}

// Key is the object key of name (a file name such as 20260101T020000Z.jsonl)
// in folder (a task name or SummaryFolder).
func (c *Client) Key(folder, name string) string { return c.prefix + folder + "/" + name }

// URI names an object for people: cos://bucket/key.
func (c *Client) URI(key string) string { return "cos://" + c.bucket + "/" + key }

// PublishFiles uploads one folder's files: every file not named latest.* is
// uploaded under its own name first; only when all of them are complete is
// each latest.<ext> replaced (a server-side copy of the stamped object of the
// same extension, or a second upload). An incomplete report
// (<stamp>.incomplete.<ext>) has no latest file in files and so never
// replaces latest.*. It returns the keys written, in order, even on error.
func (c *Client) PublishFiles(ctx context.Context, folder string, files []string, complete bool) ([]string, error) {
	var stamped, latest []string
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "latest.") {
			latest = append(latest, f)
		} else {
			stamped = append(stamped, f)
		}
	}
	var keys []string
	byExt := map[string]string{}
	for _, f := range stamped {
		key := c.Key(folder, filepath.Base(f))
		if err := c.upload(ctx, key, f, complete); err != nil {
			return keys, err
		}
		keys = append(keys, key)
		byExt[path.Ext(f)] = key
	}
	if !complete {
		return keys, nil
	}
	for _, f := range latest {
		key := c.Key(folder, filepath.Base(f))
		src, ok := byExt[path.Ext(f)]
		var err error
		if c.copy && ok {
			err = c.copyObject(ctx, src, key)
		} else {
			err = c.upload(ctx, key, f, true)
		}
		if err != nil {
			return keys, err
		}
		keys = append(keys, key)
	}
	return keys, nil
}

func (c *Client) meta(complete bool) map[string]*string {
	return map[string]*string{
		MetaAccount: aws.String(c.account), MetaRun: aws.String(c.runID),
		MetaComplete: aws.String(strconv.FormatBool(complete)),
	}
}

// upload streams file to key: one PUT up to the part size, else a multipart
// upload that is aborted on failure. The object appears only when complete.
func (c *Client) upload(ctx context.Context, key, file string, complete bool) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("upload %s: %w", c.URI(key), err)
	}
	defer f.Close()
	_, err = c.up.UploadWithContext(ctx, &s3manager.UploadInput{
		Bucket: aws.String(c.bucket), Key: aws.String(key), Body: f,
		ContentType: aws.String(ContentType(file)), Metadata: c.meta(complete),
	})
	return c.explain("upload", "PUT", key, err)
}

func (c *Client) copyObject(ctx context.Context, src, dst string) error {
	_, err := c.s3.CopyObjectWithContext(ctx, &s3.CopyObjectInput{
		Bucket: aws.String(c.bucket), Key: aws.String(dst),
		CopySource:        aws.String(copySource(c.bucket + "/" + src)),
		MetadataDirective: aws.String(s3.MetadataDirectiveCopy),
	})
	return c.explain("copy to", "COPY", dst, err)
}

// copySource escapes a copy source the way S3 expects (each segment).
func copySource(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(pathEscape(s), "+", "%2B")
	}
	return strings.Join(parts, "/")
}

// OpenLatest streams folder's latest.<ext> (report.Previous). The first call
// remembers the object's ETag; later calls ask for that same version
// (If-Match), so the two passes of a change report read the same object. An
// object another account wrote is refused with report.ErrOtherAccount.
func (c *Client) OpenLatest(ctx context.Context, folder, ext string) (io.ReadCloser, error) {
	return c.Latest(folder, ext).Open(ctx)
}

// Describe names folder's latest.<ext> (report.Previous).
func (c *Client) Describe(folder, ext string) string { return c.URI(c.Key(folder, "latest."+ext)) }

// Latest is one latest.<ext> object pinned to the version first read.
type Latest struct {
	c    *Client
	key  string
	etag string
}

// Latest returns a reader of folder's latest.<ext>.
func (c *Client) Latest(folder, ext string) *Latest {
	return &Latest{c: c, key: c.Key(folder, "latest."+ext)}
}

// Open streams the object.
func (l *Latest) Open(ctx context.Context) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(l.c.bucket), Key: aws.String(l.key)}
	if l.etag != "" {
		in.IfMatch = aws.String(l.etag)
	}
	out, err := l.c.s3.GetObjectWithContext(ctx, in)
	if err != nil {
		if status(err) == http.StatusNotFound || code(err) == s3.ErrCodeNoSuchKey {
			return nil, fmt.Errorf("%s: %w", l.c.URI(l.key), fs.ErrNotExist)
		}
		return nil, l.c.explain("read", "GET", l.key, err)
	}
	if acct := metaValue(out.Metadata, MetaAccount); acct != l.c.account {
		out.Body.Close()
		if acct == "" {
			acct = "unknown"
		}
		return nil, fmt.Errorf("%s was written for account %s, this run is account %s: %w",
			l.c.URI(l.key), acct, l.c.account, report.ErrOtherAccount)
	}
	if l.etag == "" && out.ETag != nil {
		l.etag = *out.ETag
	}
	return out.Body, nil
}

func metaValue(m map[string]*string, key string) string {
	for k, v := range m {
		if strings.EqualFold(k, key) && v != nil {
			return *v
		}
	}
	return ""
}

// Head checks the bucket exists and the profile may read it (doctor).
func (c *Client) Head(ctx context.Context) error {
	_, err := c.s3.HeadBucketWithContext(ctx, &s3.HeadBucketInput{Bucket: aws.String(c.bucket)})
	return c.explain("check bucket", "HEAD", "", err)
}

// Probe writes a small object under <prefix>.doctor/ and deletes it again
// (doctor). deleted is false when the object stays (the delete was refused;
// the bucket's lifecycle rule expires it).
func (c *Client) Probe(ctx context.Context, name string) (key string, deleted bool, err error) {
	key = c.prefix + ".doctor/" + name
	_, err = c.s3.PutObjectWithContext(ctx, &s3.PutObjectInput{
		Bucket: aws.String(c.bucket), Key: aws.String(key), ContentType: aws.String("text/plain; charset=utf-8"),
		Body: strings.NewReader("trustjob doctor probe: safe to delete\n"), Metadata: c.meta(true),
	})
	if err != nil {
		return key, false, c.explain("write probe", "PUT", key, err)
	}
	_, err = c.s3.DeleteObjectWithContext(ctx, &s3.DeleteObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key)})
	if err != nil {
		return key, false, c.explain("delete probe", "DELETE", key, err)
	}
	return key, true, nil
}

// Error is a failed COS call: what was done, the HTTP status and, for a 403,
// the role the trusted profile lacks.
type Error struct {
	Op     string // "upload", "copy to", "read", ...
	URI    string
	Status int
	Code   string
	// Role is the IAM service role that allows the operation, for a 403.
	Role string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "COS %s %s", e.Op, e.URI)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Role != "" {
		fmt.Fprintf(&b, ": the trusted profile needs the Cloud Object Storage %s role on this bucket (docs/iam-setup.md)", e.Role)
		return b.String()
	}
	fmt.Fprintf(&b, ": %s", firstLine(e.Err))
	return b.String()
}

// Unwrap gives the SDK error inside an *ibmcloud.CallError carrying the
// status, so ibmcloud.HTTPStatus and IsPermission classify COS failures like
// any other IBM Cloud call.
func (e *Error) Unwrap() error {
	return &ibmcloud.CallError{Service: Service, Op: e.Op + " " + e.URI, Status: e.Status, Need: e.Role, Err: e.Err}
}

// HTTPStatus is the status of the failed call (0 without an answer).
func (e *Error) HTTPStatus() int { return e.Status }

// PermissionDenied reports a 401 or 403 (runner.PermissionDenied).
func (e *Error) PermissionDenied() bool {
	return e.Status == http.StatusForbidden || e.Status == http.StatusUnauthorized
}

// roles names, per kind of request, the least COS service role that allows
// it (IAM docs, iam-service-roles.md, "Cloud Object Storage").
var roles = map[string]string{
	"PUT":    `"Object Writer" (or Writer)`,
	"COPY":   `"Writer" (a server-side copy needs object.copy; or set output.cos.latest: upload)`,
	"GET":    `"Content Reader" (or Object Reader, Reader, Writer)`,
	"HEAD":   `"Content Reader" (or Reader, Writer)`,
	"LIST":   `"Content Reader" (or Reader, Writer)`,
	"DELETE": `"Writer"`,
}

func (c *Client) explain(op, kind, key string, err error) error {
	if err == nil {
		return nil
	}
	uri := "cos://" + c.bucket
	if key != "" {
		uri = c.URI(key)
	}
	e := &Error{Op: op, URI: uri, Status: status(err), Code: code(err), Err: err}
	if e.Status == http.StatusForbidden {
		e.Role = roles[kind]
	}
	return e
}

// status finds the HTTP status of an SDK error (a multipart failure wraps the
// part's request failure).
func status(err error) int {
	for err != nil {
		if rf, ok := err.(awserr.RequestFailure); ok {
			return rf.StatusCode()
		}
		if ae, ok := err.(awserr.Error); ok && ae.OrigErr() != nil {
			err = ae.OrigErr()
			continue
		}
		err = errors.Unwrap(err)
	}
	return 0
}

func code(err error) string {
	var ae awserr.Error
	for err != nil {
		if a, ok := err.(awserr.Error); ok {
			ae = a
			if a.Code() != request.ErrCodeRequestError && a.OrigErr() != nil {
				if _, inner := a.OrigErr().(awserr.Error); inner {
					err = a.OrigErr()
					continue
				}
			}
			break
		}
		err = errors.Unwrap(err)
	}
	if ae == nil {
		return ""
	}
	return ae.Code()
}

func firstLine(err error) string {
	if err == nil {
		return ""
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func pathEscape(s string) string { return (&url.URL{Path: s}).EscapedPath() }

// PublishRoot uploads file directly under the prefix (the run's index.html).
func (c *Client) PublishRoot(ctx context.Context, file string) (string, error) {
	key := c.prefix + filepath.Base(file)
	return key, c.upload(ctx, key, file, true)
}

// PublishMetrics uploads the metrics textfile to <prefix>metrics/<name>,
// replacing the previous run's.
func (c *Client) PublishMetrics(ctx context.Context, file string) (string, error) {
	key := c.Key(MetricsFolder, filepath.Base(file))
	return key, c.upload(ctx, key, file, true)
}

package cos

import (
	"context"
	"io"
	"path"
	"strings"
	"time"

	"github.com/IBM/ibm-cos-sdk-go/aws"
	"github.com/IBM/ibm-cos-sdk-go/service/s3"

	"github.com/trustjob/trustjob/internal/report"
)

// Recent implements report.History over the bucket: the run summaries every
// run already writes (<prefix>run-summary/<stamp>.json) are the history, so
// index.html's trend spans Jobs that share no volume and no extra object is
// written. The listing is paged and only the newest n keys are held (stamps
// sort by time, and ListObjectsV2 lists in key order); each summary is read
// with a capped body. A summary that cannot be read, or that another account
// wrote, is skipped: the trend is a picture, not a record. Listing needs
// Content Reader (or Reader, Writer); without it the error names the role.
func (c *Client) Recent(ctx context.Context, n int) ([]report.RunPoint, error) {
	if n <= 0 {
		return nil, nil
	}
	keys, err := c.newestSummaries(ctx, n)
	if err != nil {
		return nil, err
	}
	var out []report.RunPoint
	for _, key := range keys {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if p, ok := c.runPoint(ctx, key); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// newestSummaries lists <prefix>run-summary/ and keeps the last n stamped
// keys, oldest first.
func (c *Client) newestSummaries(ctx context.Context, n int) ([]string, error) {
	folder := c.Key(SummaryFolder, "")
	var keys []string
	in := &s3.ListObjectsV2Input{Bucket: aws.String(c.bucket), Prefix: aws.String(folder)}
	if c.listPage > 0 {
		in.MaxKeys = aws.Int64(c.listPage)
	}
	err := c.s3.ListObjectsV2PagesWithContext(ctx, in, func(page *s3.ListObjectsV2Output, _ bool) bool {
		for _, o := range page.Contents {
			key := aws.StringValue(o.Key)
			if !isStampedSummary(strings.TrimPrefix(key, folder)) {
				continue
			}
			if len(keys) == n {
				copy(keys, keys[1:])
				keys = keys[:n-1]
			}
			keys = append(keys, key)
		}
		return true
	})
	if err != nil {
		return nil, c.explain("list", "LIST", folder, err)
	}
	return keys, nil
}

// isStampedSummary: <stamp>.json directly in the folder (not latest.json).
func isStampedSummary(name string) bool {
	if strings.Contains(name, "/") || path.Ext(name) != ".json" || len(name) < len(report.StampLayout) {
		return false
	}
	_, err := time.Parse(report.StampLayout, name[:len(report.StampLayout)])
	return err == nil
}

func (c *Client) runPoint(ctx context.Context, key string) (report.RunPoint, bool) {
	out, err := c.s3.GetObjectWithContext(ctx, &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key)})
	if err != nil {
		c.log.Debug("run summary skipped for the trend", "object", c.URI(key), "err", c.explain("read", "GET", key, err))
		return report.RunPoint{}, false
	}
	defer out.Body.Close()
	if acct := metaValue(out.Metadata, MetaAccount); acct != c.account {
		c.log.Debug("run summary of another account skipped for the trend", "object", c.URI(key), "account", acct)
		return report.RunPoint{}, false
	}
	p, err := report.ParseRunPoint(io.LimitReader(out.Body, report.MaxRunSummary))
	if err != nil {
		c.log.Debug("run summary skipped for the trend", "object", c.URI(key), "err", err)
		return report.RunPoint{}, false
	}
	return p, true
}

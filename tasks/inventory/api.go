package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
	gojson "github.com/goccy/go-json"

	"github.com/trustjob/trustjob/internal/ibmcloud"
	"github.com/trustjob/trustjob/internal/wait"
)

// service is one IBM Cloud API the task calls. It keeps go-sdk-core's
// authentication, URL handling and headers but turns the SDK's retries off on
// its own copy of the BaseService: this package retries itself, so that every
// 429 reaches the limiter (the SDK would absorb them, then fail the run).
type service struct {
	name     string
	svc      *core.BaseService
	lim      *limiter
	requests atomic.Int64 // attempts, including retries
}

func newService(name string, base *core.BaseService, lim *limiter) *service {
	c := base.Clone()
	c.DisableRetries()
	return &service{name: name, svc: c, lim: lim}
}

// caller sends requests with bounded retries: 429 (waiting Retry-After, or a
// backoff, while the limiter narrows its window), 5xx other than 501, transport
// errors, truncated or malformed bodies, and attempts that hang past
// attemptTimeout. Other statuses fail at once.
type caller struct {
	log            *slog.Logger
	maxAttempts    int // for 5xx, transport and decoding failures
	maxThrottled   int // for 429s of one request
	attemptTimeout time.Duration
	backoffBase    time.Duration
	backoffMax     time.Duration
	retries        atomic.Int64
}

func newCaller(log *slog.Logger) *caller {
	return &caller{log: log, maxAttempts: 6, maxThrottled: 30, attemptTimeout: 2 * time.Minute,
		backoffBase: 250 * time.Millisecond, backoffMax: 15 * time.Second}
}

// failed is a call that failed for good, as the one API error type.
func (s *service) failed(op string, status int, err error) error {
	return &ibmcloud.CallError{Service: s.name, Op: op, Status: status, Err: err}
}

// request is one API call; decode reads a 2xx body, whole (it may be called
// again on a retry, so it must reset what it fills; the body is only valid
// during the call).
type request struct {
	op     string // what is being done, for errors: "list resource instances"
	method string
	path   string
	query  url.Values
	body   any
	decode func([]byte) error
	// priority orders waiting requests (limiter.go); 0 for most.
	priority int
}

func (c *caller) call(ctx context.Context, s *service, rq request) error {
	throttled, failed := 0, 0
	for {
		t, err := s.lim.acquire(ctx, rq.priority)
		if err != nil {
			return s.failed(rq.op, 0, err)
		}
		status, retryAfter, body, err := c.once(ctx, s, rq)
		if err == nil {
			// The answer is in: its slot goes to the next request while
			// this one's body is decoded.
			s.lim.release(t, outcomeOK)
			err = rq.decode(body.Bytes())
			putBuffer(body)
			if err == nil {
				return nil
			}
			if ibmcloud.Permanent(err) || ctx.Err() != nil {
				return s.failed(rq.op, status, fmt.Errorf("decode %s answer: %w", s.name, err))
			}
			// A malformed body may be a cut answer: retried like one.
			failed++
			if failed >= c.maxAttempts {
				return s.failed(rq.op, status, fmt.Errorf("gave up after %d attempts: decode %s answer: %w", failed, s.name, err))
			}
			if err := c.wait(ctx, s, rq, 0, c.backoff(failed)); err != nil {
				return err
			}
			continue
		}
		switch {
		case ctx.Err() != nil:
			s.lim.release(t, outcomeFailed)
			return s.failed(rq.op, 0, ctx.Err())
		case ibmcloud.Permanent(err): // refused endpoint, oversized answer: no retry changes it
			s.lim.release(t, outcomeFailed)
			return s.failed(rq.op, status, err)
		case status == http.StatusTooManyRequests:
			s.lim.release(t, outcomeThrottled)
			throttled++
			if throttled > c.maxThrottled {
				return s.failed(rq.op, status, fmt.Errorf("still rate limited after %d attempts: %w", throttled, err))
			}
			wait := retryAfter
			if wait <= 0 {
				wait = c.backoff(throttled)
			}
			if err := c.wait(ctx, s, rq, status, wait); err != nil {
				return err
			}
		case retryable(status):
			s.lim.release(t, outcomeFailed)
			failed++
			if failed >= c.maxAttempts {
				return s.failed(rq.op, status, fmt.Errorf("gave up after %d attempts: %w", failed, err))
			}
			wait := retryAfter
			if wait <= 0 {
				wait = c.backoff(failed)
			}
			if err := c.wait(ctx, s, rq, status, wait); err != nil {
				return err
			}
		default:
			s.lim.release(t, outcomeOK) // the service answered; it just said no
			return s.failed(rq.op, status, err)
		}
	}
}

// retryable: 5xx except 501 (as the SDK's own policy), and failures without an
// HTTP status (transport errors, timeouts of one attempt, bad bodies).
func retryable(status int) bool {
	return status == 0 || (status >= 500 && status != http.StatusNotImplemented)
}

func (c *caller) wait(ctx context.Context, s *service, rq request, status int, d time.Duration) error {
	c.retries.Add(1)
	c.log.Debug("retrying", "service", s.name, "op", rq.op, "status", status, "after", d)
	if wait.Sleep(ctx, d) != nil {
		return s.failed(rq.op, 0, ctx.Err())
	}
	return nil
}

// backoff is exponential with full jitter, capped.
func (c *caller) backoff(attempt int) time.Duration {
	d := c.backoffBase << min(attempt-1, 16)
	d = min(d, c.backoffMax)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// once sends one attempt and reads a 2xx body whole (at most maxBody bytes)
// into a pooled buffer, so the request is over when it returns. It returns the
// HTTP status (0 without an answer) and the wait the answer asked for.
func (c *caller) once(ctx context.Context, s *service, rq request) (int, time.Duration, *bytes.Buffer, error) {
	s.requests.Add(1)
	actx, cancel := context.WithTimeout(ctx, c.attemptTimeout)
	defer cancel()
	b := core.NewRequestBuilder(rq.method).WithContext(actx)
	if _, err := b.ResolveRequestURL(s.svc.GetServiceURL(), rq.path, nil); err != nil {
		return http.StatusBadRequest, 0, nil, err // a bad URL will not heal
	}
	b.AddHeader("Accept", "application/json")
	for k, vs := range rq.query {
		for _, v := range vs {
			b.AddQuery(k, v)
		}
	}
	if rq.body != nil {
		b.AddHeader("Content-Type", "application/json")
		if _, err := b.SetBodyContentJSON(rq.body); err != nil {
			return http.StatusBadRequest, 0, nil, err
		}
	}
	req, err := b.Build()
	if err != nil {
		return http.StatusBadRequest, 0, nil, err
	}
	// An io.ReadCloser result makes BaseService.Request hand back the body
	// undecoded; goccy/go-json into lean structs is several times cheaper than
	// the SDK's generic model unmarshalling (see BENCHMARKS.md).
	var body io.ReadCloser
	resp, err := s.svc.Request(req, &body)
	if err != nil {
		status := 0
		var after time.Duration
		if resp != nil {
			status = resp.StatusCode
			// Retry-After, else X-RateLimit-Reset (what Resource Controller
			// documents for its 429s).
			after, _ = ibmcloud.RateLimitWait(resp.Headers, time.Now())
		}
		return status, after, nil, err
	}
	defer body.Close()
	buf := getBuffer()
	n, err := buf.ReadFrom(io.LimitReader(body, maxBody+1))
	switch {
	case err != nil:
		putBuffer(buf)
		return 0, 0, nil, fmt.Errorf("read %s answer: %w", s.name, err)
	case n > maxBody:
		putBuffer(buf)
		return 0, 0, nil, fmt.Errorf("read %s answer: larger than %d MiB: %w", s.name, maxBody>>20, ibmcloud.ErrBodyTooLarge)
	}
	return resp.StatusCode, 0, buf, nil
}

// Answer buffers are reused: a page is read whole, decoded (the decoder copies
// what it keeps), then the buffer goes back. One larger than a Search page is
// let go, so a rare large answer does not stay allocated.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const keptBuffer = 2 << 20

func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > keptBuffer {
		return
	}
	b.Reset()
	buffers.Put(b)
}

// statusOf returns the HTTP status of a failed call (0 if none).
func statusOf(err error) int { return ibmcloud.HTTPStatus(err) }

// decodeJSON decodes one answer body (read whole by caller.once, at most
// maxBody bytes) into out with goccy/go-json's Unmarshal: on a Resource
// Controller page of 100 instances that takes a third of the CPU of
// encoding/json and a tenth of its allocations (BENCHMARKS.md), and decoding
// is most of the task's CPU. Unmarshal copies the body once, into a buffer of
// exactly its size; its stream decoder would copy it into one doubling from
// 512 bytes (5 of the run's 10 MB of live heap at 1,000,000 instances;
// BENCHMARKS.md, "Memory, third round").
//
// Decoded strings point into that copy, so one string kept beyond its page
// keeps the whole page alive (a map of 1,000 Search cursors held 440 MB).
// What outlives a page is therefore a hash (cursors seen) or a clone (keep):
// map keys, tag sets, group IDs; a page's own strings are compacted
// (rcPage.compact). Read errors (a cut connection, the body cap) are
// caller.once's: they never reach a decoder.
func decodeJSON[T any](out *T) func([]byte) error {
	return func(body []byte) error {
		// Decoding into a pointer to out: a JSON null sets the pointer to nil
		// (and leaves out alone), which is how a `200 null` is told from an
		// empty answer (issue 12.9). An object still decodes into out itself,
		// so slices are reused as before.
		p := out
		if err := gojson.Unmarshal(body, &p); err != nil {
			return err
		}
		if p == nil {
			return errNullAnswer
		}
		compactStrings(out)
		return nil
	}
}

// stringCompacter is a decoded answer that can copy the strings it keeps
// out of the buffer it was decoded from (see rcPage.compact).
type stringCompacter interface{ compact() }

func compactStrings(v any) {
	if c, ok := v.(stringCompacter); ok {
		c.compact()
	}
}

// decodeResources decodes an unpaged answer whose `resources` array must be
// there (resource groups, reclamations) into dst: a 200 without it is an
// error, never an empty list that would drop every group or reclamation.
func decodeResources[T any](dst *[]T) func([]byte) error {
	return func(b []byte) error {
		var body struct {
			Resources *[]T `json:"resources"`
		}
		if err := decodeJSON(&body)(b); err != nil {
			return err
		}
		if body.Resources == nil {
			return errors.New("the answer has no resources array")
		}
		*dst = *body.Resources
		return nil
	}
}

// errNullAnswer is a 2xx whose body is JSON null: no page, never an empty one.
var errNullAnswer = errors.New("the answer is null, not a JSON object")

// maxBody caps one answer: a page of 100 instances is about 200 KB, a Search
// page of 1,000 items about 1 MB.
const maxBody = 32 << 20

// Wire shapes: only the fields the inventory reads, as IBM documents them in
// the Resource Controller v2, Resource Manager v2 and Global Search v3 API
// references. encoding/json skips the rest of each record without building it.

type rcInstance struct {
	CRN             string `json:"crn"`
	GUID            string `json:"guid"`
	Name            string `json:"name"`
	RegionID        string `json:"region_id"`
	ResourceGroupID string `json:"resource_group_id"`
	ResourcePlanID  string `json:"resource_plan_id"`
	State           string `json:"state"`
	Type            string `json:"type"`
	CreatedAt       string `json:"created_at"`
	CreatedBy       string `json:"created_by"`
	UpdatedAt       string `json:"updated_at"`
	Locked          bool   `json:"locked"`
}

type rcPage struct {
	RowsCount *int         `json:"rows_count"` // nil: not sent (a page that is no page)
	NextURL   *string      `json:"next_url"`
	Resources []rcInstance `json:"resources"`
}

// compact copies the strings the page keeps into one allocation of their
// size, so that the buffer the page was decoded from (all of each instance's
// JSON, about 2 KB an instance) is garbage as soon as decoding ends, not when
// the page has been written. Decoded pages wait for the writer while other
// partitions' requests go on: at 1,000,000 instances they held 5-6 MB of live
// heap, which the collector's headroom doubled. What is kept is about a sixth
// (BENCHMARKS.md, "Memory, third round").
func (p *rcPage) compact() {
	n := 0
	p.eachString(func(s *string) { n += len(*s) })
	var b strings.Builder
	b.Grow(n)
	p.eachString(func(s *string) { b.WriteString(*s) })
	all, off := b.String(), 0
	p.eachString(func(s *string) {
		*s = all[off : off+len(*s)]
		off += len(*s)
	})
}

func (p *rcPage) eachString(fn func(*string)) {
	if p.NextURL != nil {
		fn(p.NextURL)
	}
	for k := range p.Resources {
		r := &p.Resources[k]
		fn(&r.CRN)
		fn(&r.GUID)
		fn(&r.Name)
		fn(&r.RegionID)
		fn(&r.ResourceGroupID)
		fn(&r.ResourcePlanID)
		fn(&r.State)
		fn(&r.Type)
		fn(&r.CreatedAt)
		fn(&r.CreatedBy)
		fn(&r.UpdatedAt)
	}
}

type rmGroup struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Default bool   `json:"default"`
}

type reclamation struct {
	ID                 string `json:"id"`
	ResourceInstanceID string `json:"resource_instance_id"`
	ResourceGroupID    string `json:"resource_group_id"`
	EntityCRN          string `json:"entity_crn"`
	State              string `json:"state"`
	TargetTime         string `json:"target_time"`
}

type searchItem struct {
	CRN         string   `json:"crn"`
	Tags        []string `json:"tags"`
	ServiceTags []string `json:"service_tags"`
	AccessTags  []string `json:"access_tags"`
}

type searchPage struct {
	SearchCursor string       `json:"search_cursor"`
	Items        []searchItem `json:"items"`
}

// startToken reads the start parameter out of a (relative) next_url; "" ends
// the listing.
func startToken(next *string) (string, error) {
	if next == nil || *next == "" {
		return "", nil
	}
	u, err := url.Parse(*next)
	if err != nil {
		return "", fmt.Errorf("bad next_url %q: %w", *next, err)
	}
	start := u.Query().Get("start")
	if start == "" {
		return "", fmt.Errorf("next_url %q has no start token", *next)
	}
	return start, nil
}

// keep returns a copy of s that does not pin the page it was decoded from.
func keep(s string) string { return strings.Clone(s) }

// inc counts k in m, cloning k when it becomes a key.
func inc(m map[string]int, k string) {
	if _, ok := m[k]; !ok {
		k = keep(k)
	}
	m[k]++
}

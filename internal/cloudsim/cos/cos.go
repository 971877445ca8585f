// Package cos emulates the subset of the IBM Cloud Object Storage S3 API that
// trustjob uses, path style: PUT, multipart create/part/complete/abort, GET,
// HEAD (object and bucket), server-side copy, DELETE and ListObjectsV2, with
// IAM bearer authentication and per-bucket role grants that follow IBM's
// role-to-action table (IAM docs, iam-service-roles.md, "Cloud Object
// Storage"): Object Writer can put and upload parts but cannot read, list,
// copy or delete; a copy needs Writer.
//
// Object bodies are kept as their uploaded parts (a copy shares them), so a
// large report costs its size once. Errors are COS's XML error bodies.
package cos

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Role is a COS service role.
type Role string

// The COS service roles (display names as the IAM CLI takes them).
const (
	ObjectWriter  Role = "Object Writer"
	ObjectReader  Role = "Object Reader"
	ContentReader Role = "Content Reader"
	Reader        Role = "Reader"
	Writer        Role = "Writer"
	Manager       Role = "Manager"
)

// Operations, as the role table distinguishes them.
const (
	OpPut        = "object.put"
	OpMPUInit    = "object.post_initiate_upload"
	OpMPUPart    = "object.put_part"
	OpMPUDone    = "object.post_complete_upload"
	OpMPUAbort   = "object.delete_upload"
	OpGet        = "object.get"
	OpHead       = "object.head"
	OpCopy       = "object.copy"
	OpCopyGet    = "object.copy_get"
	OpDelete     = "object.delete"
	OpList       = "bucket.get"
	OpHeadBucket = "bucket.head"
)

var roleOps = map[Role][]string{
	ObjectWriter:  {OpPut, OpMPUInit, OpMPUPart, OpMPUDone, OpMPUAbort},
	ObjectReader:  {OpGet, OpHead},
	ContentReader: {OpGet, OpHead, OpList, OpHeadBucket},
	Reader:        {OpGet, OpHead, OpList, OpHeadBucket, OpCopyGet},
	Writer:        {OpPut, OpMPUInit, OpMPUPart, OpMPUDone, OpMPUAbort, OpGet, OpHead, OpList, OpHeadBucket, OpCopy, OpCopyGet, OpDelete},
	Manager:       {OpPut, OpMPUInit, OpMPUPart, OpMPUDone, OpMPUAbort, OpGet, OpHead, OpList, OpHeadBucket, OpCopy, OpCopyGet, OpDelete},
}

// Caller is who a bearer token says is calling.
type Caller struct {
	IAMID     string
	AccountID string
}

// Verifier checks a bearer token (cloudsim.Sim.VerifyToken in the emulator).
type Verifier func(token string) (Caller, error)

// Server is the emulated COS endpoint. Use it as an http.Handler.
type Server struct {
	verify Verifier

	mu      sync.Mutex
	buckets map[string]*bucket
	uploads map[string]*upload
	counts  map[string]int64
	seq     atomic.Int64

	// OnPart, when set, is called before each multipart part is stored; a
	// non-zero status is answered instead (faults: a killed upload, a 503).
	OnPart func(ctx context.Context, bucket, key string, part int) int
	// OnRequest, when set, may answer any request with a status first
	// (0 proceeds): 503 storms, 429s.
	OnRequest func(r *http.Request) int
}

type bucket struct {
	name    string
	account string
	objects map[string]*Object
	grants  map[string]map[Role]bool // iam_id -> roles
}

// Object is one stored object.
type Object struct {
	Key         string
	Parts       [][]byte
	Size        int64
	ETag        string
	ContentType string
	Meta        map[string]string // x-amz-meta-* with canonical names
	Modified    time.Time
}

// Body returns the object's bytes (tests).
func (o *Object) Body() []byte {
	b := make([]byte, 0, o.Size)
	for _, p := range o.Parts {
		b = append(b, p...)
	}
	return b
}

type upload struct {
	bucket, key string
	contentType string
	meta        map[string]string
	parts       map[int][]byte
}

// New returns an empty COS endpoint that checks tokens with verify.
func New(verify Verifier) *Server {
	return &Server{verify: verify, buckets: map[string]*bucket{}, uploads: map[string]*upload{}, counts: map[string]int64{}}
}

// CreateBucket makes an empty bucket owned by account.
func (s *Server) CreateBucket(name, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[name]; !ok {
		s.buckets[name] = &bucket{name: name, account: account, objects: map[string]*Object{}, grants: map[string]map[Role]bool{}}
	}
}

// Grant gives iamID roles on bucket (a policy scoped to the bucket).
func (s *Server) Grant(bucketName, iamID string, roles ...Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil {
		return
	}
	if b.grants[iamID] == nil {
		b.grants[iamID] = map[Role]bool{}
	}
	for _, r := range roles {
		b.grants[iamID][r] = true
	}
}

// Revoke removes every role of iamID on bucket.
func (s *Server) Revoke(bucketName, iamID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.buckets[bucketName]; b != nil {
		delete(b.grants, iamID)
	}
}

// Object returns a stored object, or nil.
func (s *Server) Object(bucketName, key string) *Object {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.buckets[bucketName]; b != nil {
		return b.objects[key]
	}
	return nil
}

// Keys lists bucket's keys, sorted.
func (s *Server) Keys(bucketName string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil {
		return nil
	}
	keys := make([]string, 0, len(b.objects))
	for k := range b.objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Uploads is the number of multipart uploads in progress (not completed or aborted).
func (s *Server) Uploads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.uploads)
}

// Counts returns requests per operation.
func (s *Server) Counts() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

func (s *Server) count(op string) {
	s.mu.Lock()
	s.counts[op]++
	s.mu.Unlock()
}

// ServeHTTP routes path-style requests: /{bucket} and /{bucket}/{key}.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.OnRequest != nil {
		if st := s.OnRequest(r); st != 0 {
			s.count("fault")
			s.fail(w, r, st, codeFor(st), http.StatusText(st))
			return
		}
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	bucketName, key, _ := strings.Cut(p, "/")
	if bucketName == "" {
		s.fail(w, r, http.StatusBadRequest, "InvalidRequest", "Listing buckets is not emulated.")
		return
	}
	q := r.URL.Query()
	op := ""
	switch {
	case key == "" && r.Method == http.MethodHead:
		op = OpHeadBucket
	case key == "" && r.Method == http.MethodGet:
		op = OpList
	case key == "":
		s.fail(w, r, http.StatusNotImplemented, "NotImplemented", "This bucket operation is not emulated.")
		return
	case r.Method == http.MethodPut && q.Has("partNumber"):
		op = OpMPUPart
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		op = OpCopy
	case r.Method == http.MethodPut:
		op = OpPut
	case r.Method == http.MethodPost && q.Has("uploads"):
		op = OpMPUInit
	case r.Method == http.MethodPost && q.Has("uploadId"):
		op = OpMPUDone
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		op = OpMPUAbort
	case r.Method == http.MethodDelete:
		op = OpDelete
	case r.Method == http.MethodGet:
		op = OpGet
	case r.Method == http.MethodHead:
		op = OpHead
	default:
		s.fail(w, r, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
		return
	}
	s.count(op)
	caller, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if !s.allowed(bucketName, caller, op) {
		if s.bucketMissing(bucketName) {
			s.fail(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.")
			return
		}
		s.fail(w, r, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	}
	switch op {
	case OpHeadBucket:
		w.WriteHeader(http.StatusOK)
	case OpList:
		s.list(w, r, bucketName)
	case OpPut:
		s.put(w, r, bucketName, key)
	case OpMPUInit:
		s.mpuInit(w, r, bucketName, key)
	case OpMPUPart:
		s.mpuPart(w, r, bucketName, key)
	case OpMPUDone:
		s.mpuDone(w, r, bucketName, key)
	case OpMPUAbort:
		s.mpuAbort(w, r)
	case OpCopy:
		s.copyObject(w, r, caller, bucketName, key)
	case OpDelete:
		s.mu.Lock()
		delete(s.buckets[bucketName].objects, key)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case OpGet, OpHead:
		s.get(w, r, bucketName, key, op == OpHead)
	}
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (Caller, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		s.fail(w, r, http.StatusForbidden, "AccessDenied", "Access Denied: no IAM bearer token.")
		return Caller{}, false
	}
	c, err := s.verify(tok)
	if err != nil {
		s.fail(w, r, http.StatusForbidden, "AccessDenied", "Access Denied: the IAM token is not valid: "+err.Error())
		return Caller{}, false
	}
	return c, true
}

func (s *Server) bucketMissing(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buckets[name] == nil
}

func (s *Server) allowed(bucketName string, c Caller, op string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil {
		return false
	}
	for role := range b.grants[c.IAMID] {
		for _, o := range roleOps[role] {
			if o == op {
				return true
			}
		}
	}
	return false
}

func meta(h http.Header) map[string]string {
	m := map[string]string{}
	for k, v := range h {
		if name, ok := strings.CutPrefix(k, "X-Amz-Meta-"); ok && len(v) > 0 {
			m[name] = strings.Join(v, ",")
		}
	}
	return m
}

func etagOf(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

func (s *Server) put(w http.ResponseWriter, r *http.Request, bucketName, key string) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "IncompleteBody", "The request body was cut short.")
		return
	}
	o := &Object{Key: key, Parts: [][]byte{body}, Size: int64(len(body)), ETag: etagOf(body),
		ContentType: r.Header.Get("Content-Type"), Meta: meta(r.Header), Modified: time.Now().UTC()}
	s.mu.Lock()
	s.buckets[bucketName].objects[key] = o
	s.mu.Unlock()
	w.Header().Set("ETag", o.ETag)
	w.WriteHeader(http.StatusOK)
}

func (s *Server) mpuInit(w http.ResponseWriter, r *http.Request, bucketName, key string) {
	id := fmt.Sprintf("0100018%012d-%d", s.seq.Add(1), time.Now().UnixNano())
	s.mu.Lock()
	s.uploads[id] = &upload{bucket: bucketName, key: key, contentType: r.Header.Get("Content-Type"),
		meta: meta(r.Header), parts: map[int][]byte{}}
	s.mu.Unlock()
	writeXML(w, http.StatusOK, struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		Bucket   string
		Key      string
		UploadID string `xml:"UploadId"`
	}{Bucket: bucketName, Key: key, UploadID: id})
}

func (s *Server) upload(r *http.Request, bucketName, key string) *upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.uploads[r.URL.Query().Get("uploadId")]
	if u == nil || u.bucket != bucketName || u.key != key {
		return nil
	}
	return u
}

func (s *Server) mpuPart(w http.ResponseWriter, r *http.Request, bucketName, key string) {
	n, err := strconv.Atoi(r.URL.Query().Get("partNumber"))
	if err != nil || n < 1 || n > 10000 {
		s.fail(w, r, http.StatusBadRequest, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive.")
		return
	}
	u := s.upload(r, bucketName, key)
	if u == nil {
		s.fail(w, r, http.StatusNotFound, "NoSuchUpload", "The specified multipart upload does not exist.")
		return
	}
	if s.OnPart != nil {
		if st := s.OnPart(r.Context(), bucketName, key, n); st != 0 {
			s.fail(w, r, st, codeFor(st), http.StatusText(st))
			return
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "IncompleteBody", "The request body was cut short.")
		return
	}
	s.mu.Lock()
	u.parts[n] = body
	s.mu.Unlock()
	w.Header().Set("ETag", etagOf(body))
	w.WriteHeader(http.StatusOK)
}

func (s *Server) mpuDone(w http.ResponseWriter, r *http.Request, bucketName, key string) {
	var req struct {
		Parts []struct {
			PartNumber int
			ETag       string
		} `xml:"Part"`
	}
	if err := xml.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || len(req.Parts) == 0 {
		s.fail(w, r, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.")
		return
	}
	u := s.upload(r, bucketName, key)
	if u == nil {
		s.fail(w, r, http.StatusNotFound, "NoSuchUpload", "The specified multipart upload does not exist.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := &Object{Key: key, ContentType: u.contentType, Meta: u.meta, Modified: time.Now().UTC()}
	sums := md5.New()
	prev := 0
	for _, p := range req.Parts {
		b, ok := u.parts[p.PartNumber]
		if !ok || p.PartNumber <= prev || etagOf(b) != p.ETag {
			s.failLocked(w, r, http.StatusBadRequest, "InvalidPart", "One or more of the specified parts could not be found.")
			return
		}
		prev = p.PartNumber
		sum := md5.Sum(b)
		sums.Write(sum[:])
		o.Parts = append(o.Parts, b)
		o.Size += int64(len(b))
	}
	o.ETag = `"` + hex.EncodeToString(sums.Sum(nil)) + "-" + strconv.Itoa(len(req.Parts)) + `"`
	s.buckets[bucketName].objects[key] = o
	delete(s.uploads, r.URL.Query().Get("uploadId"))
	writeXML(w, http.StatusOK, struct {
		XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
		Location string
		Bucket   string
		Key      string
		ETag     string
	}{Location: "/" + bucketName + "/" + key, Bucket: bucketName, Key: key, ETag: o.ETag})
}

func (s *Server) mpuAbort(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	_, ok := s.uploads[r.URL.Query().Get("uploadId")]
	delete(s.uploads, r.URL.Query().Get("uploadId"))
	s.mu.Unlock()
	if !ok {
		s.fail(w, r, http.StatusNotFound, "NoSuchUpload", "The specified multipart upload does not exist.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) copyObject(w http.ResponseWriter, r *http.Request, c Caller, bucketName, key string) {
	src, err := url.PathUnescape(strings.TrimPrefix(r.Header.Get("X-Amz-Copy-Source"), "/"))
	srcBucket, srcKey, ok := strings.Cut(src, "/")
	if err != nil || !ok || srcKey == "" {
		s.fail(w, r, http.StatusBadRequest, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
		return
	}
	if !s.allowed(srcBucket, c, OpCopyGet) {
		s.fail(w, r, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	}
	s.mu.Lock()
	so := s.buckets[srcBucket].objects[srcKey]
	if so == nil {
		s.failLocked(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		s.mu.Unlock()
		return
	}
	o := *so
	o.Key, o.Modified = key, time.Now().UTC()
	if strings.EqualFold(r.Header.Get("X-Amz-Metadata-Directive"), "REPLACE") {
		o.ContentType, o.Meta = r.Header.Get("Content-Type"), meta(r.Header)
	}
	s.buckets[bucketName].objects[key] = &o
	s.mu.Unlock()
	writeXML(w, http.StatusOK, struct {
		XMLName      xml.Name `xml:"CopyObjectResult"`
		LastModified string
		ETag         string
	}{LastModified: o.Modified.Format(time.RFC3339), ETag: o.ETag})
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, bucketName, key string, head bool) {
	s.mu.Lock()
	o := s.buckets[bucketName].objects[key]
	s.mu.Unlock()
	if o == nil {
		if head {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		s.fail(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	if m := r.Header.Get("If-Match"); m != "" && m != o.ETag {
		if head {
			w.WriteHeader(http.StatusPreconditionFailed)
			return
		}
		s.fail(w, r, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.")
		return
	}
	h := w.Header()
	h.Set("ETag", o.ETag)
	h.Set("Content-Length", strconv.FormatInt(o.Size, 10))
	h.Set("Last-Modified", o.Modified.Format(http.TimeFormat))
	if o.ContentType != "" {
		h.Set("Content-Type", o.ContentType)
	}
	for k, v := range o.Meta {
		h.Set("X-Amz-Meta-"+k, v)
	}
	w.WriteHeader(http.StatusOK)
	if head {
		return
	}
	for _, p := range o.Parts {
		if _, err := w.Write(p); err != nil {
			return
		}
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, bucketName string) {
	q := r.URL.Query()
	prefix := q.Get("prefix")
	maxKeys := 1000
	if v, err := strconv.Atoi(q.Get("max-keys")); err == nil && v >= 0 && v < maxKeys {
		maxKeys = v
	}
	after := q.Get("start-after")
	if t := q.Get("continuation-token"); t != "" {
		after = t
	}
	type content struct {
		Key          string
		LastModified string
		ETag         string
		Size         int64
		StorageClass string
	}
	res := struct {
		XMLName               xml.Name `xml:"ListBucketResult"`
		Name                  string
		Prefix                string
		KeyCount              int
		MaxKeys               int
		IsTruncated           bool
		Contents              []content
		NextContinuationToken string `xml:",omitempty"`
	}{Name: bucketName, Prefix: prefix, MaxKeys: maxKeys}
	s.mu.Lock()
	var keys []string
	for k := range s.buckets[bucketName].objects {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == maxKeys {
			res.IsTruncated, res.NextContinuationToken = true, keys[i-1]
			break
		}
		o := s.buckets[bucketName].objects[k]
		res.Contents = append(res.Contents, content{k, o.Modified.Format(time.RFC3339), o.ETag, o.Size, "STANDARD"})
	}
	s.mu.Unlock()
	res.KeyCount = len(res.Contents)
	writeXML(w, http.StatusOK, res)
}

func writeXML(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(v)
}

type errorBody struct {
	XMLName        xml.Name `xml:"Error"`
	Code           string
	Message        string
	Resource       string
	RequestID      string `xml:"RequestId"`
	HTTPStatusCode int    `xml:"httpStatusCode"`
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	id := fmt.Sprintf("cloudsim-%08d", s.seq.Add(1))
	w.Header().Set("X-Clv-Request-Id", id)
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	writeXML(w, status, errorBody{Code: code, Message: msg, Resource: r.URL.Path, RequestID: id, HTTPStatusCode: status})
}

// failLocked is fail while s.mu is held (fail itself takes no lock).
func (s *Server) failLocked(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	s.fail(w, r, status, code, msg)
}

func codeFor(status int) string {
	switch status {
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	case http.StatusTooManyRequests:
		return "SlowDown"
	case http.StatusInternalServerError:
		return "InternalError"
	case http.StatusForbidden:
		return "AccessDenied"
	}
	return "InternalError"
}

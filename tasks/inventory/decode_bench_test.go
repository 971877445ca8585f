package inventory

import (
	"bytes"
	"context"
	"encoding/json"

	gojson "github.com/goccy/go-json"
	"io"
	"testing"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/simtest"
)

// BenchmarkDecodePage compares encoding/json with the decoder the task uses on
// one emulator page of 100 instances (BENCHMARKS.md):
//
//	go test ./tasks/inventory -run '^$' -bench DecodePage -benchmem
func BenchmarkDecodePage(b *testing.B) {
	spec := cloudsim.DefaultSpec()
	spec.Instances = 1000
	_, sess := simtest.Start(b, spec, cloudsim.Options{})
	c := newCaller(simtest.Env(sess, "x").Logger)
	svc := newService("rc", sess.Clients.ResourceController.Service, newLimiter(1))
	var raw []byte
	err := c.call(context.Background(), svc, request{op: "list", method: "GET", path: "/v2/resource_instances",
		query:  map[string][]string{"limit": {"100"}, "state": {"active"}},
		decode: func(r io.Reader) error { var err error; raw, err = io.ReadAll(r); return err }})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encoding-json", func(b *testing.B) {
		var p rcPage
		for b.Loop() {
			p = rcPage{Resources: p.Resources[:0]}
			if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("task", func(b *testing.B) {
		var p rcPage
		for b.Loop() {
			p = rcPage{Resources: p.Resources[:0]}
			if err := decodeJSON(&p)(bytes.NewReader(raw)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecodeVariants(b *testing.B) {
	spec := cloudsim.DefaultSpec()
	spec.Instances = 1000
	_, sess := simtest.Start(b, spec, cloudsim.Options{})
	c := newCaller(simtest.Env(sess, "x").Logger)
	svc := newService("rc", sess.Clients.ResourceController.Service, newLimiter(1))
	var raw []byte
	_ = c.call(context.Background(), svc, request{op: "list", method: "GET", path: "/v2/resource_instances",
		query:  map[string][]string{"limit": {"100"}, "state": {"active"}},
		decode: func(r io.Reader) error { var err error; raw, err = io.ReadAll(r); return err }})
	b.Run("unmarshal-pooled", func(b *testing.B) {
		var p rcPage
		var buf bytes.Buffer
		for b.Loop() {
			p = rcPage{Resources: p.Resources[:0]}
			buf.Reset()
			_, _ = buf.ReadFrom(bytes.NewReader(raw))
			if err := gojson.UnmarshalNoEscape(buf.Bytes(), &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

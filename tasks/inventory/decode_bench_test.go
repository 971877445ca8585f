package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/trustjob/trustjob/internal/cloudsim"
	"github.com/trustjob/trustjob/internal/simtest"
	"github.com/trustjob/trustjob/tasks"
)

// BenchmarkDecodePage compares encoding/json with the decoder the task uses on
// one emulator page of 100 instances (BENCHMARKS.md):
//
//	go test ./tasks/inventory -run '^$' -bench DecodePage -benchmem
func BenchmarkDecodePage(b *testing.B) {
	spec := cloudsim.DefaultSpec()
	spec.Instances = 1000
	_, sess := simtest.Start(b, spec, cloudsim.Options{})
	raw := rawGet(b, simtest.Env(sess, "x"), "/v2/resource_instances", map[string][]string{"limit": {"100"}, "state": {"active"}})
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
			if err := decodeJSON(&p)(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// rawGet reads one Resource Controller answer as sent.
func rawGet(t testing.TB, env tasks.Env, path string, query map[string][]string) []byte {
	t.Helper()
	c := newCaller(slog.New(slog.DiscardHandler))
	s := newService("rc", env.Clients.ResourceController.Service, newLimiter(1))
	var raw []byte
	err := c.call(context.Background(), s, request{op: "get", method: "GET", path: path, query: query,
		decode: func(b []byte) error { raw = bytes.Clone(b); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

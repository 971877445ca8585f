package hostile

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestModes(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"resources":[1,2,3]}`))
	}))
	defer backend.Close()
	p, err := Start(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		rule       Rule
		wantStatus int
		wantBody   func(string) bool
	}{
		{Rule{Mode: Pass}, 200, func(b string) bool { return b == `{"resources":[1,2,3]}` }},
		{Rule{Mode: EmptyBody}, 200, func(b string) bool { return b == "" }},
		{Rule{Mode: NullBody}, 200, func(b string) bool { return b == "null" }},
		{Rule{Mode: NoContent}, 204, func(b string) bool { return b == "" }},
		{Rule{Mode: RedirectPort}, 307, func(string) bool { return true }},
		{Rule{Mode: EchoCreds}, 400, func(b string) bool { return strings.Contains(b, "Bearer secret") }},
		{Rule{Mode: GzipBomb, BombSize: 4 << 20}, 200, func(b string) bool { return len(b) > 4<<20 }},
		{Rule{Mode: SlowWrite, Interval: time.Millisecond, Chunk: 4}, 200, func(b string) bool { return b == `{"resources":[1,2,3]}` }},
	}
	for _, tt := range tests {
		t.Run(string(tt.rule.Mode), func(t *testing.T) {
			p.Reset()
			r := tt.rule
			p.Add(&r)
			req, _ := http.NewRequest("GET", p.URL()+"/v2/x", nil)
			req.Header.Set("Authorization", "Bearer secret")
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || !tt.wantBody(string(b)) {
				t.Errorf("status %d body %.80q", resp.StatusCode, b)
			}
			if tt.rule.Mode == RedirectPort && !strings.HasPrefix(resp.Header.Get("Location"), p.TrapURL()) {
				t.Errorf("Location %q, want the trap %s", resp.Header.Get("Location"), p.TrapURL())
			}
		})
	}
	if n := len(p.Trapped()); n != 0 {
		t.Errorf("trap saw %d requests", n)
	}
}

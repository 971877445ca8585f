package action

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// fakeCloud records the writes it receives and answers per target.
type fakeCloud struct {
	mu       sync.Mutex
	calls    []string
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	answer   func(ctx context.Context, s *Step) error
}

func (f *fakeCloud) do(ctx context.Context, s *Step) error {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, s.Action+":"+s.Target)
	f.mu.Unlock()
	if f.answer != nil {
		return f.answer(ctx, s)
	}
	return nil
}

func (f *fakeCloud) n() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func steps(action, kind string, n int) []*Step {
	var out []*Step
	for i := range n {
		out = append(out, &Step{Action: action, Kind: kind, Target: fmt.Sprintf("%s-%d", kind, i)})
	}
	return out
}

func results(o Outcome) string {
	var r []string
	for _, s := range o.Steps {
		r = append(r, string(s.Result))
	}
	return strings.Join(r, " ")
}

func forbidden(s *Step) error {
	return &ibmcloud.CallError{Op: s.Action + " " + s.Target, Status: http.StatusForbidden, Need: "the trusted profile needs Operator", Err: errors.New("Forbidden")}
}

func TestRun(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		cfg       Config
		batch     func(do Do) Batch
		answer    func(ctx context.Context, s *Step) error
		want      string // results in plan order
		wantCalls int
		wantErr   string
		// wantDenied: every failure is a refusal, so the error classifies
		// as a permission problem (exit 77)
		wantDenied bool
	}{
		{
			name:  "takes every qualifying step",
			batch: func(do Do) Batch { return Batch{Steps: steps("lock", "apikey", 3), Do: do, MaxActions: 3} },
			want:  "done done done", wantCalls: 3,
		},
		{
			name:  "run-level dry run: would-do, no request",
			cfg:   Config{DryRun: true},
			batch: func(do Do) Batch { return Batch{Steps: steps("lock", "apikey", 2), Do: do, MaxActions: 5} },
			want:  "would-do would-do",
		},
		{
			name: "task-level dry run: would-do, no request",
			batch: func(do Do) Batch {
				return Batch{Steps: steps("lock", "apikey", 2), Do: do, MaxActions: 5, DryRun: true}
			},
			want: "would-do would-do",
		},
		{
			name:    "over maxActions: nothing done, the batch fails with the count",
			batch:   func(do Do) Batch { return Batch{Steps: steps("lock", "apikey", 3), Do: do, MaxActions: 2} },
			want:    "blocked blocked blocked",
			wantErr: "3 actions qualify, more than maxActions (2)",
		},
		{
			name:  "over maxActions in a dry run: would-do, said, not failed",
			cfg:   Config{DryRun: true},
			batch: func(do Do) Batch { return Batch{Steps: steps("lock", "apikey", 3), Do: do, MaxActions: 2} },
			want:  "would-do would-do would-do",
		},
		{
			name: "percentage cap below maxActions",
			batch: func(do Do) Batch {
				return Batch{Steps: steps("disable", "apikey", 3), Do: do, MaxActions: 25, MaxPercent: 10, Population: 20}
			},
			want:    "blocked blocked blocked",
			wantErr: "3 actions qualify, more than maxPercent (10% of 20 = 2)",
		},
		{
			name:  "zero maxActions allows nothing",
			batch: func(do Do) Batch { return Batch{Steps: steps("lock", "apikey", 1), Do: do} },
			want:  "blocked", wantErr: "more than maxActions (0)",
		},
		{
			name: "exempt, already and doubt are not sent; skips do not count against the cap",
			batch: func(do Do) Batch {
				s := steps("lock", "serviceid", 4)
				s[0].Exempt, s[1].Already, s[2].Doubt = "owner asked", "already locked", "cannot tell"
				return Batch{Steps: s, Do: do, MaxActions: 1}
			},
			want: "skipped-exempt skipped-already failed done", wantCalls: 1,
			wantErr: "1 of 2 actions failed",
		},
		{
			name: "grace holds back what was first reported recently",
			batch: func(do Do) Batch {
				s := steps("disable", "apikey", 3)
				s[0].FirstSeen, s[1].FirstSeen = now.Add(-20*24*time.Hour), now.Add(-2*24*time.Hour)
				return Batch{Steps: s, Do: do, MaxActions: 5, Grace: 14 * 24 * time.Hour, Now: now}
			},
			want: "done skipped-grace skipped-grace", wantCalls: 1,
		},
		{
			name:   "an answer saying there is nothing to do is skipped-already",
			batch:  func(do Do) Batch { return Batch{Steps: steps("remove", "user", 1), Do: do, MaxActions: 1} },
			answer: func(context.Context, *Step) error { return AlreadyDone("not a member of any access group") },
			want:   "skipped-already", wantCalls: 1,
		},
		{
			name: "a 403 is remembered per action and kind of target",
			batch: func(do Do) Batch {
				s := append(steps("disable", "apikey", 3), steps("disable", "serviceid-key", 2)...)
				return Batch{Steps: s, Do: do, MaxActions: 10}
			},
			answer: func(_ context.Context, s *Step) error {
				if s.Kind == "apikey" {
					return forbidden(s)
				}
				return nil
			},
			want: "failed failed failed done done", wantCalls: 3, wantDenied: true,
			wantErr: "3 of 5 actions failed; see the rows with result \"failed\" (disable apikey-0: permission denied (403): the trusted profile needs Operator",
		},
		{
			name:  "other failures are failed, each tried",
			batch: func(do Do) Batch { return Batch{Steps: steps("lock", "apikey", 2), Do: do, MaxActions: 2} },
			answer: func(_ context.Context, s *Step) error {
				return &ibmcloud.CallError{Op: "lock", Status: 500, Err: errors.New("boom")}
			},
			want: "failed failed", wantCalls: 2, wantErr: "2 of 2 actions failed",
		},
		{
			name:  "sent without an answer is unknown, not failed",
			batch: func(do Do) Batch { return Batch{Steps: steps("lock", "apikey", 1), Do: do, MaxActions: 1} },
			answer: func(context.Context, *Step) error {
				return fmt.Errorf("lock: %w", &url.Error{Op: "Post", URL: "https://iam.cloud.ibm.com/v1/apikeys/x/lock", Err: errors.New("connection reset by peer")})
			},
			want: "unknown", wantCalls: 1, wantErr: "1 were sent without an answer",
		},
		{
			name:  "refused before sending (dry-run transport) is failed, not unknown",
			batch: func(do Do) Batch { return Batch{Steps: steps("lock", "apikey", 1), Do: do, MaxActions: 1} },
			answer: func(context.Context, *Step) error {
				return fmt.Errorf("lock: %w", &url.Error{Op: "Post", URL: "x", Err: ibmcloud.ErrDryRunWrite})
			},
			want: "failed", wantCalls: 1, wantErr: "1 of 1 actions failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cloud := &fakeCloud{answer: tt.answer}
			e := New(tt.cfg)
			o, err := e.Run(context.Background(), tt.batch(cloud.do))
			if got := results(o); got != tt.want {
				t.Errorf("results %q, want %q", got, tt.want)
			}
			if cloud.n() != tt.wantCalls {
				t.Errorf("%d requests, want %d: %v", cloud.n(), tt.wantCalls, cloud.calls)
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if ibmcloud.IsPermission(err) != tt.wantDenied {
				t.Errorf("IsPermission(err) = %v, want %v", !tt.wantDenied, tt.wantDenied)
			}
			total := 0
			for _, n := range o.Counts {
				total += n
			}
			if total != len(o.Steps) {
				t.Errorf("counts %v do not add up to %d steps", o.Counts, len(o.Steps))
			}
			for _, s := range o.Steps {
				if s.Detail == "" {
					t.Errorf("step %s has no detail", s.Target)
				}
			}
		})
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	cloud := &fakeCloud{answer: func(context.Context, *Step) error { time.Sleep(5 * time.Millisecond); return nil }}
	e := New(Config{Concurrency: 3})
	o, err := e.Run(context.Background(), Batch{Steps: steps("lock", "apikey", 20), Do: cloud.do, MaxActions: 20})
	if err != nil || o.Counts[Done] != 20 {
		t.Fatalf("err %v, counts %v", err, o.Counts)
	}
	if m := cloud.maxSeen.Load(); m > 3 || m < 2 {
		t.Errorf("%d writes in flight at once, want at most 3 (and more than 1)", m)
	}
}

// TestCancellation: SIGTERM (the context ending) while writes are on the
// wire. A write answered within the grace is done; one never answered is
// unknown; steps not yet started are not attempted.
func TestCancellation(t *testing.T) {
	for _, tt := range []struct {
		name    string
		answer  time.Duration // how long the write takes after the context ends
		want    Result
		wantErr string
	}{
		{"answered within the grace", 20 * time.Millisecond, Done, ""},
		{"never answered", time.Hour, Unknown, "sent without an answer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			sent := make(chan struct{})
			cloud := &fakeCloud{answer: func(wctx context.Context, s *Step) error {
				if s.Target != "apikey-0" {
					return nil
				}
				close(sent)
				<-ctx.Done() // SIGTERM arrives while the request is out
				select {
				case <-time.After(tt.answer):
					return nil
				case <-wctx.Done():
					return fmt.Errorf("lock: %w", &url.Error{Op: "Post", URL: "x", Err: context.Cause(wctx)})
				}
			}}
			go func() { <-sent; cancel(errors.New("received SIGTERM")) }()
			e := New(Config{Concurrency: 1, WriteGrace: 200 * time.Millisecond})
			began := time.Now()
			o, err := e.Run(ctx, Batch{Steps: steps("lock", "apikey", 3), Do: cloud.do, MaxActions: 3})
			if o.Steps[0].Result != tt.want {
				t.Errorf("in-flight write: %s (%s), want %s", o.Steps[0].Result, o.Steps[0].Detail, tt.want)
			}
			for _, s := range o.Steps[1:] {
				if s.Result != Failed || !strings.Contains(s.Detail, "not attempted: received SIGTERM") {
					t.Errorf("%s: %s %q, want failed, not attempted", s.Target, s.Result, s.Detail)
				}
			}
			if took := time.Since(began); took > 2*time.Second {
				t.Errorf("took %v: the grace does not bound the write", took)
			}
			if cloud.n() != 1 {
				t.Errorf("%d writes sent after SIGTERM, want only the one in flight", cloud.n()-1)
			}
			if err == nil || (tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestNilExecutorRefuses(t *testing.T) {
	var e *Executor
	if _, err := e.Run(context.Background(), Batch{}); err == nil {
		t.Error("a nil executor must refuse, not act")
	}
	if e.DryRun() {
		t.Error("nil executor reports dry-run")
	}
}

// TestUnsafeIsSkippedWithoutARequest: a step the task cannot take safely is
// skipped, sends nothing and fails nothing (issue 12.2, 12.3, 13 F5/F6).
func TestUnsafeIsSkippedWithoutARequest(t *testing.T) {
	cloud := &fakeCloud{}
	s := steps("disable", "apikey", 2)
	s[0].Unsafe = "cannot tell who owns it"
	o, err := New(Config{}).Run(context.Background(), Batch{Steps: s, Do: cloud.do, MaxActions: 1})
	if err != nil || cloud.n() != 1 || s[0].Result != SkippedUnsafe || s[0].Detail != "cannot tell who owns it" || o.Qualified != 1 {
		t.Fatalf("err %v, %d calls, step %s %q, qualified %d", err, cloud.n(), s[0].Result, s[0].Detail, o.Qualified)
	}
	if !SkippedUnsafe.Skipped() || Failed.Skipped() {
		t.Error("Skipped() misclassifies")
	}
}

// TestAfterOrdersSteps: a lock waits for the disable of the same key, and is
// not sent when the disable did not succeed (IAM refuses changes to a locked
// key, so locking first would make the disable impossible; issue 13 F6).
func TestAfterOrdersSteps(t *testing.T) {
	for _, tc := range []struct {
		name       string
		disableErr error
		want       string
	}{
		{"disable done, then lock", nil, "done done"},
		{"disable refused, lock not sent", &ibmcloud.CallError{Op: "disable", Status: http.StatusBadRequest, Err: errors.New("locked")}, "failed failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var order []string
			var mu sync.Mutex
			cloud := &fakeCloud{answer: func(ctx context.Context, s *Step) error {
				if s.Action == "disable" {
					time.Sleep(30 * time.Millisecond) // the lock must still wait
				}
				mu.Lock()
				order = append(order, s.Action)
				mu.Unlock()
				if s.Action == "disable" {
					return tc.disableErr
				}
				return nil
			}}
			disable := &Step{Action: "disable", Kind: "apikey", Target: "k"}
			lock := &Step{Action: "lock", Kind: "apikey", Target: "k", After: disable}
			o, _ := New(Config{Concurrency: 4}).Run(context.Background(), Batch{Steps: []*Step{lock, disable}, Do: cloud.do, MaxActions: 2})
			if got := fmt.Sprint(disable.Result, " ", lock.Result); got != tc.want {
				t.Errorf("results %s, want %s (%s)", got, tc.want, results(o))
			}
			if strings.Join(order, ",") != map[bool]string{true: "disable,lock", false: "disable"}[tc.disableErr == nil] {
				t.Errorf("requests in order %v", order)
			}
		})
	}
}

// TestPanicInDoIsUnknown: a panicking Do ends its step unknown (it may have
// sent the write) instead of the process (issue 12.9).
func TestPanicInDoIsUnknown(t *testing.T) {
	s := steps("disable", "apikey", 2)
	do := func(ctx context.Context, st *Step) error {
		if st.Target == "apikey-0" {
			panic("a bug in the task's Do")
		}
		return nil
	}
	o, err := New(Config{}).Run(context.Background(), Batch{Steps: s, Do: do, MaxActions: 2})
	if err == nil || s[0].Result != Unknown || !strings.Contains(s[0].Detail, "internal error") || s[1].Result != Done {
		t.Fatalf("err %v; %s", err, results(o))
	}
}

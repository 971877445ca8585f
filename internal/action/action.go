// Package action is the one place where trustjob changes anything in IBM
// Cloud. A task plans Steps (which action, on which target, why); the Executor
// decides what happens to each: in a dry run nothing is sent and every step is
// `would-do`; over the cap nothing is done; exempt and already-done targets are
// skipped; the rest are taken with bounded concurrency. Every step ends with
// exactly one Result, which the task writes as one report row: the report is
// the audit trail.
//
// Writes are sent under a context that outlives a cancellation (SIGTERM, the
// task's timeout) by a short grace, so a request already on the wire gets its
// answer; one whose answer never comes is `unknown`, never `failed`, because
// it may have taken effect.
package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/trustjob/trustjob/internal/ibmcloud"
)

// Result is how one step ended, as written in a report's `result` column.
type Result string

// Results.
const (
	// Done: the write was sent and IBM Cloud confirmed it.
	Done Result = "done"
	// WouldDo: dry run; no request was made.
	WouldDo Result = "would-do"
	// SkippedAlready: the target is already in the action's end state.
	SkippedAlready Result = "skipped-already"
	// SkippedExempt: an exemption (or the runner's own identity) protects it.
	SkippedExempt Result = "skipped-exempt"
	// SkippedGrace: the target has not been reported for Grace yet.
	SkippedGrace Result = "skipped-grace"
	// SkippedUnsafe: the task cannot act safely on this target (its owner or
	// last use is unknown, IAM would refuse the change, it needs an opt-in);
	// nothing was sent, and nothing failed.
	SkippedUnsafe Result = "skipped-unsafe"
	// Blocked: more steps qualified than the cap allows, so none was taken.
	Blocked Result = "blocked"
	// Failed: the write was refused or failed, or never attempted.
	Failed Result = "failed"
	// Unknown: the write was sent but no answer came (timeout, SIGTERM,
	// connection lost); it may have taken effect.
	Unknown Result = "unknown"
)

// Results lists every Result, in the order summaries count them.
var Results = []Result{Done, WouldDo, SkippedAlready, SkippedExempt, SkippedGrace, SkippedUnsafe, Blocked, Failed, Unknown}

// Skipped reports whether r is one of the skipped-* results.
func (r Result) Skipped() bool {
	return r == SkippedAlready || r == SkippedExempt || r == SkippedGrace || r == SkippedUnsafe
}

// Step is one planned action on one target. The task fills the plan fields;
// the executor fills Result and Detail.
type Step struct {
	// Action names what is done, e.g. "disable-apikey".
	Action string
	// Kind is the target's kind, e.g. "apikey" or "serviceid". A 403 is
	// remembered per (Action, Kind): one refused user API key does not fail a
	// service ID's key untried.
	Kind string
	// Target is the target's id.
	Target string
	// Why it qualifies, for the log.
	Why string
	// Exempt, when set, is why the target must not be touched.
	Exempt string
	// Already, when set, says the target is already in the end state.
	Already string
	// Doubt, when set, says the task cannot tell whether the step applies
	// (e.g. a listing it needed failed): the step fails without a request.
	// When in doubt about an identity, report it and do not act.
	Doubt string
	// Unsafe, when set, says why acting on this target is not safe although
	// nothing went wrong (owner or last use unknown, a locked key, a user's
	// key without the opt-in): the step is SkippedUnsafe, without a request.
	Unsafe string
	// After, when set, is a step of the same batch that must end Done (or
	// SkippedAlready) before this one is sent, e.g. disable a key before
	// locking it (IAM refuses changes to a locked key). When it ends
	// otherwise, this step fails without a request.
	After *Step
	// FirstSeen is when the target was first reported (zero: now). Used with
	// Batch.Grace.
	FirstSeen time.Time
	// Ref is the task's own record of the target, for its report row.
	Ref any

	Result Result
	Detail string

	denied bool  // refused (401/403)
	err    error // the refusal, for the gate
}

// Do makes the one write request of a step. It returns nil when IBM Cloud
// confirmed the change, an error from AlreadyDone when the answer says there
// was nothing to do, or the call's error (wrapped in an *ibmcloud.CallError,
// so that refusals and unanswered requests are told apart).
type Do func(ctx context.Context, s *Step) error

// AlreadyDone is what Do returns when the answer shows the target already in
// the end state (e.g. 404 "not a member"); the step is SkippedAlready.
func AlreadyDone(detail string) error { return &alreadyError{detail} }

type alreadyError struct{ detail string }

func (e *alreadyError) Error() string { return e.detail }

// Batch is one task's planned steps and the limits they run under.
type Batch struct {
	Steps []*Step
	Do    Do
	// DryRun is the task's own dry-run; the executor's is ORed in.
	DryRun bool
	// MaxActions caps the steps taken: when more qualify, none is taken and
	// the batch fails. Zero allows none.
	MaxActions int
	// MaxPercent, when positive, also caps the steps taken at this share of
	// Population (e.g. 10 for "never more than 10% of the account's keys").
	MaxPercent float64
	// Population is what MaxPercent is a share of.
	Population int
	// Grace, when positive, holds back steps whose target was first reported
	// less than Grace before Now.
	Grace time.Duration
	// Now is the task's clock, for Grace.
	Now time.Time
	// Success is the Detail of a Done step of an action (optional).
	Success func(action string) string
}

// Outcome is what a batch produced.
type Outcome struct {
	// Steps are the batch's steps, in plan order, each with its Result.
	Steps []*Step
	// Counts counts steps per Result.
	Counts map[Result]int
	// Qualified is how many steps would act (not skipped).
	Qualified int
	// Cap is the effective cap; OverCap is true when Qualified exceeded it.
	Cap     int
	OverCap bool
	DryRun  bool
}

// Config configures an Executor.
type Config struct {
	// DryRun makes every batch a dry run (`trustjob run --dry-run`, or the
	// task's `dryRun:` as the runner read it).
	DryRun bool
	// Concurrency bounds the writes in flight (default 4).
	Concurrency int
	// WriteGrace is how long a write already sent may still run after the
	// task's context ends (default 5 s, well inside a pod's 30 s termination
	// grace period).
	WriteGrace time.Duration
	// Logger logs every step taken or failed; nil discards.
	Logger *slog.Logger
}

// Executor takes planned steps. One per task run; safe for concurrent use.
type Executor struct{ cfg Config }

// New returns an executor.
func New(c Config) *Executor {
	if c.Concurrency < 1 {
		c.Concurrency = 4
	}
	if c.WriteGrace <= 0 {
		c.WriteGrace = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &Executor{cfg: c}
}

// DryRun reports whether the executor forces dry runs.
func (e *Executor) DryRun() bool { return e != nil && e.cfg.DryRun }

// Run decides and takes b's steps. The error says why the task must fail: the
// cap was exceeded outside a dry run, or steps failed or ended unknown. The
// Outcome holds every step either way.
func (e *Executor) Run(ctx context.Context, b Batch) (Outcome, error) {
	if e == nil {
		return Outcome{}, errors.New("no action executor: tasks act only through env.Actions")
	}
	out := Outcome{Steps: b.Steps, Counts: map[Result]int{}, DryRun: e.cfg.DryRun || b.DryRun}
	var pending []*Step
	for _, s := range b.Steps {
		s.Result, s.Detail = "", ""
		switch {
		case s.Exempt != "":
			s.Result, s.Detail = SkippedExempt, s.Exempt
		case s.Already != "":
			s.Result, s.Detail = SkippedAlready, s.Already
		case s.Doubt != "":
			s.Result, s.Detail = Failed, s.Doubt
		case s.Unsafe != "":
			s.Result, s.Detail = SkippedUnsafe, s.Unsafe
		case b.Grace > 0 && inGrace(s.FirstSeen, b.Now, b.Grace):
			s.Result, s.Detail = SkippedGrace, graceDetail(s.FirstSeen, b.Now, b.Grace)
		default:
			pending = append(pending, s)
		}
	}
	out.Qualified = len(pending)
	capMsg := ""
	out.Cap, capMsg = limit(b)
	var err error
	switch {
	case len(pending) > out.Cap:
		out.OverCap = true
		msg := fmt.Sprintf("%d actions qualify, more than %s", len(pending), capMsg)
		for _, s := range pending {
			if out.DryRun {
				s.Result, s.Detail = WouldDo, msg+": a real run would take none of them"
			} else {
				s.Result, s.Detail = Blocked, msg+": none was taken"
			}
		}
		if out.DryRun {
			e.cfg.Logger.Warn("dry-run: more actions qualify than the cap allows; a real run would take none", "qualified", len(pending), "cap", capMsg)
		} else {
			err = fmt.Errorf("blast-radius cap: %s, so no action was taken; review the report, then raise the cap or narrow olderThan/exemptions", msg)
		}
	case out.DryRun:
		for _, s := range pending {
			s.Result, s.Detail = WouldDo, "dry-run: no request made"
		}
	default:
		e.take(ctx, b, pending)
	}
	for _, s := range b.Steps {
		out.Counts[s.Result]++
	}
	if err == nil {
		err = failures(b.Steps)
	}
	return out, err
}

// limit is the effective cap and how to say it.
func limit(b Batch) (int, string) {
	n, msg := max(b.MaxActions, 0), fmt.Sprintf("maxActions (%d)", b.MaxActions)
	if b.MaxPercent > 0 && b.Population > 0 {
		if p := int(math.Floor(float64(b.Population) * b.MaxPercent / 100)); p < n {
			n, msg = p, fmt.Sprintf("maxPercent (%g%% of %d = %d)", b.MaxPercent, b.Population, p)
		}
	}
	return n, msg
}

func inGrace(first, now time.Time, grace time.Duration) bool {
	return first.IsZero() || now.Sub(first) < grace
}

func graceDetail(first, now time.Time, grace time.Duration) string {
	if first.IsZero() {
		return fmt.Sprintf("first reported now; acts after a grace of %s", grace)
	}
	return fmt.Sprintf("first reported %s; acts after a grace of %s (from %s)", first.UTC().Format(time.RFC3339), grace, first.Add(grace).UTC().Format(time.RFC3339))
}

// failures is the batch's error when steps failed or ended unknown. When
// every failure is a refusal (401/403), the error wraps one, so the run exits
// with the permission code: retrying cannot help, a policy must change.
func failures(steps []*Step) error {
	failed, unknown, tried, denied := 0, 0, 0, 0
	var refusal error
	for _, s := range steps {
		switch s.Result {
		case Done:
			tried++
		case Failed:
			failed++
			tried++
			if s.denied {
				denied++
				if refusal == nil {
					refusal = s.err
					if refusal == nil {
						refusal = errors.New(s.Detail)
					}
				}
			}
		case Unknown:
			unknown++
			tried++
		}
	}
	if failed+unknown == 0 {
		return nil
	}
	err := fmt.Errorf("%d of %d actions failed; see the rows with result %q", failed, tried, Failed)
	if unknown > 0 {
		err = fmt.Errorf("%d of %d actions failed and %d were sent without an answer (result %q: check them by hand)", failed, tried, unknown, Unknown)
	}
	switch {
	case refusal != nil && denied == failed && unknown == 0:
		err = fmt.Errorf("%w (%w)", err, refusal)
	case refusal != nil:
		err = fmt.Errorf("%w (%v)", err, refusal)
	}
	return err
}

// key is what a refusal is remembered by.
type key struct{ action, kind string }

// gate lets the first step of a (action, kind) go alone: if IBM Cloud refuses
// it, the others are failed without asking again; if not, they follow
// concurrently.
type gate struct {
	opened bool
	done   chan struct{}
	denied error
}

// take sends the pending steps' writes, at most Concurrency at a time.
func (e *Executor) take(ctx context.Context, b Batch, steps []*Step) {
	var (
		mu    sync.Mutex
		gates = map[key]*gate{}
		sem   = make(chan struct{}, e.cfg.Concurrency)
		wg    sync.WaitGroup
		ended = map[*Step]chan struct{}{}
	)
	for _, s := range steps {
		ended[s] = make(chan struct{})
	}
	for _, s := range steps {
		k := key{s.Action, s.Kind}
		mu.Lock()
		g, ok := gates[k]
		if !ok {
			g = &gate{done: make(chan struct{})}
			gates[k] = g
		}
		first := !g.opened
		g.opened = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(ended[s])
			if dep := s.After; dep != nil {
				if ch, ok := ended[dep]; ok {
					<-ch
				}
				if dep.Result != Done && dep.Result != SkippedAlready {
					s.Result, s.Detail = Failed, fmt.Sprintf("not attempted: it must follow %s, which ended %s", dep.Action, dep.Result)
					if first {
						close(g.done)
					}
					return
				}
			}
			if !first {
				<-g.done
				if g.denied != nil {
					s.Result, s.Detail, s.denied, s.err = Failed, g.denied.Error(), true, g.denied
					return
				}
			}
			sem <- struct{}{}
			e.one(ctx, b, s)
			<-sem
			if first {
				if s.denied {
					g.denied = s.err
				}
				close(g.done)
			}
		}()
	}
	wg.Wait()
}

// one takes one step.
func (e *Executor) one(ctx context.Context, b Batch, s *Step) {
	log := e.cfg.Logger.With("action", s.Action, "kind", s.Kind, "target", s.Target)
	defer func() {
		// A panic in a task's Do must not end the process without its
		// report; the write may have been sent, so the step is unknown.
		if r := recover(); r != nil {
			s.Result, s.Detail = Unknown, fmt.Sprintf("internal error while sending (a bug; please report it): %v", r)
			log.Error("action panicked; check it by hand", "panic", fmt.Sprint(r))
		}
	}()
	if err := context.Cause(ctx); err != nil {
		s.Result, s.Detail = Failed, "not attempted: "+err.Error()
		return
	}
	wctx, cancel := e.writeContext(ctx)
	defer cancel()
	err := b.Do(wctx, s)
	var already *alreadyError
	switch {
	case err == nil:
		s.Result, s.Detail = Done, "done"
		if b.Success != nil {
			s.Detail = b.Success(s.Action)
		}
		log.Info("action taken", "why", s.Why)
	case errors.As(err, &already):
		s.Result, s.Detail = SkippedAlready, already.detail
	case ibmcloud.IsPermission(err):
		s.Result, s.Detail, s.denied, s.err = Failed, err.Error(), true, err
		log.Error("action refused", "err", err)
	case unanswered(err):
		s.Result, s.Detail = Unknown, "sent, no answer: "+err.Error()
		log.Error("action sent without an answer; check it by hand", "err", err)
	default:
		s.Result, s.Detail = Failed, err.Error()
		log.Error("action failed", "err", err)
	}
}

// writeContext is ctx without its cancellation, ended WriteGrace after ctx
// ends: a write on the wire when SIGTERM arrives still gets its answer, within
// the pod's termination grace period.
func (e *Executor) writeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	wctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		time.AfterFunc(e.cfg.WriteGrace, func() {
			cancel(fmt.Errorf("no answer %s after the task was stopped (%v)", e.cfg.WriteGrace, context.Cause(ctx)))
		})
	})
	return wctx, func() { stop(); cancel(context.Canceled) }
}

// unanswered reports whether err means the request may have been sent but no
// HTTP answer came back. A refusal before sending (host policy, dry run) and
// a failed dial are not: nothing reached IBM Cloud.
func unanswered(err error) bool {
	if ibmcloud.HTTPStatus(err) != 0 || errors.Is(err, ibmcloud.ErrHostNotAllowed) || errors.Is(err, ibmcloud.ErrDryRunWrite) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	var ue *url.Error
	return errors.As(err, &ue) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

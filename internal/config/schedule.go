package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronReference is a fixed instant from which "does this schedule ever fire"
// is checked, so validation does not depend on the clock. robfig/cron looks
// five years ahead, which covers 29 February.
var cronReference = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ParseSchedule parses a Kubernetes CronJob schedule: five fields or one of the
// descriptors @yearly, @annually, @monthly, @weekly, @daily, @midnight and
// @hourly, read in loc. It rejects what a CronJob rejects or would read
// differently: TZ= and CRON_TZ= prefixes (the zone belongs in timeZone) and
// robfig's @every, which Kubernetes does not support.
func ParseSchedule(expr string, loc *time.Location) (cron.Schedule, error) {
	s := strings.TrimSpace(expr)
	switch {
	case s == "":
		return nil, errors.New("empty schedule")
	case strings.Contains(strings.ToUpper(s), "TZ"):
		return nil, errors.New("TZ= and CRON_TZ= prefixes are not allowed (Kubernetes rejects them); set timeZone instead")
	case strings.HasPrefix(s, "@every"):
		return nil, errors.New("@every is not a Kubernetes CronJob schedule; use five cron fields")
	}
	sched, err := cron.ParseStandard(s)
	if err != nil {
		return nil, fmt.Errorf("invalid cron expression %q: %v", expr, err)
	}
	spec, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("unsupported schedule %q", expr)
	}
	if loc == nil {
		loc = time.UTC
	}
	spec.Location = loc
	if spec.Next(cronReference).IsZero() {
		return nil, fmt.Errorf("schedule %q never fires", expr)
	}
	return spec, nil
}

// maxLookBack bounds the search for a previous fire time. robfig/cron gives up
// on Next after five years too.
const maxLookBack = 5 * 366 * 24 * time.Hour

// Previous returns the latest fire time of s at or before t, or the zero time
// when s has not fired in the five years before t. robfig/cron only steps
// forward, so this widens a window backwards until a fire time falls into it,
// then walks forward to the last one.
func Previous(s cron.Schedule, t time.Time) time.Time {
	for back := time.Minute; back <= 2*maxLookBack; back *= 2 {
		from := t.Add(-back)
		f := s.Next(from)
		if f.IsZero() || f.After(t) {
			continue
		}
		for {
			n := s.Next(f)
			if n.IsZero() || n.After(t) {
				return f
			}
			f = n
		}
	}
	return time.Time{}
}

// NextN returns the next n fire times of s after t.
func NextN(s cron.Schedule, t time.Time, n int) []time.Time {
	out := make([]time.Time, 0, n)
	for len(out) < n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

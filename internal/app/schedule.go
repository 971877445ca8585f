package app

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/runner"
)

// nextFireTimes is how many upcoming fire times `trustjob schedule` shows.
const nextFireTimes = 3

// declareScheduleFlags declares --now, for the command and its help.
func declareScheduleFlags(f *cmdFlags) (now *string) {
	return f.String("now", "", "evaluate at this RFC3339 `time` instead of the clock")
}

func (a *app) schedule(_ context.Context, args []string) int {
	f := a.flagSet("schedule")
	nowFlag := declareScheduleFlags(f)
	if code, done := f.parseNoArgs(args); done {
		return code
	}
	now, _, err := parseNow(*nowFlag, a.clock)
	if err != nil {
		return f.fail("%v", err)
	}
	log, _ := f.logger()
	cfg, ok := a.loadForRun(f.common.config, log)
	if !ok {
		return exitcode.Config
	}
	printSchedule(a, cfg, now)
	return exitcode.OK
}

func printSchedule(a *app, cfg *config.Config, now time.Time) {
	loc := cfg.Location
	ts := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04 MST") }
	if from, to, ok := runner.Window(cfg, now); ok {
		fmt.Fprintf(a.stdout, "Job schedule %q (%s). At %s this run covers fire times in (%s, %s].\n\n",
			cfg.Schedule, loc, ts(now), ts(from), ts(to))
	} else {
		fmt.Fprintf(a.stdout, "No top-level schedule: every task runs on every run (at %s).\n\n", ts(now))
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tTYPE\tSCHEDULE\tDUE NOW\tNEXT FIRE TIMES")
	for i, d := range runner.Due(cfg, now) {
		t := cfg.Tasks[i]
		sched, next := t.Schedule, ""
		switch {
		case t.Cron != nil:
			next = joinTimes(config.NextN(t.Cron, now, nextFireTimes), ts)
		case cfg.Cron != nil:
			sched = "(every run)"
			next = joinTimes(config.NextN(cfg.Cron, now, nextFireTimes), ts) + " (the job's)"
		default:
			sched, next = "(every run)", "whenever the job runs"
		}
		due := "no"
		if d.Due {
			due = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Type, sched, due, next)
	}
	tw.Flush()
}

func joinTimes(ts []time.Time, format func(time.Time) string) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = format(t)
	}
	return strings.Join(s, ", ")
}

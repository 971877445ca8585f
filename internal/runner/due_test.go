package runner

import (
	"testing"
	"time"

	"github.com/trustjob/trustjob/internal/config"
)

// schedConfig builds a config with a top-level schedule and tasks named by
// their schedules ("" = no schedule).
func schedConfig(t *testing.T, zone, top string, taskScheds ...string) *config.Config {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	cfg := &config.Config{Location: loc}
	if top != "" {
		s, err := config.ParseSchedule(top, loc)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Schedule, cfg.Cron = top, s
	}
	for _, ts := range taskScheds {
		task := config.Task{Name: ts, Schedule: ts}
		if ts != "" {
			s, err := config.ParseSchedule(ts, loc)
			if err != nil {
				t.Fatal(err)
			}
			task.Cron = s
		}
		cfg.Tasks = append(cfg.Tasks, task)
	}
	return cfg
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDue(t *testing.T) {
	tests := []struct {
		name string
		zone string
		top  string
		task string // "" = no task schedule
		now  string
		want bool
	}{
		// hourly CronJob, nightly task at 02:30
		{"hourly job, task fired in the last hour", "UTC", "0 * * * *", "30 2 * * *", "2026-03-10T03:00:05Z", true},
		{"hourly job, next hour does not repeat it", "UTC", "0 * * * *", "30 2 * * *", "2026-03-10T04:00:05Z", false},
		{"hourly job, run before the task fires", "UTC", "0 * * * *", "30 2 * * *", "2026-03-10T02:00:07Z", false},
		{"hourly job, task on the job's own fire time", "UTC", "0 * * * *", "0 3 * * *", "2026-03-10T03:00:00Z", true},
		{"same fire time, started late", "UTC", "0 * * * *", "0 3 * * *", "2026-03-10T03:20:00Z", true},
		{"same fire time, next run", "UTC", "0 * * * *", "0 3 * * *", "2026-03-10T04:00:01Z", false},
		{"task equals the job schedule", "UTC", "*/15 * * * *", "*/15 * * * *", "2026-03-10T04:15:02Z", true},
		{"every-minute job, task at a minute", "UTC", "* * * * *", "17 * * * *", "2026-03-10T04:17:00Z", true},
		{"every-minute job, minute after", "UTC", "* * * * *", "17 * * * *", "2026-03-10T04:18:00Z", false},
		// daily CronJob, weekly task (Mondays 01:00); 2026-03-09 is a Monday
		{"daily job picks the weekly task", "UTC", "0 6 * * *", "0 1 * * 1", "2026-03-09T06:00:10Z", true},
		{"daily job, next day", "UTC", "0 6 * * *", "0 1 * * 1", "2026-03-10T06:00:10Z", false},
		{"daily job, monthly task on the 1st", "UTC", "0 6 * * *", "@monthly", "2026-04-01T06:00:10Z", true},
		{"daily job, monthly task on the 2nd", "UTC", "0 6 * * *", "@monthly", "2026-04-02T06:00:10Z", false},
		// a task scheduled more often than the job: any fire time in the window counts
		{"daily job, hourly task", "UTC", "0 6 * * *", "@hourly", "2026-04-02T06:00:10Z", true},
		// weekly job, daily task: due every week
		{"weekly job, daily task", "UTC", "0 0 * * 0", "30 2 * * *", "2026-03-08T00:00:05Z", true},
		// without schedules
		{"no task schedule", "UTC", "0 * * * *", "", "2026-03-10T04:00:05Z", true},
		{"no top-level schedule", "UTC", "", "30 2 * * *", "2026-03-10T04:00:05Z", true},
		// time zones: 02:30 Paris is 01:30 UTC in winter
		{"zone: 03:00 Paris run picks 02:30 Paris", "Europe/Paris", "0 * * * *", "30 2 * * *", "2026-01-10T02:00:03Z", true},
		{"zone: 04:00 Paris run does not", "Europe/Paris", "0 * * * *", "30 2 * * *", "2026-01-10T03:00:03Z", false},
		{"zone: 02:00 Paris run is too early", "Europe/Paris", "0 * * * *", "30 2 * * *", "2026-01-10T01:00:03Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := schedConfig(t, tt.zone, tt.top, tt.task)
			got := Due(cfg, at(t, tt.now))
			if len(got) != 1 {
				t.Fatalf("Due returned %d decisions", len(got))
			}
			if got[0].Due != tt.want {
				t.Errorf("Due = %v, want %v (%s)", got[0].Due, tt.want, got[0].Reason)
			}
			if got[0].Reason == "" {
				t.Error("no reason")
			}
		})
	}
}

// TestDueExactlyOnce walks a week of hourly runs and checks that a nightly
// task is picked up by exactly one run per day, the first one after it fires.
func TestDueExactlyOnce(t *testing.T) {
	cfg := schedConfig(t, "UTC", "0 * * * *", "30 2 * * *", "0 0 * * *", "")
	start := at(t, "2026-03-09T00:00:07Z")
	count := map[string]int{}
	for h := range 7 * 24 {
		now := start.Add(time.Duration(h) * time.Hour)
		for _, d := range Due(cfg, now) {
			if d.Due {
				count[d.Task]++
				if d.Task == "30 2 * * *" && now.Hour() != 3 {
					t.Errorf("nightly task ran at %v", now)
				}
			}
		}
	}
	want := map[string]int{"30 2 * * *": 7, "0 0 * * *": 7, "": 7 * 24}
	for k, v := range want {
		if count[k] != v {
			t.Errorf("task %q ran %d times in a week, want %d", k, count[k], v)
		}
	}
}

func TestWindow(t *testing.T) {
	cfg := schedConfig(t, "UTC", "0 */6 * * *")
	from, to, ok := Window(cfg, at(t, "2026-03-10T12:05:00Z"))
	if !ok || !from.Equal(at(t, "2026-03-10T06:00:00Z")) || !to.Equal(at(t, "2026-03-10T12:05:00Z")) {
		t.Errorf("Window = (%v, %v] %v", from, to, ok)
	}
	if _, _, ok := Window(schedConfig(t, "UTC", ""), time.Now()); ok {
		t.Error("Window without a schedule reported ok")
	}
}

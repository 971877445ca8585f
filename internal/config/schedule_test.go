package config

import (
	"strings"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		expr    string
		wantErr string
	}{
		{"0 * * * *", ""},
		{" 30 2 * * 1-5 ", ""},
		{"@daily", ""},
		{"@hourly", ""},
		{"0 0 29 2 *", ""}, // leap days only, still fires
		{"", "empty schedule"},
		{"@every 5m", "@every is not a Kubernetes CronJob schedule"},
		{"TZ=UTC 0 * * * *", "TZ= and CRON_TZ= prefixes are not allowed"},
		{"CRON_TZ=Europe/Paris 0 * * * *", "TZ= and CRON_TZ= prefixes are not allowed"},
		{"0 0 * * * *", "expected exactly 5 fields"},
		{"* * *", "expected exactly 5 fields"},
		{"0 0 31 2 *", "never fires"},
		{"@reboot", "unrecognized descriptor"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := ParseSchedule(tt.expr, time.UTC)
			if tt.wantErr == "" {
				if err != nil || s == nil {
					t.Fatalf("ParseSchedule(%q) = %v, %v", tt.expr, s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseSchedule(%q) error = %v, want it to contain %q", tt.expr, err, tt.wantErr)
			}
		})
	}
}

func TestPrevious(t *testing.T) {
	tests := []struct {
		expr, now, want string
	}{
		{"0 * * * *", "2026-03-10T03:00:05Z", "2026-03-10T03:00:00Z"},
		{"0 * * * *", "2026-03-10T03:00:00Z", "2026-03-10T03:00:00Z"}, // at a fire time: that one
		{"0 * * * *", "2026-03-10T02:59:59Z", "2026-03-10T02:00:00Z"},
		{"* * * * *", "2026-03-10T02:59:59Z", "2026-03-10T02:59:00Z"},
		{"30 2 * * *", "2026-03-10T01:00:00Z", "2026-03-09T02:30:00Z"},
		{"0 0 1 1 *", "2026-03-10T01:00:00Z", "2026-01-01T00:00:00Z"},
		{"0 0 29 2 *", "2026-03-10T01:00:00Z", "2024-02-29T00:00:00Z"},
		{"* * 29 2 *", "2026-03-10T01:00:00Z", "2024-02-29T23:59:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.expr+" "+tt.now, func(t *testing.T) {
			s, err := ParseSchedule(tt.expr, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			got := Previous(s, mustTime(t, tt.now))
			if want := mustTime(t, tt.want); !got.Equal(want) {
				t.Errorf("Previous = %v, want %v", got, want)
			}
		})
	}
}

func TestScheduleTimeZone(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	s, err := ParseSchedule("0 2 * * *", paris)
	if err != nil {
		t.Fatal(err)
	}
	// 02:00 in Paris in winter is 01:00 UTC.
	got := s.Next(mustTime(t, "2026-01-10T00:00:00Z"))
	if want := mustTime(t, "2026-01-10T01:00:00Z"); !got.Equal(want) {
		t.Errorf("Next = %v, want %v", got.UTC(), want)
	}
}

func TestNextN(t *testing.T) {
	s, _ := ParseSchedule("30 2 * * *", time.UTC)
	got := NextN(s, mustTime(t, "2026-03-10T03:00:00Z"), 3)
	want := []string{"2026-03-11T02:30:00Z", "2026-03-12T02:30:00Z", "2026-03-13T02:30:00Z"}
	if len(got) != len(want) {
		t.Fatalf("NextN = %v", got)
	}
	for i := range want {
		if got[i].Format(time.RFC3339) != want[i] {
			t.Errorf("NextN[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

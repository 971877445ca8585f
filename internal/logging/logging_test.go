package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"
)

// Secrets that must never reach a log line.
const (
	jwt     = "eyJraWQiOiIyMDI2MDEwMSIsImFsZyI6IlJTMjU2In0.eyJpYW1faWQiOiJpYW0tUHJvZmlsZS0xMjMiLCJhY2NvdW50Ijp7ImJzcyI6ImFiYyJ9fQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
	opaque  = "AAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB.CCCCCCCCCCCCCCCCCCCCCC"
	bearer  = "Bearer abc123opaque-token_value"
	crToken = "k8s-projected-token-value"
)

func TestRedactAtEveryLevel(t *testing.T) {
	leaks := []struct {
		name string
		log  func(l *slog.Logger)
		gone []string // must not appear
	}{
		{"jwt in message", func(l *slog.Logger) { l.Debug("got token " + jwt) }, []string{jwt, "c2lnbmF0dXJl"}},
		{"jwt in attr", func(l *slog.Logger) { l.Debug("exchange", "response", `{"access_token":"`+jwt+`"}`) }, []string{jwt}},
		{"opaque three segments", func(l *slog.Logger) { l.Info("x", "v", opaque) }, []string{opaque}},
		{"bearer in message", func(l *slog.Logger) { l.Debug("sending " + bearer) }, []string{"abc123opaque"}},
		{"authorization header", func(l *slog.Logger) { l.Warn("req", "headers", "Authorization: Basic dXNlcjpwYXNz") }, []string{"dXNlcjpwYXNz"}},
		{"go header map", func(l *slog.Logger) {
			l.Debug("dump", "h", fmt.Sprint(map[string][]string{"Authorization": {"Bearer zzzsecret"}}))
		}, []string{"zzzsecret"}},
		{"form body", func(l *slog.Logger) {
			l.Debug("POST /identity/token grant_type=x&cr_token=" + crToken + "&profile_name=p")
		}, []string{crToken}},
		{"secret key", func(l *slog.Logger) { l.Debug("x", "access_token", "plain-but-secret") }, []string{"plain-but-secret"}},
		{"error value", func(l *slog.Logger) { l.Error("fail", "err", errors.New("401 for "+bearer)) }, []string{"abc123opaque"}},
		{"group", func(l *slog.Logger) { l.Debug("x", slog.Group("req", slog.String("auth", bearer))) }, []string{"abc123opaque"}},
		{"with", func(l *slog.Logger) { l.With("token", crToken).Debug("x") }, []string{crToken}},
		{"with group", func(l *slog.Logger) { l.WithGroup("g").With("h", "Authorization="+crToken).Debug("x") }, []string{crToken}},
		{"any struct", func(l *slog.Logger) {
			l.Debug("x", "resp", struct{ Token string }{jwt})
		}, []string{jwt}},
		{"bytes", func(l *slog.Logger) { l.Debug("x", "body", []byte(jwt)) }, []string{jwt}},
		{"stringer", func(l *slog.Logger) { l.Debug("x", "s", stringer(bearer)) }, []string{"abc123opaque"}},
	}
	for _, format := range []string{FormatJSON, FormatText} {
		for _, tt := range leaks {
			t.Run(format+"/"+tt.name, func(t *testing.T) {
				var buf bytes.Buffer
				l := New(&buf, format, slog.LevelDebug)
				tt.log(l)
				out := buf.String()
				if out == "" {
					t.Fatal("nothing logged")
				}
				for _, s := range tt.gone {
					if strings.Contains(out, s) {
						t.Errorf("secret %q leaked:\n%s", s, out)
					}
				}
				if !strings.Contains(out, Masked) {
					t.Errorf("no %s marker:\n%s", Masked, out)
				}
			})
		}
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestRedactKeepsOrdinaryValues(t *testing.T) {
	keep := []string{
		"https://iam.cloud.ibm.com/identity/token",
		"resource-controller.cloud.ibm.com",
		"config/example.yaml",
		"iam-Profile-0b1c2d3e-1111-2222-3333-444455556666",
		"crn:v1:bluemix:public:iam-identity::a/0123456789abcdef::profile:Profile-1",
		"token_exchanges",
		"v1.2.3",
	}
	for _, s := range keep {
		if got := RedactString(s); got != s {
			t.Errorf("RedactString(%q) = %q, want it unchanged", s, got)
		}
	}
	var buf bytes.Buffer
	New(&buf, FormatJSON, slog.LevelInfo).Info("run finished", "token_exchanges", 1, "rows", 42, "task", "inventory")
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["token_exchanges"] != float64(1) || m["rows"] != float64(42) {
		t.Errorf("numbers changed: %v", m)
	}
}

func TestFormats(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, FormatAuto, slog.LevelInfo).Info("hello", "k", "v")
	if !json.Valid(bytes.TrimSpace(buf.Bytes())) {
		t.Errorf("auto format on a non-terminal is not JSON: %q", buf.String())
	}
	buf.Reset()
	New(&buf, FormatText, slog.LevelInfo).Info("hello", "k", "v")
	if out := buf.String(); !strings.Contains(out, "hello") || strings.Contains(out, "\x1b[") || json.Valid(buf.Bytes()) {
		t.Errorf("text format on a non-terminal should be plain tint text: %q", out)
	}
	buf.Reset()
	New(&buf, FormatJSON, slog.LevelWarn).Info("hidden")
	if buf.Len() != 0 {
		t.Errorf("level not applied: %q", buf.String())
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"", "auto", "json", "text", "JSON"} {
		if _, err := ParseFormat(s); err != nil {
			t.Errorf("ParseFormat(%q): %v", s, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) accepted")
	}
	for s, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "ERROR": slog.LevelError} {
		if got, err := ParseLevel(s); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel(loud) accepted")
	}
}

func TestSDKBridge(t *testing.T) {
	var buf bytes.Buffer
	l := NewSDKLogger(New(&buf, FormatJSON, slog.LevelDebug), core.LevelWarn)
	l.Debug("request dump Authorization: %s", bearer)
	l.Info("info line")
	if buf.Len() != 0 {
		t.Fatalf("below warn reached the log: %s", buf.String())
	}
	l.Warn("retrying after 503, token %s", jwt)
	l.Error("failed: %v", errors.New(bearer))
	out := buf.String()
	for _, s := range []string{jwt, "abc123opaque"} {
		if strings.Contains(out, s) {
			t.Errorf("secret leaked through the SDK bridge:\n%s", out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"level":"WARN"`) || !strings.Contains(lines[1], `"level":"ERROR"`) ||
		!strings.Contains(lines[0], `"component":"ibm-go-sdk-core"`) {
		t.Errorf("bridge output:\n%s", out)
	}
	if l.IsLogLevelEnabled(core.LevelNone) || !l.IsLogLevelEnabled(core.LevelError) {
		t.Error("IsLogLevelEnabled")
	}
	l.SetLogLevel(core.LevelDebug)
	if l.GetLogLevel() != core.LevelDebug {
		t.Error("SetLogLevel")
	}
}

func TestBridgeSDKInstallsGlobal(t *testing.T) {
	old := core.GetLogger()
	t.Cleanup(func() { core.SetLogger(old) })
	var buf bytes.Buffer
	BridgeSDK(New(&buf, FormatJSON, slog.LevelDebug))
	core.GetLogger().Debug("debug dump %s", jwt)
	core.GetLogger().Warn("warned")
	if strings.Contains(buf.String(), "debug dump") || !strings.Contains(buf.String(), "warned") {
		t.Errorf("global SDK logger not at warn: %s", buf.String())
	}
}

func BenchmarkRedactString(b *testing.B) {
	s := "GET https://resource-controller.cloud.ibm.com/v2/resource_instances?limit=100 status=200 in 35ms"
	for b.Loop() {
		RedactString(s)
	}
}

// Issue 12 item 18: a token's signature segment on its own (an error that
// quotes only the part after the last dot) is masked too.
func TestRedactSignatureAlone(t *testing.T) {
	sig := strings.Repeat("Qm9ndXNTaWduYXR1cmVfLQ", 16) // 352 base64url characters
	got := RedactString("IAM said: bad signature " + sig + " for kid 2026")
	if strings.Contains(got, sig[:40]) || !strings.Contains(got, Masked) {
		t.Errorf("signature not masked: %q", got)
	}
}

// Issue 12 item 24: durations read as durations in JSON.
func TestDurationsHumanReadable(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, FormatJSON, slog.LevelInfo).Info("retrying", "wait", 1500*time.Millisecond)
	if !strings.Contains(buf.String(), `"wait":"1.5s"`) {
		t.Errorf("log line %s", buf.String())
	}
}

// Package logging builds trustjob's one slog.Logger: JSON in the cluster, tint
// text with colour on a terminal, and a redaction layer that keeps tokens,
// Bearer values and Authorization headers out of every line at every level.
// It also routes the IBM SDK's own logger into it.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/lmittmann/tint"
	"github.com/mattn/go-isatty"
)

// Log formats accepted by New and --log-format.
const (
	FormatAuto = ""
	FormatJSON = "json"
	FormatText = "text"
)

// ParseFormat checks a --log-format value ("" means auto).
func ParseFormat(s string) (string, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return FormatAuto, nil
	case FormatJSON:
		return FormatJSON, nil
	case FormatText:
		return FormatText, nil
	}
	return "", fmt.Errorf("unknown log format %q (want json or text)", s)
}

// ParseLevel reads a --log-level value: debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
	}
	return l, nil
}

// New returns a logger writing to w in format: "json", "text" (tint, colour
// only on a terminal), or "" for auto (tint with colour on a terminal, JSON
// otherwise). Every handler is wrapped by the redaction layer.
func New(w io.Writer, format string, level slog.Leveler) *slog.Logger {
	tty := IsTerminal(w)
	var h slog.Handler
	switch {
	case format == FormatText || (format == FormatAuto && tty):
		h = tint.NewTextHandler(w, &tint.Options{Level: level, TimeFormat: time.TimeOnly, NoColor: !tty})
	default:
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	}
	return slog.New(Redact(h))
}

// IsTerminal reports whether w is a terminal (a character device, not a pipe
// or file).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// Discard is a logger that drops everything, for tests and library defaults.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

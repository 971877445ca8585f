package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/trustjob/trustjob/internal/exitcode"
	"github.com/trustjob/trustjob/internal/logging"
)

// commonFlags are accepted by every command, before or after its name.
type commonFlags struct {
	config    string
	logFormat string
	logLevel  string
}

// register adds the common flags to fs; defaults come from def (the values
// given before the command) or from c itself.
func (c *commonFlags) register(fs *flag.FlagSet, def *commonFlags) {
	if def != nil {
		*c = *def
	}
	fs.StringVar(&c.config, "config", c.config, "configuration `file` (env "+EnvConfig+")")
	fs.StringVar(&c.logFormat, "log-format", c.logFormat, "log `format`: json or text (default: text on a terminal, JSON otherwise)")
	fs.StringVar(&c.logLevel, "log-level", c.logLevel, "log `level`: debug, info, warn or error")
}

// cmdFlags is a command's flag set with the common flags.
type cmdFlags struct {
	*flag.FlagSet
	common commonFlags
	a      *app
	usage  string // "run [flags]"
	about  string // what the command does, for -h
}

// flagSet starts the flag set of command name, with its usage and help from
// the command table.
func (a *app) flagSet(name string) *cmdFlags {
	cmd, ok := lookup(name)
	if !ok {
		panic("app: flagSet of a command missing from the table: " + name)
	}
	fs := flag.NewFlagSet("trustjob "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed by parse
	f := &cmdFlags{FlagSet: fs, a: a, usage: cmd.usage, about: cmd.about}
	f.common.register(fs, &a.global)
	return f
}

// parse parses args. done is true when the command must stop and return code:
// after -h (0) or a usage error (2, with the message and usage on stderr).
func (f *cmdFlags) parse(args []string) (code int, done bool) {
	err := f.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		f.printUsage(f.a.stdout)
		return exitcode.OK, true
	}
	if err == nil {
		_, err = logging.ParseFormat(f.common.logFormat)
	}
	if err == nil {
		_, err = logging.ParseLevel(f.common.logLevel)
	}
	if err != nil {
		return f.fail("%v", err), true
	}
	return 0, false
}

// parseNoArgs is parse for a command that takes flags only: an argument is a
// usage error.
func (f *cmdFlags) parseNoArgs(args []string) (code int, done bool) {
	if code, done := f.parse(args); done {
		return code, true
	}
	if f.NArg() > 0 {
		return f.fail("unexpected argument %q", f.Arg(0)), true
	}
	return 0, false
}

// fail reports a usage error for this command: exit 2.
func (f *cmdFlags) fail(format string, args ...any) int {
	fmt.Fprintf(f.a.stderr, "%s: %s\n", f.Name(), fmt.Sprintf(format, args...))
	fmt.Fprintf(f.a.stderr, "Usage: trustjob %s (trustjob help %s for details)\n", f.usage, strings.Fields(f.usage)[0])
	return exitcode.Usage
}

func (f *cmdFlags) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: trustjob %s\n\n%s\n\nFlags:\n", f.usage, f.about)
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

// logger builds the command's logger on stderr, with a fresh run_id on every
// line.
func (f *cmdFlags) logger() (*slog.Logger, string) {
	format, _ := logging.ParseFormat(f.common.logFormat)
	level, _ := logging.ParseLevel(f.common.logLevel)
	id := newRunID()
	log := logging.New(f.a.stderr, format, level).With("run_id", id)
	// Anything written through the standard library's log package (net/http
	// has a few such lines) goes through the same handler: JSON, redacted,
	// with the run id, never a plain-text line in the JSON stream.
	if f.a.stderr == os.Stderr {
		slog.SetDefault(log)
	}
	return log, id
}

// newRunID returns 16 random hex digits.
func newRunID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// parseNow reads --now (RFC3339); empty means the clock.
func parseNow(s string, clock func() time.Time) (now time.Time, fixed bool, err error) {
	if s == "" {
		return clock(), false, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("--now %q: want RFC3339, e.g. 2026-03-10T03:00:00Z", s)
	}
	return t, true, nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	if v == "" {
		return errors.New("empty value")
	}
	for _, s := range *m {
		if s == v {
			return nil
		}
	}
	*m = append(*m, v)
	return nil
}

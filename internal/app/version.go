package app

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/trustjob/trustjob/internal/exitcode"
)

// version is set at build time:
//
//	go build -ldflags "-X github.com/trustjob/trustjob/internal/app.version=v1.2.3"
var version = "dev"

// Version is trustjob's version: the one set at build time, or "dev" plus the
// VCS revision Go recorded, if any.
func Version() string {
	if version != "dev" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return version
}

func (a *app) version(_ context.Context, args []string) int {
	f := a.flagSet("version")
	if code, done := f.parseNoArgs(args); done {
		return code
	}
	fmt.Fprintf(a.stdout, "trustjob %s (%s, %s/%s)\n", Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitcode.OK
}

//go:build release

package app

import (
	"context"
	"fmt"

	"github.com/trustjob/trustjob/internal/exitcode"
)

// The release build (make build, the image) leaves the IBM Cloud emulator out:
// a fake IAM that mints tokens has no place in a production image. demo and sim
// stay in the command table and explain where to find them.

// emulatorMissing is the one line demo and sim answer in a release build.
const emulatorMissing = "trustjob %s: this release build has no IBM Cloud emulator; " +
	"use a development build (go run ./cmd/trustjob %s, from a checkout of the source)\n"

// emulatorBuilt: demo and sim are not in this build (`trustjob help` says so).
const emulatorBuilt = false

// The table's flags of demo and sim: none in this build.
var demoFlags, simFlagsHelp func(*cmdFlags)

func (a *app) demo(_ context.Context, _ []string) int { return a.noEmulator("demo") }

func (a *app) sim(_ context.Context, _ []string) int { return a.noEmulator("sim") }

// noEmulator explains the missing command; the exit code is Usage (the
// command line asked for something this binary does not do).
func (a *app) noEmulator(name string) int {
	fmt.Fprintf(a.stderr, emulatorMissing, name, name)
	return exitcode.Usage
}

package app

// TEMPORARY stub until internal/report lands: fill newOutput (an adapter from
// *report.Run to runner.Output) and writeJSON (report's atomic JSON writer).

import (
	"errors"

	"github.com/trustjob/trustjob/internal/runner"
)

var errReportsNotWired = errors.New("reports are not wired in this build")

func reportServices() services {
	return services{
		newOutput: func(outputOptions) (runner.Output, error) { return nil, errReportsNotWired },
		writeJSON: func(string, any) error { return errReportsNotWired },
	}
}

package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/trustjob/trustjob/internal/config"
	"github.com/trustjob/trustjob/internal/exitcode"
)

func (a *app) validate(_ context.Context, args []string) int {
	f := a.flagSet("validate")
	if code, done := f.parse(args); done {
		return code
	}
	files := f.Args()
	if len(files) == 0 {
		files = []string{f.common.config}
	}
	total, bad := 0, 0
	seenEnv := map[string]bool{} // environment problems are the same for every file
	for _, file := range files {
		cfg, err := config.LoadEnv(file, a.registry, a.environ())
		if err == nil {
			fmt.Fprintf(a.stdout, "%s: ok (%d tasks)\n", file, len(cfg.Tasks))
			continue
		}
		var probs config.Problems
		if !errors.As(err, &probs) {
			probs = config.Problems{{File: file, Message: err.Error()}}
		}
		bad++
		printed := 0
		for _, p := range probs {
			if p.File == "" {
				if seenEnv[p.String()] {
					continue
				}
				seenEnv[p.String()] = true
			}
			fmt.Fprintln(a.stdout, p.String())
			printed++
		}
		if printed == 0 {
			fmt.Fprintf(a.stdout, "%s: refused because of the environment problems above\n", file)
		}
		total += printed
	}
	if bad > 0 {
		fmt.Fprintf(a.stderr, "trustjob validate: %d problem(s) in %d of %d file(s)\n", total, bad, len(files))
		return exitcode.Config
	}
	return exitcode.OK
}

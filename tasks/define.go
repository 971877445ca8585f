package tasks

import (
	"context"
	"fmt"

	"github.com/trustjob/trustjob/internal/report"
)

// Spec is what a task package declares about its type; Define turns it into a
// Type. O is the options struct; *O implements Options.
type Spec[O any] struct {
	Name        string
	Description string
	// Columns are the report's columns in output order, declared once in the
	// task's rows.go.
	Columns []string
	// Defaults returns options with their defaults filled in.
	Defaults func() *O
	// New builds the task from decoded, validated options.
	New         func(opts *O) Task
	Permissions []Permission
	Probe       func(ctx context.Context, env Env) error
}

// Define builds a Type from a typed Spec: the one place that turns the
// registry's Options interface back into the task's own options type, so no
// task writes a type assertion.
func Define[O any, P interface {
	*O
	Options
}](s Spec[O]) Type {
	return Type{
		Name:        s.Name,
		Description: s.Description,
		Schema:      report.Schema{Columns: s.Columns},
		NewOptions:  func() Options { return P(s.Defaults()) },
		New: func(o Options) (Task, error) {
			opts, ok := o.(P)
			if !ok || opts == nil {
				return nil, fmt.Errorf("%s: options of type %T, want %T", s.Name, o, P(nil))
			}
			return s.New((*O)(opts)), nil
		},
		Permissions: s.Permissions,
		Probe:       s.Probe,
	}
}

// Package builtin is the one list of trustjob's built-in task types. It lives
// apart from package tasks because every task package imports tasks.
package builtin

import (
	"github.com/trustjob/trustjob/tasks"
	"github.com/trustjob/trustjob/tasks/inactiveids"
	"github.com/trustjob/trustjob/tasks/inventory"
)

// Register adds every built-in task type to r. Adding a task type is one line
// here.
func Register(r *tasks.Registry) {
	r.Register(inventory.Type())
	r.Register(inactiveids.Type())
}

// Registry returns a new registry holding the built-in task types.
func Registry() *tasks.Registry {
	r := tasks.NewRegistry()
	Register(r)
	return r
}

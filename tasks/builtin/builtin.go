// Package builtin is the one list of trustjob's built-in task types. It lives
// apart from package tasks because every task package imports tasks.
package builtin

import (
	"github.com/trustjob/trustjob/tasks"
	"github.com/trustjob/trustjob/tasks/accessreview"
	"github.com/trustjob/trustjob/tasks/apikeyrotation"
	"github.com/trustjob/trustjob/tasks/inactiveids"
	"github.com/trustjob/trustjob/tasks/inventory"
	"github.com/trustjob/trustjob/tasks/posture"
	"github.com/trustjob/trustjob/tasks/unusedpolicies"
)

// Register adds every built-in task type to r. Adding a task type is one line
// here.
func Register(r *tasks.Registry) {
	r.Register(inventory.Type())
	r.Register(inactiveids.Type())
	r.Register(posture.Type())
	r.Register(apikeyrotation.Type())
	r.Register(unusedpolicies.Type())
	r.Register(accessreview.Type())
}

// Registry returns a new registry holding the built-in task types.
func Registry() *tasks.Registry {
	r := tasks.NewRegistry()
	Register(r)
	return r
}

package tasks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/trustjob/trustjob/internal/config"
)

// Registry maps task type names to their Types. Build one with NewRegistry and
// fill it from tasks/builtin; there is no package-level registry and no init()
// side effect, so tests can build their own.
type Registry struct {
	types map[string]Type
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{types: map[string]Type{}} }

// Register adds t. A duplicate or incomplete registration is a programming error
// and panics at start-up, before any configuration is read.
func (r *Registry) Register(t Type) {
	if t.Name == "" || t.NewOptions == nil || t.New == nil {
		panic(fmt.Sprintf("tasks: incomplete registration of %q", t.Name))
	}
	if _, dup := r.types[t.Name]; dup {
		panic(fmt.Sprintf("tasks: task type %q registered twice", t.Name))
	}
	r.types[t.Name] = t
}

// Lookup returns the type registered under name.
func (r *Registry) Lookup(name string) (Type, bool) {
	t, ok := r.types[name]
	return t, ok
}

// NewOptions returns fresh options (defaults filled in) for type name. It lets
// the config loader decode options through config.TaskTypes without importing
// this package.
func (r *Registry) NewOptions(name string) (config.TaskOptions, bool) {
	t, ok := r.types[name]
	if !ok {
		return nil, false
	}
	return t.NewOptions(), true
}

// Names returns the registered type names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.types))
	for n := range r.types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// UnknownTypeMessage explains an unknown `type:` value, listing what is known.
func (r *Registry) UnknownTypeMessage(name string) string {
	return fmt.Sprintf("unknown task type %q; known types: %s", name, strings.Join(r.Names(), ", "))
}

package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a configuration, positioned so that a user can
// go straight to it: file, line and column, the field path, what is wrong and how
// to fix it.
type Problem struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Path    string `json:"path,omitempty"` // e.g. tasks[1].options.inactiveFor
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Column > 0 {
				fmt.Fprintf(&b, ":%d", p.Column)
			}
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Fix != "" {
		b.WriteString(" (fix: ")
		b.WriteString(p.Fix)
		b.WriteString(")")
	}
	return b.String()
}

// Problems is every problem found in one configuration. It is an error so the
// loader can return all of them at once.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// FieldError is a validation failure found by a task type's options validator,
// before it is positioned in the file. Path is relative to the task's options,
// e.g. "actions[0].olderThan".
type FieldError struct {
	Path    string
	Message string
	Fix     string
}

package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads the configuration at path and validates it against types,
// applying the process environment (auth overrides, API-key refusal). On
// failure the error is a Problems holding every problem found.
func Load(path string, types TaskTypes) (*Config, error) {
	return LoadEnv(path, types, os.Environ())
}

// LoadEnv is Load with the environment given as "KEY=value" entries.
func LoadEnv(path string, types TaskTypes, environment []string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		p := Problem{File: path, Message: fmt.Sprintf("cannot read the configuration: %v", unwrapPathError(err))}
		if errors.Is(err, fs.ErrNotExist) {
			p.Fix = "pass --config PATH or set TRUSTJOB_CONFIG; config/example.yaml is a starting point"
		}
		return nil, append(Problems{p}, refuseAPIKeyEnv(environ(environment))...)
	}
	return Parse(path, data, types, environment)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse decodes and validates data (read from file, which is only used in
// messages) with the environment environ ("KEY=value" entries, as from
// os.Environ). It never panics on any input.
func Parse(file string, data []byte, types TaskTypes, environment []string) (*Config, error) {
	env := environ(environment)
	c := &checker{file: file, types: types}
	cfg := c.parse(data, env)
	c.probs = append(c.probs, refuseAPIKeyEnv(env)...)
	if len(c.probs) > 0 {
		sortProblems(c.probs)
		return nil, c.probs
	}
	return cfg, nil
}

// checker accumulates the problems of one file.
type checker struct {
	file     string
	types    TaskTypes
	doc      *yaml.Node
	fromEnv  map[string]string // field path -> environment variable that set it
	env      map[string]string // the environment, for the endpoint checks
	typeErrs []string          // field paths whose value did not decode
	probs    Problems
}

func (c *checker) parse(data []byte, env map[string]string) *Config {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			c.probs = append(c.probs, Problem{File: c.file, Message: "the configuration is empty",
				Fix: "start from config/example.yaml"})
		} else {
			c.probs = append(c.probs, syntaxProblem(c.file, err))
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		c.probs = append(c.probs, Problem{File: c.file, Line: extra.Line, Column: extra.Column,
			Message: "a second YAML document is not read",
			Fix:     "keep one document: remove the --- separator and what follows"})
	} else if !errors.Is(err, io.EOF) {
		c.probs = append(c.probs, syntaxProblem(c.file, err))
	}
	c.doc = &doc
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		line, col := 0, 0
		if len(doc.Content) > 0 {
			line, col = doc.Content[0].Line, doc.Content[0].Column
		}
		c.probs = append(c.probs, Problem{File: c.file, Line: line, Column: col,
			Message: "the configuration must be a mapping of keys (apiVersion, kind, auth, tasks, ...)",
			Fix:     "start from config/example.yaml"})
		return nil
	}

	var keyProbs Problems
	refuseAPIKeyNodes(c.file, &doc, "", 0, &keyProbs)
	refuseHubNodes(c.file, &doc, &keyProbs)
	refused := map[string]bool{}
	for _, p := range keyProbs {
		refused[p.Path] = true
	}
	c.probs = append(c.probs, keyProbs...)

	cfg := &Config{File: c.file}
	c.decode(&doc, "", cfg, refused)
	if seq := Locate(&doc, "tasks"); seq.Kind == yaml.SequenceNode && len(seq.Content) != len(cfg.Tasks) {
		// yaml.v3 drops list items it cannot decode; decode them one by one so
		// that cfg.Tasks[i] stays tasks[i] of the file (errors are known already).
		cfg.Tasks = make([]Task, len(seq.Content))
		for i, item := range seq.Content {
			_ = item.Decode(&cfg.Tasks[i])
		}
	}
	c.env = env
	c.fromEnv = applyEnv(&cfg.Auth, env)
	applyAllowedHostsEnv(cfg, env, c.fromEnv)
	applyRuntimeEnv(&cfg.Auth, env, c.fromEnv)
	c.validate(cfg, refused)
	return cfg
}

// decode decodes node strictly into out, recording its problems except those
// about keys already refused as API keys, and remembering where type errors
// were so that validation does not report the same value twice.
// It returns the number of type errors (after which out cannot be trusted).
func (c *checker) decode(node *yaml.Node, path string, out any, refused map[string]bool) int {
	unknown, typed := decodeStrict(c.file, node, path, out)
	for _, p := range append(unknown, typed...) {
		if !refused[p.Path] { // an API key is already reported, with the reason
			c.probs = append(c.probs, p)
		}
	}
	for _, p := range typed {
		bad := p.Path
		if p.Fix == fixRepeatedKey {
			// a repeated key fails the whole mapping that holds it
			if i := strings.LastIndexAny(bad, ".["); i >= 0 {
				bad = bad[:i]
			}
		}
		c.typeErrs = append(c.typeErrs, bad)
	}
	return len(typed)
}

// syntaxProblem positions a YAML syntax error ("yaml: line 3: ...").
func syntaxProblem(file string, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	p := Problem{File: file, Message: "invalid YAML: " + msg, Fix: "check indentation and quoting around the line"}
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		p.Line = line
		p.Message = "invalid YAML: " + strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return p
}

// add records a problem at field path, positioned at the node written there,
// or naming the environment variable the value came from.
func (c *checker) add(path, msg, fix string) {
	for _, bad := range c.typeErrs {
		if isUnder(path, bad) || isUnder(bad, path) {
			return // the value did not decode; its type error says it all
		}
	}
	if v, ok := c.fromEnv[path]; ok {
		c.probs = append(c.probs, Problem{Path: path, Message: msg + " (set by $" + v + ")", Fix: fix})
		return
	}
	p := Problem{File: c.file, Path: path, Message: msg, Fix: fix}
	if n := Locate(c.doc, path); n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	c.probs = append(c.probs, p)
}

// isUnder reports whether path is p or below it (p.x, p[0]).
func isUnder(path, p string) bool {
	if p == "" || path == p {
		return true
	}
	return strings.HasPrefix(path, p) && (path[len(p)] == '.' || path[len(p)] == '[')
}

// has reports whether path was written in the file.
func (c *checker) has(path string) bool {
	parts := strings.Split(path, ".")
	parent := strings.Join(parts[:len(parts)-1], ".")
	n := Locate(c.doc, parent)
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	last := parts[len(parts)-1]
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == last {
			return true
		}
	}
	return false
}

// sortProblems orders problems by position; environment problems (no file
// position) come last, in the order found.
func sortProblems(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if (a.File == "") != (b.File == "") {
			return a.File != ""
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

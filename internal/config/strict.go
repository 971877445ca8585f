package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// DecodeStrict decodes node into out (a pointer) and reports every key that out
// has no field for, and every type error, as Problems positioned in the original
// file. path is the field path of node (e.g. "tasks[0].options").
//
// yaml.v3 drops Decoder.KnownFields inside node.Decode (go-yaml/yaml#460), so
// strictness for nested, typed sections is re-applied here by walking the node
// tree against out's type. Walking the original node (instead of re-encoding it)
// keeps the original line and column numbers.
func DecodeStrict(file string, node *yaml.Node, path string, out any) Problems {
	unknown, typed := decodeStrict(file, node, path, out)
	return append(unknown, typed...)
}

// decodeStrict is DecodeStrict with unknown keys and type errors apart: after a
// type error the decoded value cannot be trusted, after an unknown key it can.
func decodeStrict(file string, node *yaml.Node, path string, out any) (unknown, typed Problems) {
	if node == nil || node.Kind == 0 {
		return nil, nil
	}
	unknownFields(file, node, path, reflect.TypeOf(out), &unknown)
	if err := node.Decode(out); err != nil {
		typed = typeProblems(file, node, path, err)
	}
	return unknown, typed
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

func unknownFields(file string, node *yaml.Node, path string, t reflect.Type, probs *Problems) {
	if node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
		node = node.Content[0]
	}
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	for t.Kind() == reflect.Pointer {
		if t.Implements(unmarshalerType) {
			return
		}
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		return // the type decodes itself and does its own checking
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return // node.Decode reports the type error
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			if k.Value == "<<" {
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				*probs = append(*probs, Problem{
					File: file, Line: k.Line, Column: k.Column, Path: join(path, k.Value),
					Message: fmt.Sprintf("unknown field %q", k.Value),
					Fix:     "remove it or use one of: " + strings.Join(sortedKeys(fields), ", "),
				})
				continue
			}
			if ft == nil {
				continue // a yaml.Node or interface field accepts anything
			}
			unknownFields(file, v, join(path, k.Value), ft, probs)
		}
	case reflect.Slice, reflect.Array:
		if node.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range node.Content {
			unknownFields(file, item, fmt.Sprintf("%s[%d]", path, i), t.Elem(), probs)
		}
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			unknownFields(file, node.Content[i+1], join(path, node.Content[i].Value), t.Elem(), probs)
		}
	}
}

var nodeType = reflect.TypeOf(yaml.Node{})

// yamlFields maps each YAML key of struct t (following inline fields) to its
// type; nil means "accepts any content".
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		ft := f.Type
		if ft == nodeType || (ft.Kind() == reflect.Pointer && ft.Elem() == nodeType) || ft.Kind() == reflect.Interface {
			out[name] = nil
			continue
		}
		out[name] = ft
	}
	return out
}

// typeProblems turns yaml.v3's type errors ("line 7: cannot unmarshal ...") into
// positioned Problems: the line comes from the message, the column and the
// field path from the node on that line the message is about.
func typeProblems(file string, node *yaml.Node, path string, err error) Problems {
	var msgs []string
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var probs Problems
	for _, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: ")
		p := Problem{File: file, Path: path, Message: m}
		var line int
		if n, _ := fmt.Sscanf(m, "line %d:", &line); n == 1 {
			p.Line = line
			p.Message = strings.TrimSpace(m[strings.Index(m, ":")+1:])
			if at, n := nodeAtLine(node, path, line, p.Message); n != nil {
				p.Path, p.Column = at, n.Column
			}
		}
		p.Message = humanize(strings.ReplaceAll(p.Message, "yaml: ", ""))
		if strings.Contains(p.Message, " twice") || strings.Contains(p.Message, "already defined") {
			p.Fix = fixRepeatedKey
		}
		probs = append(probs, p)
	}
	return probs
}

// nodeAtLine finds the node a type error on line is about: among the values on
// that line, those whose tag or value the message names, the deepest (the
// innermost value is what failed to decode, not the list that holds it).
func nodeAtLine(root *yaml.Node, path string, line int, msg string) (string, *yaml.Node) {
	type cand struct {
		path  string
		node  *yaml.Node
		depth int
		score int
	}
	var best *cand
	var walk func(n *yaml.Node, p string, depth int)
	walk = func(n *yaml.Node, p string, depth int) {
		if n == nil || depth > maxWalkDepth {
			return
		}
		if n.Line == line && n.Kind != yaml.DocumentNode {
			score := 0
			if n.Tag != "" && strings.Contains(msg, n.ShortTag()+" ") {
				score++
			}
			if n.Kind == yaml.ScalarNode && n.Value != "" && (strings.Contains(msg, "`"+n.Value) || strings.Contains(msg, `"`+n.Value+`"`)) {
				score += 2
			}
			c := cand{p, n, depth, score}
			if best == nil || c.score > best.score || (c.score == best.score && c.depth >= best.depth) {
				best = &c
			}
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, p, depth)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", p, i), depth+1)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Line == line && strings.Contains(msg, k.Value) && strings.Contains(msg, "already") {
					// a duplicate key: point at the key itself
					c := cand{join(p, k.Value), k, depth + 1, 3}
					if best == nil || c.score > best.score {
						best = &c
					}
				}
				walk(n.Content[i+1], join(p, k.Value), depth+1)
			}
		}
	}
	walk(root, path, 0)
	if best == nil {
		return path, nil
	}
	return best.path, best.node
}

// maxWalkDepth bounds recursion over hostile, deeply nested input.
const maxWalkDepth = 100

// humanize rewrites yaml.v3's Go-flavoured messages ("cannot unmarshal !!str
// `x` into int") into the words of the configuration ("want a whole number").
func humanize(msg string) string {
	var got, into string
	if rest, ok := strings.CutPrefix(msg, "cannot unmarshal "); ok {
		if i := strings.LastIndex(rest, " into "); i >= 0 {
			got, into = rest[:i], rest[i+len(" into "):]
			return fmt.Sprintf("wrong type: got %s, want %s", describeTag(got), describeGoType(into))
		}
	}
	var name, typ string
	if n, _ := fmt.Sscanf(msg, "field %s already set in type %s", &name, &typ); n == 2 {
		return fmt.Sprintf("key %q is set twice", name)
	}
	if strings.HasPrefix(msg, "mapping key ") && strings.Contains(msg, " already defined at line ") {
		return strings.Replace(msg, "mapping key", "key", 1)
	}
	return msg
}

func describeTag(got string) string {
	tag, value, _ := strings.Cut(got, " ")
	words := map[string]string{
		"!!str": "a string", "!!int": "a number", "!!float": "a number", "!!bool": "a boolean",
		"!!null": "nothing", "!!seq": "a list", "!!map": "a mapping", "!!timestamp": "a timestamp",
	}
	w, ok := words[tag]
	if !ok {
		w = tag
	}
	if value != "" {
		return w + " " + value
	}
	return w
}

func describeGoType(t string) string {
	t = strings.TrimLeft(t, "*")
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case strings.Contains(t, "."):
		return "a mapping"
	}
	return t
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]reflect.Type) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Locate finds the node at a relative field path such as "actions[0].olderThan"
// below node, for positioning a FieldError. It returns node itself when the path
// cannot be followed (the field was not written, so its parent is the best place).
func Locate(node *yaml.Node, path string) *yaml.Node {
	cur := node
	if cur != nil && cur.Kind == yaml.DocumentNode && len(cur.Content) > 0 {
		cur = cur.Content[0]
	}
	for _, part := range splitPath(path) {
		if cur == nil {
			return node
		}
		next := (*yaml.Node)(nil)
		switch {
		case part.index >= 0 && cur.Kind == yaml.SequenceNode && part.index < len(cur.Content):
			next = cur.Content[part.index]
		case part.index < 0 && cur.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(cur.Content); i += 2 {
				if cur.Content[i].Value == part.key {
					next = cur.Content[i+1]
					break
				}
			}
		}
		if next == nil {
			return cur
		}
		cur = next
	}
	return cur
}

type pathPart struct {
	key   string
	index int
}

func splitPath(path string) []pathPart {
	var parts []pathPart
	for _, seg := range strings.Split(path, ".") {
		if seg == "" {
			continue
		}
		key := seg
		var idxs []int
		for {
			open := strings.LastIndex(key, "[")
			if open < 0 || !strings.HasSuffix(key, "]") {
				break
			}
			var i int
			if _, err := fmt.Sscanf(key[open:], "[%d]", &i); err != nil {
				break
			}
			idxs = append([]int{i}, idxs...)
			key = key[:open]
		}
		if key != "" {
			parts = append(parts, pathPart{key: key, index: -1})
		}
		for _, i := range idxs {
			parts = append(parts, pathPart{index: i})
		}
	}
	return parts
}

// fixRepeatedKey is the fix for a key written twice in one mapping; yaml.v3
// then drops the whole mapping, which the loader needs to know.
const fixRepeatedKey = "keep one of them"

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
	if node == nil || node.Kind == 0 {
		return nil
	}
	var probs Problems
	unknownFields(file, node, path, reflect.TypeOf(out), &probs)
	if err := node.Decode(out); err != nil {
		probs = append(probs, typeProblems(file, path, err)...)
	}
	return probs
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
// positioned Problems.
func typeProblems(file, path string, err error) Problems {
	var msgs []string
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var probs Problems
	for _, m := range msgs {
		p := Problem{File: file, Path: path, Message: m}
		var line int
		if n, _ := fmt.Sscanf(m, "line %d:", &line); n == 1 {
			p.Line = line
			p.Message = strings.TrimSpace(m[strings.Index(m, ":")+1:])
		}
		p.Message = strings.ReplaceAll(p.Message, "yaml: ", "")
		probs = append(probs, p)
	}
	return probs
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

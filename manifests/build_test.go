package manifests_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBuildVersionVariable keeps the release build honest: the Makefile sets
// the version with -ldflags -X, which silently ignores a variable that does
// not exist (the binary would then say "dev"). The variable it names must be a
// package-level string variable, and the Dockerfile and CI must build through
// that same Makefile target.
func TestBuildVersionVariable(t *testing.T) {
	makefile := read(t, "../Makefile")
	m := regexp.MustCompile(`(?m)^VERSION_VAR\s*\?=\s*(\S+)\s*$`).FindStringSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile sets no VERSION_VAR")
	}
	if !strings.Contains(makefile, "-X $(VERSION_VAR)=$(VERSION)") {
		t.Error("the Makefile's build does not pass -X $(VERSION_VAR)=$(VERSION)")
	}
	dot := strings.LastIndex(m[1], ".")
	pkgPath, name := m[1][:dot], m[1][dot+1:]
	module := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindStringSubmatch(read(t, "../go.mod"))
	if module == nil || !strings.HasPrefix(pkgPath, module[1]+"/") {
		t.Fatalf("VERSION_VAR %s is outside module %v", m[1], module)
	}
	dir := filepath.Join("..", strings.TrimPrefix(pkgPath, module[1]+"/"))
	if !hasStringVar(t, dir, name) {
		t.Errorf("VERSION_VAR names %s, but %s declares no package-level string variable %q", m[1], dir, name)
	}
	for _, f := range []string{"../Dockerfile", "../.ci/run"} {
		if !regexp.MustCompile(`make build\b`).MatchString(read(t, f)) {
			t.Errorf("%s does not build with `make build`", f)
		}
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hasStringVar reports whether a non-test file in dir declares `var name =
// "..."` or `var name string` at package level.
func hasStringVar(t *testing.T, dir, name string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if n.Name != name {
						continue
					}
					if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "string" {
						return true
					}
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

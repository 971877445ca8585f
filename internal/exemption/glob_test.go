package exemption

import (
	"path"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatchGlob(t *testing.T) {
	cases := []struct {
		pattern, name string
		want          bool
	}{
		// `*` spans `/`: the break-glass key of issue 12.1.
		{"break-glass-*", "break-glass-ops/primary", true},
		{"break-glass-*", "break-glass-ops", true},
		{"break-glass-*", "break-glass-", true},
		{"break-glass-*", "ops/break-glass-1", false},
		{"*/primary", "break-glass-ops/primary", true},
		{"team-*/key-?", "team-a/b/key-7", true},
		{"a?b", "a/b", true},
		// Whole name, case-sensitive.
		{"backup", "backup-1", false},
		{"Backup-*", "backup-1", false},
		// Spaces and unicode, one code point per `?`.
		{"ops key *", "ops key for Zoë", true},
		{"* (legacy)", "db admin (legacy)", true},
		{"Zo? key", "Zoë key", true},
		{"clé-*", "clé-été/β", true},
		{"сервис-*", "сервис-ключ", true},
		{"?", "ü", true},
		{"??", "ü", false},
		// Classes, negation, ranges, escapes.
		{"key-[0-9]", "key-7", true},
		{"key-[^0-9]", "key-7", false},
		{"key-[^0-9]", "key-x", true},
		{"key-[/]", "key-/", true},
		{`key-\*`, "key-*", true},
		{`key-\*`, "key-1", false},
		{"[]]", "]", true},
		// Backtracking.
		{"*a*b*c", "xaxbxcxc", true},
		{"*a*b*c", "xaxbxcx", false},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"**", "a/b", true},
		// Malformed patterns match nothing.
		{"key-[", "key-[", false},
		{`key\`, `key\`, false},
	}
	for _, c := range cases {
		if got := MatchGlob(c.pattern, c.name); got != c.want {
			t.Errorf("MatchGlob(%q, %q) = %t, want %t", c.pattern, c.name, got, c.want)
		}
	}
}

func TestCheckGlob(t *testing.T) {
	for p, bad := range map[string]bool{
		"break-glass-*": false, "[a-z]*": false, `\*`: false, "ops key ?": false,
		"[": true, "[a-": true, `x\`: true, "[z-a]": true,
	} {
		if err := CheckGlob(p); (err != nil) != bad {
			t.Errorf("CheckGlob(%q) = %v, want error %t", p, err, bad)
		}
	}
}

// FuzzMatchGlob: on names without `/`, the matcher agrees with path.Match
// wherever both take the pattern; and it never panics.
func FuzzMatchGlob(f *testing.F) {
	for _, s := range [][2]string{{"break-glass-*", "break-glass-ops"}, {"a[b-d]?", "acx"}, {`\*x`, "*x"}, {"*é*", "ééé"}, {"[!a]", "b"}, {"\xc3*", "é"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		got := MatchGlob(pattern, name)
		// path.Match compares bytes where this matches code points: the two
		// agree on valid UTF-8 only (a pattern that is not is refused).
		if strings.Contains(name, "/") || strings.Contains(pattern, "/") || CheckGlob(pattern) != nil || !utf8.ValidString(name) {
			return
		}
		want, err := path.Match(pattern, name)
		if err != nil {
			return
		}
		if got != want {
			t.Errorf("MatchGlob(%q, %q) = %t, path.Match says %t", pattern, name, got, want)
		}
	})
}

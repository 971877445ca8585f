package exemption

import (
	"errors"
	"unicode/utf8"
)

// Name globs of exemptions.
//
// An exemption's name pattern uses the shell-glob syntax of path.Match, with
// one difference that matters for identity names: `*` matches any run of
// characters, `/` included. path.Match stops `*` at `/`, so `break-glass-*`
// would not exempt `break-glass-ops/primary`, and that key would be acted on.
//
//	*        any run of characters, including none and including `/`
//	?        any one character (a Unicode code point, `/` included)
//	[a-z]    one character in the class; [^a-z] one not in it
//	\x       the character x itself (e.g. `\*`)
//
// Matching is on the whole name, case-sensitive, by code point, so names with
// spaces or non-ASCII characters match as written.

// ErrBadGlob is returned by CheckGlob for a malformed pattern.
var ErrBadGlob = errors.New("malformed glob: an unclosed [ class or a trailing \\")

// ErrGlobNotUTF8 is returned by CheckGlob for a pattern that is not valid
// UTF-8: it is matched by code point, and identity names are UTF-8.
var ErrGlobNotUTF8 = errors.New("malformed glob: not valid UTF-8")

// CheckGlob reports whether pattern is well formed.
func CheckGlob(pattern string) error {
	if !utf8.ValidString(pattern) {
		return ErrGlobNotUTF8
	}
	_, err := matchGlob(pattern, "", true)
	return err
}

// MatchGlob reports whether name matches pattern in full. A malformed pattern
// matches nothing (CheckGlob it when the configuration is read).
func MatchGlob(pattern, name string) bool {
	if !utf8.ValidString(pattern) {
		return false
	}
	ok, err := matchGlob(pattern, name, false)
	return ok && err == nil
}

// matchGlob is the classic wildcard walk: every token other than `*` takes
// exactly one character, so remembering only the last `*` (and backtracking
// to it) is enough, and a match costs O(len(pattern)·len(name)) at worst. With
// check set it also scans the whole pattern for syntax errors.
func matchGlob(pattern, name string, check bool) (bool, error) {
	if check {
		for p := pattern; p != ""; {
			switch p[0] {
			case '*':
				p = p[1:]
				continue
			}
			_, rest, err := oneToken(p, "x")
			if err != nil {
				return false, err
			}
			p = rest
		}
	}
	p, n := pattern, name
	starP, starN := "", ""
	star := false
	for n != "" {
		if p != "" && p[0] == '*' {
			for p != "" && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true, nil
			}
			star, starP, starN = true, p, n
			continue
		}
		if p != "" {
			_, size := utf8.DecodeRuneInString(n)
			ok, rest, err := oneToken(p, n[:size])
			if err != nil {
				return false, err
			}
			if ok {
				p, n = rest, n[size:]
				continue
			}
		}
		if !star {
			return false, nil
		}
		// Let the last `*` take one more character and try again.
		_, size := utf8.DecodeRuneInString(starN)
		starN = starN[size:]
		p, n = starP, starN
	}
	for p != "" && p[0] == '*' {
		p = p[1:]
	}
	return p == "", nil
}

// oneToken matches the pattern's first token (not `*`) against c, the name's
// next character (its bytes, so invalid UTF-8 matches only itself), and
// returns the rest of the pattern.
func oneToken(p, c string) (bool, string, error) {
	r, _ := utf8.DecodeRuneInString(c)
	switch p[0] {
	case '?':
		return true, p[1:], nil
	case '\\':
		if len(p) < 2 {
			return false, "", ErrBadGlob
		}
		_, size := utf8.DecodeRuneInString(p[1:])
		return p[1:1+size] == c, p[1+size:], nil
	case '[':
		return class(p[1:], r)
	}
	_, size := utf8.DecodeRuneInString(p)
	return p[:size] == c, p[size:], nil
}

// class matches a [...] class (p starts after the `[`) against r.
func class(p string, r rune) (bool, string, error) {
	negated := false
	if p != "" && p[0] == '^' {
		negated, p = true, p[1:]
	}
	matched, first := false, true
	for {
		if p == "" {
			return false, "", ErrBadGlob
		}
		if p[0] == ']' && !first {
			return matched != negated, p[1:], nil
		}
		first = false
		lo, rest, err := classChar(p)
		if err != nil {
			return false, "", err
		}
		hi := lo
		if len(rest) > 1 && rest[0] == '-' && rest[1] != ']' {
			if hi, rest, err = classChar(rest[1:]); err != nil {
				return false, "", err
			}
			if hi < lo {
				return false, "", ErrBadGlob
			}
		}
		if lo <= r && r <= hi {
			matched = true
		}
		p = rest
	}
}

func classChar(p string) (rune, string, error) {
	if p[0] == '\\' {
		p = p[1:]
		if p == "" {
			return 0, "", ErrBadGlob
		}
	}
	c, size := utf8.DecodeRuneInString(p)
	return c, p[size:], nil
}

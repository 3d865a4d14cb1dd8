package pgexpr

import (
	"errors"
	"strings"
	"testing"

	"openwit/internal/pgerror"
)

// TestTranslateARE checks the RE2 source written for PostgreSQL AREs, and
// the SQLSTATE of the patterns PostgreSQL refuses (2201B) or OpenWit
// cannot run on RE2 (0A000).
func TestTranslateARE(t *testing.T) {
	for _, c := range []struct {
		pattern, flags, want, code string
	}{
		{pattern: `a.b`, want: `a(?s:.)b`},
		{pattern: `a.b`, flags: "n", want: `a[^\n]b`},
		{pattern: `^a$`, want: `\Aa\z`},
		{pattern: `^a$`, flags: "w", want: `(?m:^)a(?m:$)`},
		{pattern: `[^a]`, flags: "p", want: `[^a\n]`},
		{pattern: `[\d_]`, want: `[0-9_]`},
		{pattern: `[^\d]`, want: `[^0-9]`},
		{pattern: `\mfoo\M`, want: `\bfoo\b`},
		{pattern: `\m(b\w*)\M`, want: `\b(b(?:[\p{L}\p{Nl}\p{Nd}_])*)\b`},
		{pattern: `\yfoo\Y`, want: `\bfoo\B`},
		{pattern: `\Afoo\Z`, want: `\Afoo\z`},
		{pattern: `[[:<:]]x[[:>:]]`, want: `\bx\b`},
		{pattern: `\b\B\e`, want: `\x{8}\x{5c}\x{1b}`},
		{pattern: `\u00e9\x41\101`, want: `\x{e9}AA`},
		{pattern: `(?i)abc`, want: `(?i)abc`},
		{pattern: `abc`, flags: "i", want: `(?i)abc`},
		{pattern: `***=a.c`, want: `a\x{2e}c`},
		{pattern: `a.c`, flags: "q", want: `a\x{2e}c`},
		{pattern: `***:(?n)a.`, want: `a[^\n]`},
		{pattern: `(?x) a b # c`, want: `ab`},
		{pattern: `a{2,3}?b*`, want: `(?:a){2,3}?(?:b)*`},
		{pattern: `(a)(?:b)`, want: `(a)(?:b)`},
		{pattern: `[[.space.]][[=a=]]`, want: `[\x{20}][a]`},
		{pattern: `a\1`, code: "2201B"},
		{pattern: `(a)\1`, code: pgerror.FeatureNotSupported},
		{pattern: `x(?=a)`, code: pgerror.FeatureNotSupported},
		{pattern: `(?<!a)x`, code: pgerror.FeatureNotSupported},
		{pattern: `\m.`, code: pgerror.FeatureNotSupported},
		{pattern: `.\M`, code: pgerror.FeatureNotSupported},
		{pattern: `[^\D]`, code: pgerror.FeatureNotSupported},
		{pattern: `\q`, code: "2201B"},
		{pattern: `a\`, code: "2201B"},
		{pattern: `[z-a]`, code: "2201B"},
		{pattern: `[a-b-c]`, code: "2201B"},
		{pattern: `[[:nope:]]`, code: "2201B"},
		{pattern: `a{256}`, code: "2201B"},
		{pattern: `(?z)a`, code: "2201B"},
		{pattern: `a**`, code: "2201B"},
		{pattern: `(a`, code: "2201B"},
		{pattern: `a)`, code: "2201B"},
		{pattern: `a`, flags: "z", code: pgerror.InvalidParameterValue},
		{pattern: `a`, flags: "b", code: pgerror.FeatureNotSupported},
	} {
		t.Run(c.flags+"/"+c.pattern, func(t *testing.T) {
			var f areFlags
			_, err := parseREFlags(&f, c.flags)
			var tr areResult
			if err == nil {
				tr, err = translateARE(c.pattern, f)
			}
			if c.code != "" {
				var pe *pgerror.Error
				if !errors.As(err, &pe) || pe.Code != c.code {
					t.Fatalf("got %q, %v; want SQLSTATE %s", tr.src, err, c.code)
				}
				return
			}
			if err != nil || tr.src != c.want {
				t.Fatalf("got %q, %v; want %q", tr.src, err, c.want)
			}
		})
	}
}

// TestAREMatch runs patterns the way regexp_match(subject, pattern, flags)
// does; the expectations are PostgreSQL 15's answers (C.UTF-8), the
// subexpressions in braces, NULL for no match, or the error's SQLSTATE.
func TestAREMatch(t *testing.T) {
	for _, c := range []struct{ subject, pattern, flags, want string }{
		{`xyz`, `x(y|yz)?`, ``, `{yz}`},
		{`xyz`, `x(y|yz)`, ``, `{yz}`},
		{`xyzxyz`, `(xyz)+?`, ``, `{xyz}`},
		{`aaa`, `(a|aa)*`, ``, `{a}`},
		{`aaa`, `(a|aa)+`, ``, `{a}`},
		{`aab`, `(a*)(ab|b)`, ``, `{aa,b}`},
		{`aab`, `(a*?)(ab|b)`, ``, `{a,ab}`},
		{`aab`, `(a|ab)(c|bcd|b)`, ``, `{a,b}`},
		{`abcd`, `(a|ab)(c|bcd)`, ``, `{a,bcd}`},
		{`foo=bar baz=qux`, `(\w+)=(\w+)`, ``, `{foo,bar}`},
		{`foo=bar baz=qux`, `(\w+?)=(\w+)`, ``, `{foo,b}`},
		{`<a><b>`, `<.+?>`, ``, `{<a>}`},
		{`<a><b>`, `<.+>`, ``, `{<a><b>}`},
		{`<a><b>`, `<(.+?)>(.*)`, ``, `{a,}`},
		{`2024-01-05`, `(\d+)-(\d+)-(\d+)`, ``, `{2024,01,05}`},
		{`abc`, `a?b?c?`, ``, `{abc}`},
		{`abc`, `[abc]{2}?`, ``, `{ab}`},
		{`aaaa`, `a{2,3}?`, ``, `{aa}`},
		{`aaaa`, `(a{2,3}?)(a*)`, ``, `{aa,}`},
		{`aaaa`, `(a{2}?)(a*)`, ``, `{aa,aa}`},
		{`Hello World`, `[[:upper:]][[:lower:]]+`, ``, `{Hello}`},
		{`Hello World`, `(?i)world`, ``, `{World}`},
		{`HELLO`, `[[:lower:]]+`, `i`, `{HELLO}`},
		{``, `a*`, ``, `{}`},
		{`a\nb\nc`, `^.*$`, `n`, `{a\nb\nc}`},
		{`a\nb\nc`, `^.*$`, ``, `{a\nb\nc}`},
		{`a\nb\nc`, `(?n)^b$`, ``, `NULL`},
		{`a\nb\nc`, `(?p).+`, ``, `{a\nb\nc}`},
		{`a\nb\nc`, `(?w).+`, ``, `{a\nb\nc}`},
		{`a\nb\nc`, `(?w)^b`, ``, `NULL`},
		{`a\nb\nc`, `[^a]+`, ``, `{\nb\nc}`},
		{`a\nb\nc`, `[^a]+`, `n`, `{\nb\nc}`},
		{`a\nb\nc`, `\W`, `n`, `{\}`},
		{`x y`, `x\sy`, ``, `{x y}`},
		{`x\u00a0y`, `x\sy`, ``, `NULL`},
		{`x y`, `x[[:space:]]y`, ``, `{x y}`},
		{`π=3.14`, `[[:alpha:]]`, ``, `{π}`},
		{`π=3.14`, `[[:punct:]]+`, ``, `{=}`},
		{`€5`, `[[:punct:]]`, ``, `{€}`},
		{`ab12`, `[[:alnum:]]+`, ``, `{ab12}`},
		{`ab12`, `[[:xdigit:]]+`, ``, `{ab12}`},
		{` ab`, `[[:graph:]]+`, ``, `{ab}`},
		{` ab`, `[[:print:]]+`, ``, `{ ab}`},
		{`ab`, `[[:ascii:]]+`, ``, `{ab}`},
		{`x`, `[[:word:]]`, ``, `{x}`},
		{`_`, `[[:word:]]`, ``, `{_}`},
		{`a-z`, `[a\-z]+`, ``, `{a-z}`},
		{`a]b`, `[]]`, ``, `{]}`},
		{`a^b`, `[\^]`, ``, `{^}`},
		{`a^b`, `[x^]`, ``, `{^}`},
		{`\\`, `[\\]`, ``, `{\}`},
		{`\\`, `[\B]`, ``, `{\}`},
		{`a.b`, `a\.b`, ``, `{a.b}`},
		{`a+b`, `a\+b`, ``, `{a+b}`},
		{`a*b`, `a\*b`, ``, `{a*b}`},
		{`a?b`, `a\?b`, ``, `{a?b}`},
		{`(a)`, `\(a\)`, ``, `{(a)}`},
		{`a|b`, `a\|b`, ``, `{a|b}`},
		{`{a}`, `\{a\}`, ``, `{{a}}`},
		{`a{b`, `a{b`, ``, `{a{b}`},
		{`a}b`, `a}b`, ``, `{a}b}`},
		{`abc`, `a(?:b)c`, ``, `{abc}`},
		{`abc`, `a(b)?c`, ``, `{b}`},
		{`ac`, `a(b)?c`, ``, `{NULL}`},
		{`abab`, `(?:ab){2}`, ``, `{abab}`},
		{`abab`, `(ab){2}`, ``, `{ab}`},
		{`ab`, `a\`, ``, `ERROR 2201B`},
		{`abcd`, `a.*?(bcd|bc)`, ``, `{bc}`},
		{`x-ray xyz`, `\mx\w*\M`, ``, `{x}`},
		{`foo bar baz`, `\m(b\w+)\M`, ``, `{bar}`},
		{`a\nb`, `a.b`, ``, `NULL`},
		{`a\nb`, `a.b`, `n`, `NULL`},
		{`a\nb`, `^b`, `w`, `NULL`},
		{`a\nb`, `a[^x]b`, `p`, `NULL`},
		{`a1 b2`, `\w\d\s\w`, ``, `{a1 b}`},
		{`ab12`, `[\d]+`, ``, `{12}`},
		{`ab12`, `[^\d]+`, ``, `{ab}`},
		{`ab12`, `[\D]+`, ``, `{ab}`},
		{`é`, `\u00e9`, ``, `{é}`},
		{`A`, `\x41`, ``, `{A}`},
		{`A8`, `\1018`, ``, `{A8}`},
		{`aB`, `(?i)ab`, ``, `{aB}`},
		{`a.c`, `***=a.c`, ``, `{a.c}`},
		{`a.c`, `a.c`, `q`, `{a.c}`},
		{`abc`, `(?x) a b # c`, ``, `{ab}`},
		{`x`, `a\1`, ``, `ERROR 2201B`},
		{`q`, `\q`, ``, `ERROR 2201B`},
		{`q`, `[z-a]`, ``, `ERROR 2201B`},
		{`q`, `a{256}`, ``, `ERROR 2201B`},
		{`q`, `(?z)a`, ``, `ERROR 2201B`},
		{`q`, `a**`, ``, `ERROR 2201B`},
		{`foo bar`, `[[:<:]]bar`, ``, `{bar}`},
		{`foo bar`, `foo[[:>:]]`, ``, `{foo}`},
		{`a b`, `[[.space.]]`, ``, `{ }`},
		{`xa`, `[[=a=]]`, ``, `{a}`},
		{`cat concat`, `\ycat\y`, ``, `{cat}`},
		{`abc`, `\Abc`, ``, `NULL`},
		{`abc`, `ab\Z`, ``, `NULL`},
		{`abcabc`, `\y(a.*?c)\y`, ``, `{abcabc}`},
		{`abc abc`, `^(a.*?)c`, ``, `{ab}`},
		{`xaby`, `x(a|ab)??y`, ``, `{ab}`},
		{`aaab`, `(a+?)(a*)b`, ``, `{a,aa}`},
		{`foo bar foo`, `(f.*?)\s(b|ba)`, ``, `{foo,b}`},
		{`one two`, `(\w+?)\M`, ``, `{one}`},
		{`a1b2c3`, `[a-z](\d)`, ``, `{1}`},
		{`hello world`, `(l+)(o\s*w)`, ``, `{ll,o w}`},
		{`abcabc`, `(abc)*?c`, ``, `{NULL}`},
		{`abb`, `a(b|bb)?`, ``, `{bb}`},
		{`aaa`, `a*?`, ``, `{}`},
		{`aaa`, `a+?`, ``, `{a}`},
		{`aaa`, `(a*?)a`, ``, `{}`},
		{`xyyz`, `x(y|yy)+z`, ``, `{y}`},
		{`ABC`, `(?i)[[:lower:]]+`, ``, `{ABC}`},
		{`ABC`, `[[:lower:]]+`, `i`, `{ABC}`},
		{`Straße`, `(?i)STRASSE`, ``, `NULL`},
		{`ǅ`, `[[:upper:]]`, ``, `{ǅ}`},
		{`ǅ`, `[[:lower:]]`, ``, `{ǅ}`},
		{`a_b`, `\W`, ``, `NULL`},
		{`a b`, `[[:space:]]`, ``, `{ }`},
		{`a\tb`, `\s`, ``, `NULL`},
		{`x`, `[[:alpha:][:digit:]]`, ``, `{x}`},
		{`5`, `[^[:alpha:]]`, ``, `{5}`},
		{`5`, `[^[:digit:]]`, ``, `NULL`},
		{`ab`, `a|`, ``, `{a}`},
		{`ab`, `|b`, ``, `{}`},
		{`ab`, `(a)|b`, ``, `{a}`},
		{`b`, `(a)|b`, ``, `{NULL}`},
		{`abc`, `a(?:b|)c`, ``, `{abc}`},
		{`a.b`, `a[.]b`, ``, `{a.b}`},
		{`a]b`, `a[]]b`, ``, `{a]b}`},
		{`a-b`, `a[a-]b`, ``, `{a-b}`},
		{`ab`, `[a-b-c]`, ``, `ERROR 2201B`},
		{`x`, `\x{41}`, ``, `ERROR 2201B`},
		{`AB`, `\x4142`, ``, `NULL`},
		{`é`, `\xE9`, ``, `{é}`},
		{`A`, `\0101`, ``, `NULL`},
		{`A`, `\U00000041`, ``, `{A}`},
		{`\x00`, `\0`, ``, `NULL`},
		{`a{1}`, `a\{1\}`, ``, `{a{1}}`},
		{`a{1,2}`, `a{1,2}`, ``, `{a}`},
		{`aaa`, `a{0}`, ``, `{}`},
		{`aaa`, `a{0,}`, ``, `{aaa}`},
		{`aa`, `a{,2}`, ``, `NULL`},
		{`ab`, `a(?#c)*b`, ``, `{ab}`},
		{`aab`, `a(?#c)+b`, ``, `{aab}`},
		{`a b`, `(?x)a\ b`, ``, `{a b}`},
		{`a b`, `(?x)a[ ]b`, ``, `{a b}`},
		{`a#b`, `(?x)a\#b`, ``, `{a#b}`},
		{`ab`, `(?x)a#comment`, ``, `{a}`},
		{`AB`, `(?ix)a b`, ``, `{AB}`},
		{`a.b`, `***=a.b`, `i`, `{a.b}`},
		{`A.B`, `***=a.b`, `i`, `{A.B}`},
		{`ab`, `(?q)a.b`, ``, `NULL`},
		{`x`, `a\10`, ``, `NULL`},
		{`a8`, `a\8`, ``, `ERROR 2201B`},
		{`a\t`, `a\011`, ``, `NULL`},
		{`a\0`, `a\0`, ``, `NULL`},
		{`ab`, `a\B`, ``, `NULL`},
		{`a{`, `a\{`, ``, `{a{}`},
		{`a}`, `a}`, ``, `{a}}`},
		{`a{x`, `a{x`, ``, `{a{x}`},
		{`a{1`, `a{1`, ``, `ERROR 2201B`},
		{`a{,1}`, `a{,1}`, ``, `{a{,1}}`},
		{`aa`, `a{1}?`, ``, `{a}`},
		{`aaa`, `(a{1,2}){2}`, ``, `{a}`},
		{`abcABC`, `[a-c]+`, `i`, `{abcABC}`},
		{`Ab`, `[[:upper:]]b`, `i`, `{Ab}`},
		{`é`, `[[:ascii:]]`, ``, `NULL`},
		{`ab`, `a\Yb`, ``, `{ab}`},
		{`a b`, `a\Y b`, ``, `NULL`},
		{`ab`, `^\ya`, ``, `{a}`},
		{`a`, `\Za`, ``, `NULL`},
		{`abc`, `(?:(a)|b)c`, ``, `{NULL}`},
		{`bc`, `(?:(a)|b)c`, ``, `{NULL}`},
		{`a\nb`, `(?w)^b`, ``, `NULL`},
		{`a\nb`, `(?s)a.b`, `n`, `NULL`},
		{`a\nb`, `a$`, `m`, `NULL`},
		{`a\nb`, `[^a]`, `n`, `{\}`},
		{`a\nb`, `\n`, ``, `NULL`},
		{`a\nb`, `[\n]`, ``, `NULL`},
		{`ab`, `[\w-]+`, ``, `{ab}`},
		{`a-b`, `[\w\-]+`, ``, `{a-b}`},
		{`]`, `[]]`, ``, `{]}`},
		{`^`, `[\^]`, ``, `{^}`},
		{`a`, `[[.a.]-c]`, ``, `{a}`},
		{`b`, `[a-[.c.]]`, ``, `{b}`},
		{`-`, `[[.-.]]`, ``, `{-}`},
		{`a`, `[[=a=]b]`, ``, `{a}`},
		{`a`, `(?i)[[=A=]]`, ``, `{a}`},
		{`ab`, `a(?#c`, ``, `{a}`},
		{`ab`, `(?#x)*a`, ``, `ERROR 2201B`},
		{`ab`, `a(?#x)(?#y)+b`, ``, `{ab}`},
		{`café bar`, `\ybar\y`, ``, `{bar}`},
		{`café bar`, `caf\y`, ``, `NULL`},
		{`café bar`, `(\w+)\y`, ``, `{café}`},
		{`café bar`, `\mcaf`, ``, `{caf}`},
		{`cafébar`, `\ybar`, ``, `NULL`},
		{`cafébar`, `\Ybar`, ``, `{bar}`},
		{`naïve test`, `\m(\w+)\M`, ``, `{naïve}`},
		{`naïve test`, `(\w+?)\M`, ``, `{naïve}`},
		{`日本語 text`, `\y(\w+)\y`, ``, `{日本語}`},
		{`日本語 text`, `\m\w+\M`, ``, `{日本語}`},
		{`x é y`, `\y.`, ``, `{x}`},
		{`éa`, `\Ya`, ``, `{a}`},
		{`Ünïcode wörd`, `\m(w\w*)`, ``, `{wörd}`},
		{`Ünïcode wörd`, `(?i)\mWÖRD\M`, ``, `{wörd}`},
		{`é`, `\y`, ``, `{}`},
		{`é`, `\Y`, ``, `NULL`},
	} {
		t.Run(c.flags+"/"+c.pattern+"/"+c.subject, func(t *testing.T) {
			got, err := matchForTest(c.subject, c.pattern, c.flags)
			if err != nil {
				var pe *pgerror.Error
				if !errors.As(err, &pe) {
					t.Fatalf("error without SQLSTATE: %v", err)
				}
				got = "ERROR " + pe.Code
			}
			if got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}

// matchForTest is regexp_match's answer as text: {sub,...} or NULL.
func matchForTest(s, pattern, flags string) (string, error) {
	var f areFlags
	if _, err := parseREFlags(&f, flags); err != nil {
		return "", err
	}
	re, err := compileARE(pattern, f)
	if err != nil {
		return "", err
	}
	m, err := re.find(s)
	if err != nil || m == nil {
		return "NULL", err
	}
	var g []string
	for i := 0; i < len(m); i += 2 {
		if m[i] < 0 {
			g = append(g, "NULL")
		} else {
			g = append(g, s[m[i]:m[i+1]])
		}
	}
	if len(g) > 1 {
		g = g[1:]
	}
	return "{" + strings.Join(g, ",") + "}", nil
}

// FuzzCompileARE checks that any pattern either compiles or fails with a
// SQLSTATE, and that a compiled one runs without panicking.
func FuzzCompileARE(f *testing.F) {
	for _, s := range []string{`a.*?(b|bc)`, `\m\w+\M`, `[[:alpha:][.space.]\d-]`, `***=a`, `(?inx) a # b`, `\u00e9\x41\101\cA`, `(a{2,3}?)|[^\D]`, `a{1,}?\y`} {
		f.Add(s, "abc 12 é\nxyz")
	}
	f.Fuzz(func(t *testing.T, pattern, subject string) {
		for _, fl := range []areFlags{{}, {icase: true, nlstop: true, nlanch: true}} {
			re, err := compileARE(pattern, fl)
			if err != nil {
				var pe *pgerror.Error
				if !errors.As(err, &pe) {
					t.Fatalf("%q: error without SQLSTATE: %v", pattern, err)
				}
				continue
			}
			if _, err := re.findAll(subject, 0, 3); err != nil {
				var pe *pgerror.Error
				if !errors.As(err, &pe) {
					t.Fatalf("%q: error without SQLSTATE: %v", pattern, err)
				}
			}
			// On text RE2 judges right, the breadth-first search finds
			// the same extent as the RE2 path.
			if re.nfa != nil && !re.unicodeWords(subject) {
				want := re.findAt(subject, 0, false)
				got := re.nfa.search(subject, 0, !re.short)
				if (want == nil) != (got == nil) || (want != nil && (want[0] != got[0] || want[1] != got[1])) {
					t.Fatalf("%q on %q: search %v, RE2 path %v", pattern, subject, got, want)
				}
			}
		}
	})
}

package jsonscan_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/jsonscan"
	"openwit/planner/pgexpr"
)

// gen writes random JSON text that is valid but often not jsonb's output:
// duplicate keys, escapes in keys and strings, unicode, white space,
// numbers with exponents and signs, nesting.
type gen struct {
	r    *rand.Rand
	keys []string
}

func newGen(seed uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		keys: []string{"a", "b", "svc", "k8s", "pod", "é", "a\"b", "a\\b", "", "line\nbreak", "ab", "ba", "level", "\u0001", "日本", "😀"}}
}

func (g *gen) space(b *strings.Builder) {
	if g.r.IntN(4) == 0 {
		b.WriteString([]string{" ", "\n", "\t ", "\r\n  "}[g.r.IntN(4)])
	}
}

// str writes s as a JSON string, escaping some characters that need no
// escape.
func (g *gen) str(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			if g.r.IntN(2) == 0 && r == '\n' {
				b.WriteString(`\n`)
			} else {
				fmt.Fprintf(b, `\u%04x`, r)
			}
		case r > 0xFFFF && g.r.IntN(2) == 0:
			r1, r2 := utf16Pair(r)
			fmt.Fprintf(b, `\u%04X\u%04x`, r1, r2)
		case g.r.IntN(8) == 0:
			if r == '/' {
				b.WriteString(`\/`)
			} else if r < 0x10000 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xD800 + (r>>10)&0x3FF, 0xDC00 + r&0x3FF
}

func (g *gen) number(b *strings.Builder) {
	if g.r.IntN(3) == 0 {
		b.WriteByte('-')
	}
	if g.r.IntN(4) == 0 {
		b.WriteByte('0')
	} else {
		b.WriteString(strconv.Itoa(1 + g.r.IntN(100000)))
	}
	if g.r.IntN(2) == 0 {
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(g.r.IntN(1000)))
		if g.r.IntN(3) == 0 {
			b.WriteByte('0')
		}
	}
	if g.r.IntN(3) == 0 {
		b.WriteString([]string{"e", "E", "e+", "e-", "E-"}[g.r.IntN(5)])
		b.WriteString(strconv.Itoa(g.r.IntN(25)))
	}
}

func (g *gen) value(b *strings.Builder, depth int) {
	n := 7
	if depth > 3 {
		n = 5
	}
	switch g.r.IntN(n) {
	case 0:
		b.WriteString([]string{"null", "true", "false"}[g.r.IntN(3)])
	case 1, 2:
		g.number(b)
	case 3, 4:
		g.str(b, g.keys[g.r.IntN(len(g.keys))]+strings.Repeat("x/", g.r.IntN(3)))
	case 5:
		b.WriteByte('[')
		for i := range g.r.IntN(4) {
			if i > 0 {
				b.WriteByte(',')
			}
			g.space(b)
			g.value(b, depth+1)
			g.space(b)
		}
		b.WriteByte(']')
	case 6:
		g.object(b, depth)
	}
}

func (g *gen) object(b *strings.Builder, depth int) {
	b.WriteByte('{')
	for i := range g.r.IntN(6) {
		if i > 0 {
			b.WriteByte(',')
		}
		g.space(b)
		g.str(b, g.keys[g.r.IntN(len(g.keys))])
		g.space(b)
		b.WriteByte(':')
		g.space(b)
		g.value(b, depth+1)
		g.space(b)
	}
	b.WriteByte('}')
}

func (g *gen) doc() string {
	var b strings.Builder
	g.space(&b)
	if g.r.IntN(8) == 0 {
		g.value(&b, 0)
	} else {
		g.object(&b, 0)
	}
	g.space(&b)
	return b.String()
}

// reference evaluates op with pgexpr's row-engine operator.
func reference(t *testing.T, doc pgexpr.JSONB, op string, r any, rt sql.Type) any {
	t.Helper()
	j, err := pgexpr.NewJSONOp(op, expression.NewLiteral(doc, types.JSON), expression.NewLiteral(r, rt))
	if err != nil {
		t.Fatal(err)
	}
	v, err := j.Eval(sql.NewEmptyContext(), nil)
	if err != nil {
		t.Fatalf("%s %s %v: %v", doc, op, r, err)
	}
	if x, ok := v.(pgexpr.JSONB); ok {
		return x.String()
	}
	return v
}

func textOrNull(v string, ok bool, asText bool) any {
	if !ok {
		return nil
	}
	var out []byte
	var null bool
	var err error
	if asText {
		out, null, err = jsonscan.Text(nil, v)
	} else {
		out, err = jsonscan.Canon(nil, v)
	}
	if err != nil {
		return err
	}
	if null {
		return nil
	}
	return string(out)
}

// TestDifferential compares the scanner with pgexpr's JSONB operators on
// generated documents.
func TestDifferential(t *testing.T) {
	g := newGen(uint64(rand.Int64()))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		text := g.doc()
		doc, err := pgexpr.ParseStoredJSONB(text)
		if err != nil {
			t.Fatalf("generated %q: %v", text, err)
		}
		// The whole document.
		got, err := jsonscan.Canon(nil, jsonscan.Trim(text))
		if err != nil || string(got) != doc.String() {
			t.Fatalf("Canon(%q) = %q, %v; pgexpr %q", text, got, err, doc.String())
		}
		for _, k := range g.keys {
			for _, op := range []string{"->", "->>"} {
				want := reference(t, doc, op, k, types.LongText)
				v, ok, err := jsonscan.Get(text, []jsonscan.Step{{Key: k}})
				if err != nil {
					t.Fatal(err)
				}
				if got := textOrNull(v, ok, op == "->>"); got != want {
					t.Fatalf("%q %s %q = %#v, pgexpr %#v", text, op, k, got, want)
				}
			}
			has, err := jsonscan.Has(jsonscan.Trim(text), k)
			if want := reference(t, doc, "?", k, types.LongText); err != nil || has != want {
				t.Fatalf("%q ? %q = %v, %v; pgexpr %v", text, k, has, err, want)
			}
		}
		for _, i := range []int64{0, 1, 2, -1, -2, 5} {
			for _, op := range []string{"->", "->>"} {
				want := reference(t, doc, op, i, types.Int64)
				v, ok, err := jsonscan.Get(text, []jsonscan.Step{{ByIndex: true, Index: i}})
				if err != nil {
					t.Fatal(err)
				}
				if got := textOrNull(v, ok, op == "->>"); got != want {
					t.Fatalf("%q %s %d = %#v, pgexpr %#v", text, op, i, got, want)
				}
			}
		}
		// Two-step paths, as -> chains and as #> paths.
		for range 6 {
			a, b := g.keys[g.r.IntN(len(g.keys))], g.keys[g.r.IntN(len(g.keys))]
			if g.r.IntN(3) == 0 {
				b = strconv.Itoa(g.r.IntN(3) - 1)
			}
			for _, op := range []string{"#>", "#>>"} {
				path := "{" + quoteElem(a) + "," + quoteElem(b) + "}"
				want := reference(t, doc, op, path, types.LongText)
				v, ok, err := jsonscan.Get(text, []jsonscan.Step{{Key: a, Path: true}, {Key: b, Path: true}})
				if err != nil {
					t.Fatal(err)
				}
				if got := textOrNull(v, ok, op == "#>>"); got != want {
					t.Fatalf("%q %s %s = %#v, pgexpr %#v", text, op, path, got, want)
				}
			}
		}
		// Containment of a generated flat object.
		var cb strings.Builder
		g.object(&cb, 4)
		c := cb.String()
		if pairs, ok, err := jsonscan.FlatObject(c); err == nil && ok {
			cdoc, err := pgexpr.ParseJSONB(c, false)
			if err != nil {
				continue
			}
			want := reference(t, doc, "@>", cdoc, types.JSON)
			got, err := jsonscan.ContainsPairs(text, pairs)
			if err != nil || got != want {
				t.Fatalf("%q @> %q = %v, %v; pgexpr %v", text, c, got, err, want)
			}
		}
		// Containment of a pair taken from the document itself (mostly true).
		if v, ok, _ := jsonscan.Get(text, []jsonscan.Step{{Key: "a"}}); ok && jsonscan.KindOf(v) != jsonscan.Object && jsonscan.KindOf(v) != jsonscan.Array {
			c := `{"a": ` + v + `}`
			pairs, ok, err := jsonscan.FlatObject(c)
			if err != nil || !ok {
				t.Fatalf("FlatObject(%q) = %v, %v", c, ok, err)
			}
			cdoc, err := pgexpr.ParseStoredJSONB(c)
			if err != nil {
				t.Fatal(err)
			}
			want := reference(t, doc, "@>", cdoc, types.JSON)
			got, err := jsonscan.ContainsPairs(text, pairs)
			if err != nil || got != want || got != true {
				t.Fatalf("%q @> %q = %v, %v; pgexpr %v", text, c, got, err, want)
			}
		}
	}
}

func quoteElem(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

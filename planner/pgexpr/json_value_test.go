package pgexpr

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
)

func TestParseJSONB(t *testing.T) {
	for _, c := range []struct{ in, want, code string }{
		{in: `{"b":1,"a":[1,2.50,1e2],"a":3, "aa":null}`, want: `{"a": 3, "b": 1, "aa": null}`},
		{in: `[1e2, 2.50, -0, 1E-3, 0.1e1, 1.50e-1, -1.5E1]`, want: `[100, 2.50, 0, 0.001, 1, 0.150, -15]`},
		{in: `"\u00e9\n\u0001\ud83d\ude00\/"`, want: `"é\n\u0001😀/"`},
		{in: ` true `, want: `true`},
		{in: `{"a":1`, code: pgerror.InvalidTextRepr},
		{in: `01`, code: pgerror.InvalidTextRepr},
		{in: `[1,]`, code: pgerror.InvalidTextRepr},
		{in: `"\ud83d"`, code: pgerror.InvalidTextRepr},
		{in: `"\u0000"`, code: "22P05"},
		{in: `truex`, code: pgerror.InvalidTextRepr},
	} {
		j, err := ParseJSONB(c.in, false)
		if c.code != "" {
			if pgerror.Code(err) != c.code {
				t.Errorf("%s: got error %v, want SQLSTATE %s", c.in, err, c.code)
			}
			continue
		}
		if err != nil || j.String() != c.want {
			t.Errorf("%s: got %s, %v; want %s", c.in, j, err, c.want)
		}
	}
	if j, err := ParseJSONB(`{"b": 1,  "a":2}`, true); err != nil || j.String() != `{"b": 1,  "a":2}` {
		t.Errorf("json keeps its text: got %s, %v", j, err)
	}
}

func TestJSONContainsAndCompare(t *testing.T) {
	p := func(s string) any {
		j, err := ParseJSONB(s, false)
		if err != nil {
			t.Fatal(err)
		}
		return j.V
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{`{"a":1,"b":[1,2]}`, `{"b":[2]}`, true},
		{`{"a":[1,2]}`, `{"a":1}`, false},
		{`[1,[2,3]]`, `[[3]]`, true},
		{`["x"]`, `"x"`, true},
		{`"x"`, `["x"]`, false},
		{`{"a":1.0}`, `{"a":1}`, true},
	} {
		if got := JSONContains(p(c.a), p(c.b)); got != c.want {
			t.Errorf("%s @> %s: got %v", c.a, c.b, got)
		}
	}
	if CompareJSON(p(`{"a":1.0}`), p(`{"a":1}`)) != 0 || CompareJSON(p(`[1,2]`), p(`[3]`)) <= 0 || CompareJSON(p(`null`), p(`"a"`)) >= 0 {
		t.Error("jsonb ordering")
	}
}

var benchDoc = `{"ts": "2024-01-01T00:00:00Z", "level": "error", "service": "api", "latency_ms": 12.50,
 "user": {"id": 12345, "name": "ana", "roles": ["admin", "dev"]}, "tags": ["a", "b", "c"], "ok": false, "err": null}`

// BenchmarkParseJSONB and BenchmarkGMSJSONConvert read the same document:
// OpenWit's jsonb input against go-mysql-server's JSON conversion, which
// OpenWit used before (numbers as float64).
func BenchmarkParseJSONB(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchDoc)))
	for b.Loop() {
		if _, err := ParseJSONB(benchDoc, false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGMSJSONConvert(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchDoc)))
	for b.Loop() {
		if _, _, err := types.JSON.Convert(b.Context(), benchDoc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONBString(b *testing.B) {
	j, _ := ParseJSONB(benchDoc, false)
	b.ReportAllocs()
	for b.Loop() {
		_ = j.String()
	}
}

func BenchmarkGMSJSONString(b *testing.B) {
	d, _, _ := types.JSON.Convert(b.Context(), benchDoc)
	doc := d.(types.JSONDocument)
	b.ReportAllocs()
	for b.Loop() {
		_ = doc.String()
	}
}

func TestParseStoredJSONB(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"x\u0000y"}`:                 `{"a": "x\u0000y"}`,
		`["\ud83d", "\ude00x", "\ud83dA"]`: "[\"\ufffd\", \"\ufffdx\", \"\ufffdA\"]",
	} {
		j, err := ParseStoredJSONB(in)
		if err != nil || j.String() != want {
			t.Errorf("%s: got %s, %v; want %s", in, j, err, want)
		}
	}
}

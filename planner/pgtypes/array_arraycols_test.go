package pgtypes

import (
	"errors"
	"slices"
	"testing"

	"openwit/internal/pgerror"
)

func TestArrayInput(t *testing.T) {
	for _, tc := range []struct {
		in    string
		elems []string // "<NULL>" for NULL
		code  string
	}{
		{in: `{a,"b c",NULL,"NULL",""}`, elems: []string{"a", "b c", "<NULL>", "NULL", ""}},
		{in: `[1:2]={x,y}`, elems: []string{"x", "y"}},
		{in: ` [1:1] = {x}`, elems: []string{"x"}},
		{in: `{}`, elems: []string{}},
		{in: `[1:3]={x,y}`, code: pgerror.InvalidTextRepr},
		{in: `[0:1]={x,y}`, code: pgerror.FeatureNotSupported},
		{in: `[1:1][1:1]={{x}}`, code: pgerror.FeatureNotSupported},
		{in: `{{x},{y}}`, code: pgerror.FeatureNotSupported},
		{in: `{x`, code: pgerror.InvalidTextRepr},
		{in: `x,y`, code: pgerror.InvalidTextRepr},
		{in: `[a:b]={x}`, code: pgerror.InvalidTextRepr},
	} {
		_, elems, err := ArrayInput(tc.in)
		if tc.code != "" {
			var pe *pgerror.Error
			if !errors.As(err, &pe) || pe.Code != tc.code {
				t.Errorf("%q: %v, want SQLSTATE %s", tc.in, err, tc.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		got := []string{}
		for _, e := range elems {
			if e == nil {
				got = append(got, "<NULL>")
			} else {
				got = append(got, *e)
			}
		}
		if !slices.Equal(got, tc.elems) {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.elems)
		}
	}
}

func TestCompareArrays(t *testing.T) {
	for _, tc := range []struct {
		elem uint32
		a, b string
		want int
	}{
		{OIDInt4, "{9}", "{10}", -1},
		{OIDInt4, "{1,2}", "{1}", 1},
		{OIDInt4, "{1,NULL}", "{1,5}", 1},
		{OIDInt4, "{}", "{NULL}", -1},
		{OIDFloat8, "{NaN}", "{Infinity}", 1},
		{OIDFloat8, "{-0}", "{0}", 0},
		{OIDText, `{"a b"}`, "{a}", 1},
		{OIDText, `{"a,b"}`, "{api}", -1},
		{OIDBool, "{f}", "{t}", -1},
		{OIDText, "{x,y}", "{x,y}", 0},
	} {
		if got := compareArrays(tc.elem, tc.a, tc.b); got != tc.want {
			t.Errorf("compare %s %s: %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := compareArrays(tc.elem, tc.b, tc.a); got != -tc.want {
			t.Errorf("compare %s %s: %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

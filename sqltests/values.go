package sqltests

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// RenderValue renders one text-format value of a column of type typ (T, I,
// R or B) as a script shows it; v is nil for NULL. See the package
// documentation for the rules.
func RenderValue(typ byte, v []byte) (string, error) {
	if v == nil {
		return "NULL", nil
	}
	if len(v) == 0 {
		return "(empty)", nil
	}
	s := string(v)
	if typ != 'R' {
		return escape(s), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return "", fmt.Errorf("value %q of a column typed R is not a number", s)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return s, nil
	}
	r := fmt.Sprintf("%.3f", f)
	if r == "-0.000" {
		r = "0.000"
	}
	return r, nil
}

// escape replaces control characters with '@' and edge spaces with '␠'.
func escape(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '@'
		}
		return r
	}, s)
	trimmed := strings.TrimLeft(s, " ")
	core := strings.TrimRight(trimmed, " ")
	if len(core) == len(s) {
		return s
	}
	return strings.Repeat("␠", len(s)-len(trimmed)) + core + strings.Repeat("␠", len(trimmed)-len(core))
}

// RenderRows renders a result's rows for the type string types. It fails
// when the column count differs from len(types) or an R value is not a
// number.
func RenderRows(types string, cols int, rows [][][]byte) ([][]string, error) {
	if cols != len(types) {
		return nil, fmt.Errorf("query returned %d columns, type string %q has %d", cols, types, len(types))
	}
	out := make([][]string, len(rows))
	for i, row := range rows {
		if len(row) != cols {
			return nil, fmt.Errorf("row %d has %d values, want %d", i+1, len(row), cols)
		}
		out[i] = make([]string, cols)
		for j, v := range row {
			s, err := RenderValue(types[j], v)
			if err != nil {
				return nil, fmt.Errorf("row %d column %d: %w", i+1, j+1, err)
			}
			out[i][j] = s
		}
	}
	return out, nil
}

// ResultLines lays rendered rows out in the canonical layout for mode: one
// row per line with values joined by single spaces (rows sorted for
// rowsort), or one value per line, sorted, for valuesort.
func ResultLines(rows [][]string, mode SortMode) []string {
	if mode == ValueSort {
		var vals []string
		for _, row := range rows {
			vals = append(vals, row...)
		}
		slices.Sort(vals)
		return vals
	}
	lines := make([]string, len(rows))
	for i, row := range rows {
		lines[i] = strings.Join(row, " ")
	}
	if mode == RowSort {
		slices.Sort(lines)
	}
	return lines
}

// Compare checks rendered rows against a record's expected result lines
// under mode and returns "" when they match, or a description of the first
// difference. With more than one column, expected lines numbering
// rows×columns (and not rows) are read in the classic one-value-per-line
// layout.
func Compare(expected []string, rows [][]string, cols int, mode SortMode) string {
	unit := "row"
	var want, got []string
	switch {
	case mode == ValueSort:
		unit = "value"
		want = slices.Sorted(slices.Values(expected))
		got = ResultLines(rows, ValueSort)
	case cols > 1 && len(expected) == len(rows)*cols && len(expected) != len(rows):
		unit = "value"
		want = expected
		if mode == RowSort {
			want = sortGroups(expected, cols)
			rows = slices.SortedFunc(slices.Values(rows), func(a, b []string) int {
				return strings.Compare(strings.Join(a, " "), strings.Join(b, " "))
			})
		}
		for _, row := range rows {
			got = append(got, row...)
		}
	default:
		want = expected
		if mode == RowSort {
			want = slices.Sorted(slices.Values(expected))
		}
		got = ResultLines(rows, mode)
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	if i == len(want) && i == len(got) {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "results differ at %s %d (expected %d %ss, got %d)\n", unit, i+1, len(want), unit, len(got))
	fmt.Fprintf(&b, "    expected: %s\n", lineAt(want, i))
	fmt.Fprintf(&b, "    got:      %s\n", lineAt(got, i))
	if mode != NoSort {
		fmt.Fprintf(&b, "  (both sides sorted: %s)\n", mode)
	}
	b.WriteString("  expected:\n")
	writeLines(&b, want)
	b.WriteString("  got:\n")
	writeLines(&b, got)
	return strings.TrimRight(b.String(), "\n")
}

// sortGroups sorts one-value-per-line results as rows of cols lines.
func sortGroups(lines []string, cols int) []string {
	var groups [][]string
	for i := 0; i+cols <= len(lines); i += cols {
		groups = append(groups, lines[i:i+cols])
	}
	slices.SortFunc(groups, func(a, b []string) int {
		return strings.Compare(strings.Join(a, " "), strings.Join(b, " "))
	})
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(no more results)"
}

const maxListedLines = 30

func writeLines(b *strings.Builder, lines []string) {
	for i, l := range lines {
		if i == maxListedLines {
			fmt.Fprintf(b, "    ... %d more\n", len(lines)-i)
			return
		}
		fmt.Fprintf(b, "    %s\n", l)
	}
	if len(lines) == 0 {
		b.WriteString("    (no results)\n")
	}
}

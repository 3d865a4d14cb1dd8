package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// MaxColumns is the most columns a table may have (PostgreSQL's limit).
const MaxColumns = 1600

// MaxNameBytes is the longest column name, in bytes (PostgreSQL's
// NAMEDATALEN-1; PostgreSQL truncates longer names, OpenWit refuses them).
const MaxNameBytes = 63

// AddColumns implements Catalog.
func (s *store) AddColumns(ctx context.Context, name string, cols []Column) (*Table, error) {
	for i, c := range cols {
		if err := validColumnName(c.Name); err != nil {
			return nil, fmt.Errorf("add columns to %q: column %d: %w", name, i, err)
		}
		if !validType(c.Type) {
			return nil, fmt.Errorf("add columns to %q: column %q: unsupported type %q: %w", name, c.Name, c.Type, ErrInvalid)
		}
		if c.NotNull {
			return nil, fmt.Errorf("add columns to %q: column %q: an added column must be nullable: %w", name, c.Name, ErrInvalid)
		}
	}
	var out *Table
	// Idempotent: a retry after an unknown outcome finds the columns
	// present and changes nothing.
	err := s.run(ctx, txIdempotent, func(q querier) error {
		t, err := scanTable(q.queryRow(ctx, `SELECT `+tableColumns+` FROM openwit_tables WHERE name = $1`+s.d.lockUpdate, name))
		if isNoRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		exact := make(map[string]bool, len(t.Columns))
		folded := make(map[string]string, len(t.Columns))
		for _, c := range t.Columns {
			exact[c.Name] = true
			folded[strings.ToLower(c.Name)] = c.Name
		}
		added := false
		for _, c := range cols {
			if exact[c.Name] {
				continue // present (added by someone else): keep its type
			}
			if other, ok := folded[strings.ToLower(c.Name)]; ok {
				return fmt.Errorf("column %q differs only in case from column %q: %w", c.Name, other, ErrExists)
			}
			if len(t.Columns) >= MaxColumns {
				return fmt.Errorf("table has %d columns, the most allowed: %w", len(t.Columns), ErrInvalid)
			}
			t.Columns = append(t.Columns, Column{Name: c.Name, Type: c.Type, Field: uniqueField(slices.Concat(t.Columns, t.Dropped), c.Name), Num: t.NextNum()})
			exact[c.Name] = true
			folded[strings.ToLower(c.Name)] = c.Name
			added = true
		}
		if added {
			enc, err := encodeColumns(t.Columns, t.Dropped)
			if err != nil {
				return fmt.Errorf("encode columns: %w", err)
			}
			if _, err := q.exec(ctx, `UPDATE openwit_tables SET columns_json = $1 WHERE id = $2`, enc, t.ID); err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add columns to %q: %w", name, err)
	}
	return out, nil
}

// CaseClash returns two of names that differ only in case (the first
// name, then the later one), if any. go-mysql-server resolves column
// names case-insensitively, so a table cannot have both: every reference
// to either would be ambiguous.
func CaseClash(names []string) (first, later string, ok bool) {
	folded := make(map[string]string, len(names))
	for _, n := range names {
		k := strings.ToLower(n)
		if other, seen := folded[k]; seen && other != n {
			return other, n, true
		}
		folded[k] = n
	}
	return "", "", false
}

// validColumnName checks a column name as PostgreSQL accepts a quoted
// identifier: not empty, at most MaxNameBytes bytes, no NUL.
func validColumnName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty column name: %w", ErrInvalid)
	case len(name) > MaxNameBytes:
		return fmt.Errorf("column name %q is %d bytes, longer than %d: %w", name, len(name), MaxNameBytes, ErrInvalid)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("column name %q contains NUL: %w", name, ErrInvalid)
	}
	return nil
}

// OptDroppedFrom and OptDroppedBy mark a table a DROP TABLE in an open
// transaction block set aside until COMMIT (planner, design 102): its
// name before, and the node whose session set it aside.
const (
	OptDroppedFrom = "openwit.dropped_from"
	OptDroppedBy   = "openwit.dropped_by"
)

// SetAside reports whether t is set aside by a DROP TABLE whose block has
// not ended: no listing a user sees shows it.
func (t *Table) SetAside() bool {
	return t.Options[OptDroppedFrom] != "" && t.Name != t.Options[OptDroppedFrom]
}

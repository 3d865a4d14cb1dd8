package catalog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// ErrNoColumn: the table has no column of that name (RenameColumn).
var ErrNoColumn = errors.New("catalog: no such column")

// FieldName is the column's name in the data: Field, else Name.
func (c Column) FieldName() string {
	if c.Field != "" {
		return c.Field
	}
	return c.Name
}

// TimeField is the data name (Column.FieldName) of the table's time
// column; empty when the table has none.
func (t *Table) TimeField() string {
	for _, c := range t.Columns {
		if c.Name == t.TimeColumn {
			return c.FieldName()
		}
	}
	return t.TimeColumn
}

// uniqueField returns name, or name with a suffix, so that it is no data
// name of cols: a column added with the name a renamed column had keeps
// its data apart from the renamed one's.
func uniqueField(cols []Column, name string) string {
	taken := make(map[string]bool, len(cols))
	for _, c := range cols {
		taken[c.FieldName()] = true
	}
	if !taken[name] {
		return ""
	}
	for i := 2; ; i++ {
		f := name + "#" + strconv.Itoa(i)
		if !taken[f] {
			return f
		}
	}
}

// RenameTable implements Catalog.
func (s *store) RenameTable(ctx context.Context, id int64, newName string) (*Table, error) {
	if newName == "" {
		return nil, fmt.Errorf("rename table %d: empty name: %w", id, ErrInvalid)
	}
	var out *Table
	err := s.run(ctx, txIdempotent, func(q querier) error {
		t, err := scanTable(q.queryRow(ctx, `SELECT `+tableColumns+` FROM openwit_tables WHERE id = $1`+s.d.lockUpdate, id))
		if isNoRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if t.Name == newName {
			out = t
			return nil
		}
		var other int64
		err = q.queryRow(ctx, `SELECT id FROM openwit_tables WHERE name = $1`, newName).Scan(&other)
		if err == nil {
			return fmt.Errorf("relation %q already exists: %w", newName, ErrExists)
		}
		if !isNoRows(err) {
			return err
		}
		if _, err := q.exec(ctx, `UPDATE openwit_tables SET name = $1 WHERE id = $2`, newName, id); err != nil {
			return err
		}
		t.Name = newName
		out = t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rename table %d to %q: %w", id, newName, err)
	}
	return out, nil
}

// RenameColumn implements Catalog.
func (s *store) RenameColumn(ctx context.Context, id int64, from, to string) (*Table, error) {
	if err := validColumnName(to); err != nil {
		return nil, fmt.Errorf("rename column %q: %w", from, err)
	}
	var out *Table
	err := s.run(ctx, txIdempotent, func(q querier) error {
		t, err := scanTable(q.queryRow(ctx, `SELECT `+tableColumns+` FROM openwit_tables WHERE id = $1`+s.d.lockUpdate, id))
		if isNoRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		src, dst := -1, -1
		for i, c := range t.Columns {
			switch c.Name {
			case from:
				src = i
			case to:
				dst = i
			}
		}
		switch {
		case from == to && src >= 0:
			out = t
			return nil
		case src < 0 && dst >= 0:
			out = t // a repeat of a rename that committed
			return nil
		case src < 0:
			return fmt.Errorf("column %q does not exist: %w", from, ErrNoColumn)
		case dst >= 0:
			return fmt.Errorf("column %q already exists: %w", to, ErrExists)
		}
		c := &t.Columns[src]
		c.Field = c.FieldName()
		c.Name = to
		if c.Field == c.Name {
			c.Field = ""
		}
		if a, b, clash := CaseClash(columnNames(t.Columns)); clash {
			return fmt.Errorf("column %q differs only in case from column %q: %w", b, a, ErrInvalid)
		}
		timeCol := t.TimeColumn
		if timeCol == from {
			timeCol = to
		}
		enc, err := encodeColumns(t.Columns, t.Dropped)
		if err != nil {
			return fmt.Errorf("encode columns: %w", err)
		}
		if _, err := q.exec(ctx, `UPDATE openwit_tables SET columns_json = $1, time_column = $2 WHERE id = $3`, enc, timeCol, id); err != nil {
			return err
		}
		t.TimeColumn = timeCol
		out = t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rename column %q of table %d: %w", from, id, err)
	}
	return out, nil
}

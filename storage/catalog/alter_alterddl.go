package catalog

import (
	"context"
	"fmt"
	"slices"
)

// AlterTable implements Catalog (docs/design/071: DROP COLUMN, ALTER
// COLUMN, ADD COLUMN ... DEFAULT, COMMENT ON).
func (s *store) AlterTable(ctx context.Context, id int64, edit func(t *Table) error) (*Table, error) {
	var out *Table
	err := s.run(ctx, txIdempotent, func(q querier) error {
		t, err := scanTable(q.queryRow(ctx, `SELECT `+tableColumns+` FROM openwit_tables WHERE id = $1`+s.d.lockUpdate, id))
		if isNoRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		next := cloneTable(t)
		if err := edit(next); err != nil {
			return err
		}
		if err := validateAltered(next); err != nil {
			return err
		}
		enc, err := encodeColumns(next.Columns, next.Dropped)
		if err != nil {
			return fmt.Errorf("encode columns: %w", err)
		}
		if _, err := q.exec(ctx, `UPDATE openwit_tables SET columns_json = $1, time_column = $2, comment = $3 WHERE id = $4`,
			enc, next.TimeColumn, next.Comment, id); err != nil {
			return err
		}
		// Name, ID, options and creation time are not AlterTable's.
		next.ID, next.Name, next.Options, next.CreatedAt, next.ShardDuration = t.ID, t.Name, t.Options, t.CreatedAt, t.ShardDuration
		out = next
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("alter table %d: %w", id, err)
	}
	return out, nil
}

// validateAltered checks an edited table: at least one column, valid and
// distinct names (also case-insensitively, as AddColumns), valid types,
// the time column live, and no two columns (live or dropped) sharing a
// data name.
func validateAltered(t *Table) error {
	if len(t.Columns) == 0 {
		return fmt.Errorf("a table needs at least one column: %w", ErrInvalid)
	}
	if len(t.Columns) > MaxColumns {
		return fmt.Errorf("table has %d columns, more than %d: %w", len(t.Columns), MaxColumns, ErrInvalid)
	}
	folded := make(map[string]bool, len(t.Columns))
	for _, c := range t.Columns {
		if err := validColumnName(c.Name); err != nil {
			return err
		}
		if folded[c.Name] {
			return fmt.Errorf("column %q: duplicate name: %w", c.Name, ErrInvalid)
		}
		folded[c.Name] = true
		if !validType(c.Type) {
			return fmt.Errorf("column %q: unsupported type %q: %w", c.Name, c.Type, ErrInvalid)
		}
	}
	if a, b, clash := CaseClash(columnNames(t.Columns)); clash {
		return fmt.Errorf("column %q differs only in case from column %q: %w", b, a, ErrInvalid)
	}
	if t.TimeColumn != "" && !slices.ContainsFunc(t.Columns, func(c Column) bool { return c.Name == t.TimeColumn }) {
		return fmt.Errorf("time column %q is not a column: %w", t.TimeColumn, ErrInvalid)
	}
	fields := map[string]bool{}
	for _, c := range slices.Concat(t.Columns, t.Dropped) {
		if fields[c.FieldName()] {
			return fmt.Errorf("data name %q is used twice: %w", c.FieldName(), ErrInvalid)
		}
		fields[c.FieldName()] = true
	}
	return nil
}

// NewField returns the data name (Column.Field) for a column named name
// added to t: empty when name is free, else name with a suffix, so that a
// column added with the name a renamed or dropped column had never reads
// that column's data.
func (t *Table) NewField(name string) string {
	return uniqueField(slices.Concat(t.Columns, t.Dropped), name)
}

// DropColumn moves the column named name to Dropped; false when t has no
// such column.
func (t *Table) DropColumn(name string) bool {
	i := slices.IndexFunc(t.Columns, func(c Column) bool { return c.Name == name })
	if i < 0 {
		return false
	}
	cols := slices.Clone(t.Columns)
	for j := range cols {
		cols[j].Num = t.AttNum(j)
	}
	c := cols[i]
	c.Default, c.DefaultDisplay, c.Missing, c.Comment = "", "", nil, ""
	t.Dropped = append(t.Dropped, c)
	t.Columns = slices.Delete(cols, i, i+1)
	return true
}

// AttNum is PostgreSQL's attnum of the live column i: its position until a
// column is dropped; from then on every column keeps the number it had
// (Column.Num), and a column added later gets the next one, so numbers
// have gaps where dropped columns were, as in PostgreSQL.
func (t *Table) AttNum(i int) int {
	if n := t.Columns[i].Num; n > 0 {
		return n
	}
	return i + 1
}

// NextNum is the Column.Num of a column appended to t: 0 while no column
// was dropped (the position numbers it), else one past the highest.
func (t *Table) NextNum() int {
	if len(t.Dropped) == 0 {
		return 0
	}
	n := 0
	for _, c := range slices.Concat(t.Columns, t.Dropped) {
		n = max(n, c.Num)
	}
	return n + 1
}

// ColumnByAttNum returns the index in Columns of the live column whose
// attnum is n, or -1.
func (t *Table) ColumnByAttNum(n int) int {
	for i := range t.Columns {
		if t.AttNum(i) == n {
			return i
		}
	}
	return -1
}

// Generation counts the table's column changes: every ADD COLUMN and
// every DROP COLUMN raises it by one (a dropped column counts twice: once
// added, once dropped), so a node that caches definitions can tell the
// newer of two. Other ALTERs (defaults, NOT NULL, comments) leave it.
func (t *Table) Generation() int { return len(t.Columns) + 2*len(t.Dropped) }

package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// View is a stored view: a named SELECT that queries read inline
// (docs/design/070-views.md). Its column names and types are fixed when
// it is created, as in PostgreSQL.
type View struct {
	ID   int64
	Name string
	// Query is the defining SELECT as PostgreSQL text, with `*` expanded
	// to the columns it meant at creation.
	Query   string
	Columns []ViewColumn
	// Tables and Views are the IDs of the tables and views the query
	// reads: what DROP TABLE / DROP VIEW check before removing one.
	Tables    []int64
	Views     []int64
	CreatedAt time.Time // UTC, microsecond precision
	// CheckOption is WITH [LOCAL | CASCADED] CHECK OPTION: "", "local" or
	// "cascaded" (stored in depends_json, so no migration was needed).
	CheckOption string
	// Comment is COMMENT ON VIEW's text ("" for none; in depends_json).
	Comment string
}

// ViewColumn is one column of a view: its name and PostgreSQL type (OID
// and type modifier, -1 for none).
type ViewColumn struct {
	Name    string `json:"name"`
	TypeOID uint32 `json:"type_oid"`
	Typmod  int32  `json:"typmod"`
	// Comment is COMMENT ON COLUMN's text ("" for none).
	Comment string `json:"comment,omitempty"`
}

// Views stores view definitions. Both catalog backends implement it;
// AsViews finds it behind a Catalog.
//
// Names share one namespace with tables: CreateView fails with ErrExists
// when a table (or, without replace, a view) has the name, and the
// caller checks the other direction (a table created over a view's name)
// under its schema lock.
type Views interface {
	// CreateView records v and returns the stored view. With replace, a
	// view of that name is overwritten in place (same ID); without,
	// ErrExists. ErrExists also when a table has the name; ErrInvalid for
	// an empty name or query, or no columns.
	CreateView(ctx context.Context, v *View, replace bool) (*View, error)
	// GetView returns the view by name. ErrNotFound if absent.
	GetView(ctx context.Context, name string) (*View, error)
	// ListViews returns every view ordered by name (bytewise).
	ListViews(ctx context.Context) ([]*View, error)
	// DropView removes the view. ErrNotFound if absent.
	DropView(ctx context.Context, name string) error
	// RenameView gives the view of that ID a new name. ErrExists if a
	// table or another view has it; ErrNotFound if there is no such view.
	RenameView(ctx context.Context, id int64, newName string) (*View, error)
}

var errNoViews = fmt.Errorf("catalog does not store views: %w", ErrInvalid)

// AsViews returns the view store of c.
func AsViews(c Catalog) (Views, error) {
	if v, ok := c.(Views); ok {
		return v, nil
	}
	return nil, errNoViews
}

var _ Views = (*store)(nil)

const viewColumns = `id, name, query, columns_json, depends_json, created_at_us`

// viewDepends is the stored form of View.Tables and View.Views.
type viewDepends struct {
	Tables      []int64 `json:"tables,omitempty"`
	Views       []int64 `json:"views,omitempty"`
	CheckOption string  `json:"check_option,omitempty"`
	Comment     string  `json:"comment,omitempty"`
}

func scanView(r row) (*View, error) {
	var (
		v          View
		cols, deps string
		crUS       int64
	)
	if err := r.Scan(&v.ID, &v.Name, &v.Query, &cols, &deps, &crUS); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(cols), &v.Columns); err != nil {
		return nil, fmt.Errorf("view %q: decode columns: %w", v.Name, err)
	}
	var d viewDepends
	if err := json.Unmarshal([]byte(deps), &d); err != nil {
		return nil, fmt.Errorf("view %q: decode dependencies: %w", v.Name, err)
	}
	v.Tables, v.Views, v.CheckOption, v.Comment = d.Tables, d.Views, d.CheckOption, d.Comment
	v.CreatedAt = fromMicros(crUS)
	return &v, nil
}

func validateView(v *View) error {
	switch {
	case v.Name == "" || len(v.Name) > MaxNameBytes:
		return fmt.Errorf("view name %q: %w", v.Name, ErrInvalid)
	case v.Query == "":
		return fmt.Errorf("view %q: empty query: %w", v.Name, ErrInvalid)
	case len(v.Columns) == 0:
		return fmt.Errorf("view %q: no columns: %w", v.Name, ErrInvalid)
	}
	for _, c := range v.Columns {
		if err := validColumnName(c.Name); err != nil {
			return fmt.Errorf("view %q: %w", v.Name, err)
		}
	}
	return nil
}

// nameIsTable returns ErrExists when a table has name.
func nameIsTable(ctx context.Context, q querier, name string) error {
	var id int64
	err := q.queryRow(ctx, `SELECT id FROM openwit_tables WHERE name = $1`, name).Scan(&id)
	if err == nil {
		return fmt.Errorf("relation %q already exists: %w", name, ErrExists)
	}
	if isNoRows(err) {
		return nil
	}
	return err
}

// CreateView implements Views.
func (s *store) CreateView(ctx context.Context, v *View, replace bool) (*View, error) {
	if err := validateView(v); err != nil {
		return nil, fmt.Errorf("create view: %w", err)
	}
	cols, err := json.Marshal(v.Columns)
	if err != nil {
		return nil, fmt.Errorf("create view %q: encode columns: %w", v.Name, err)
	}
	deps, err := json.Marshal(viewDepends{Tables: v.Tables, Views: v.Views, CheckOption: v.CheckOption, Comment: v.Comment})
	if err != nil {
		return nil, fmt.Errorf("create view %q: encode dependencies: %w", v.Name, err)
	}
	var out *View
	err = s.run(ctx, txIdempotent, func(q querier) error {
		if err := nameIsTable(ctx, q, v.Name); err != nil {
			return err
		}
		old, err := scanView(q.queryRow(ctx, `SELECT `+viewColumns+` FROM openwit_views WHERE name = $1`+s.d.lockUpdate, v.Name))
		switch {
		case err == nil && !replace:
			return fmt.Errorf("relation %q already exists: %w", v.Name, ErrExists)
		case err == nil:
			if _, err := q.exec(ctx, `UPDATE openwit_views SET query = $1, columns_json = $2, depends_json = $3 WHERE id = $4`,
				v.Query, string(cols), string(deps), old.ID); err != nil {
				return err
			}
			out = cloneView(v)
			out.ID, out.CreatedAt = old.ID, old.CreatedAt
			return nil
		case !isNoRows(err):
			return err
		}
		out = cloneView(v)
		out.CreatedAt = fromMicros(micros(time.Now()))
		return q.queryRow(ctx, `INSERT INTO openwit_views (name, query, columns_json, depends_json, created_at_us)
VALUES ($1, $2, $3, $4, $5) RETURNING id`, v.Name, v.Query, string(cols), string(deps), micros(out.CreatedAt)).Scan(&out.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("create view %q: %w", v.Name, err)
	}
	return out, nil
}

func cloneView(v *View) *View {
	out := *v
	out.Columns = append([]ViewColumn(nil), v.Columns...)
	out.Tables = append([]int64(nil), v.Tables...)
	out.Views = append([]int64(nil), v.Views...)
	return &out
}

// GetView implements Views.
func (s *store) GetView(ctx context.Context, name string) (*View, error) {
	var v *View
	err := s.run(ctx, txRead, func(q querier) error {
		var err error
		v, err = scanView(q.queryRow(ctx, `SELECT `+viewColumns+` FROM openwit_views WHERE name = $1`, name))
		if isNoRows(err) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get view %q: %w", name, err)
	}
	return v, nil
}

// ListViews implements Views.
func (s *store) ListViews(ctx context.Context) ([]*View, error) {
	var vs []*View
	err := s.run(ctx, txRead, func(q querier) error {
		vs = nil
		rs, err := q.query(ctx, `SELECT `+viewColumns+` FROM openwit_views ORDER BY name`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			v, err := scanView(rs)
			if err != nil {
				return err
			}
			vs = append(vs, v)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list views: %w", err)
	}
	return vs, nil
}

// DropView implements Views.
func (s *store) DropView(ctx context.Context, name string) error {
	err := s.run(ctx, txOnce, func(q querier) error {
		n, err := q.exec(ctx, `DELETE FROM openwit_views WHERE name = $1`, name)
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("drop view %q: %w", name, err)
	}
	return nil
}

// RenameView implements Views.
func (s *store) RenameView(ctx context.Context, id int64, newName string) (*View, error) {
	if newName == "" || len(newName) > MaxNameBytes {
		return nil, fmt.Errorf("rename view %d: bad name %q: %w", id, newName, ErrInvalid)
	}
	var out *View
	err := s.run(ctx, txIdempotent, func(q querier) error {
		v, err := scanView(q.queryRow(ctx, `SELECT `+viewColumns+` FROM openwit_views WHERE id = $1`+s.d.lockUpdate, id))
		if isNoRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if v.Name == newName {
			out = v
			return nil
		}
		if err := nameIsTable(ctx, q, newName); err != nil {
			return err
		}
		var other int64
		err = q.queryRow(ctx, `SELECT id FROM openwit_views WHERE name = $1`, newName).Scan(&other)
		if err == nil {
			return fmt.Errorf("relation %q already exists: %w", newName, ErrExists)
		}
		if !isNoRows(err) {
			return err
		}
		if _, err := q.exec(ctx, `UPDATE openwit_views SET name = $1 WHERE id = $2`, newName, id); err != nil {
			return err
		}
		v.Name = newName
		out = v
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("rename view %d: %w", id, err)
		}
		return nil, fmt.Errorf("rename view %d to %q: %w", id, newName, err)
	}
	return out, nil
}

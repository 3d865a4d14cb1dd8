package catalog

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

func TestSQLite(t *testing.T) {
	root := t.TempDir()
	runContract(t, func(t *testing.T) Catalog {
		c, err := Open(t.Context(), "sqlite:"+filepath.Join(root, dbName(t)+".db"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	})
}

func TestSQLiteDurabilitySettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
	}
	for _, tc := range tests {
		var got string
		if err := c.db.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
	}
	// The foreign keys are enforced: a file row needs its table.
	_, err = c.db.ExecContext(t.Context(), `INSERT INTO openwit_files (`+fileColumns+`)
VALUES ('f', 12345, 0, 'p', 0, 0, 0, 0, 0, 0)`)
	if err == nil {
		t.Error("inserting a file of a missing table succeeded; want a foreign key error")
	}
}

// Several processes (here: handles) opening one fresh file at once all
// succeed, and the migrations run once.
func TestSQLiteConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	const n = 8
	cats := make([]*SQLite, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			cats[i], errs[i] = OpenSQLite(t.Context(), path)
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("open %d: %v", i, errs[i])
			continue
		}
		defer cats[i].Close()
	}
	if t.Failed() {
		return
	}
	if got := appliedMigrations(t, cats[0]); len(got) != len(migrations()) {
		t.Errorf("applied migrations %v, want %d rows", got, len(migrations()))
	}
	// Every handle sees the others' writes.
	for i, c := range cats {
		if _, err := c.CreateTable(t.Context(), sampleTable(dbName(t)+string(rune('a'+i)))); err != nil {
			t.Errorf("CreateTable through handle %d: %v", i, err)
		}
	}
	if got := tableNames(t, cats[n-1]); len(got) != n {
		t.Errorf("tables %v, want %d", got, n)
	}
}

func TestOpenURL(t *testing.T) {
	tests := []struct {
		url    string
		kind   backendKind
		target string
		err    error
	}{
		{"sqlite:/var/lib/openwit/catalog.db", kindSQLite, "/var/lib/openwit/catalog.db", nil},
		{"sqlite:///var/lib/openwit/catalog.db", kindSQLite, "/var/lib/openwit/catalog.db", nil},
		{"sqlite:relative/cat.sqlite", kindSQLite, "relative/cat.sqlite", nil},
		{"/data/catalog.db", kindSQLite, "/data/catalog.db", nil},
		{"catalog.db", kindSQLite, "catalog.db", nil},
		{"postgres://u@h1:5432,h2:5432/db?target_session_attrs=read-write", kindPostgres,
			"postgres://u@h1:5432,h2:5432/db?target_session_attrs=read-write", nil},
		{"postgresql://u@h/db", kindPostgres, "postgresql://u@h/db", nil},
		{"sqlite:", 0, "", ErrInvalid},
		{"mysql://h/db", 0, "", ErrInvalid},
		{"catalog.sqlite", 0, "", ErrInvalid},
		{"s3://bucket/x.db", 0, "", ErrInvalid},
		{"", 0, "", ErrInvalid},
	}
	for _, tc := range tests {
		kind, target, err := parseURL(tc.url)
		if !errors.Is(err, tc.err) {
			t.Errorf("parseURL(%q) err = %v, want %v", tc.url, err, tc.err)
			continue
		}
		if err == nil && (kind != tc.kind || target != tc.target) {
			t.Errorf("parseURL(%q) = %v, %q; want %v, %q", tc.url, kind, target, tc.kind, tc.target)
		}
	}

	// A bare .db path opens SQLite; Open returns a nil interface on error.
	c, err := Open(t.Context(), filepath.Join(t.TempDir(), "bare.db"))
	if err != nil {
		t.Fatalf("Open(bare path): %v", err)
	}
	if _, ok := c.(*SQLite); !ok {
		t.Errorf("Open(bare path) = %T, want *SQLite", c)
	}
	c.Close()
	c, err = Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "x.db?mode=ro"))
	if !errors.Is(err, ErrInvalid) || c != nil {
		t.Errorf("Open(path with ?) = %v, %v; want nil, ErrInvalid", c, err)
	}
}

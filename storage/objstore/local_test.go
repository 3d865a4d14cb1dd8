package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"openwit/storage/objstore"
	"openwit/storage/objstore/objstoretest"
)

func newLocal(t testing.TB) (*objstore.Local, string) {
	t.Helper()
	dir := t.TempDir()
	l, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l, dir
}

func TestLocalAcceptance(t *testing.T) {
	l, _ := newLocal(t)
	objstoretest.AcceptanceTest(t, l)
}

// tempFiles returns the temporary files left anywhere under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".openwit-tmp-") {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestLocalLayout(t *testing.T) {
	l, dir := newLocal(t)
	ctx := t.Context()
	key := "tables/7/shard=3/00000001.parquet"
	if err := l.Put(ctx, key, strings.NewReader("data"), 4); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
	if err != nil || string(got) != "data" {
		t.Fatalf("file at the key's path = %q, %v", got, err)
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("temporary files left after Put: %v", tmp)
	}
	if err := l.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("Delete left %d entries in the root, want the empty directories removed", len(entries))
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("Delete removed the root: %v", err)
	}
}

func TestLocalHidesTempFiles(t *testing.T) {
	l, dir := newLocal(t)
	ctx := t.Context()
	if err := l.Put(ctx, "a/obj", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	// What a crash between create and rename leaves behind.
	for _, p := range []string{"a/.openwit-tmp-0123", ".openwit-tmp-4567"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	if err := l.List(ctx, "", func(k string, _ int64) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "a/obj" {
		t.Errorf("List = %v, want only a/obj", keys)
	}
}

func TestLocalFailedPutLeavesNoTempFile(t *testing.T) {
	l, dir := newLocal(t)
	err := l.Put(t.Context(), "x/y", strings.NewReader("short"), 100)
	if err == nil {
		t.Fatal("Put with a short reader succeeded")
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("temporary files left after a failed Put: %v", tmp)
	}
}

func TestLocalSymlinkCannotEscape(t *testing.T) {
	l, dir := newLocal(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	ctx := t.Context()
	if rc, err := l.Get(ctx, "link/secret"); err == nil {
		_ = rc.Close()
		t.Error("Get through a symlink out of the root succeeded")
	}
	if err := l.Put(ctx, "link/planted", strings.NewReader("x"), 1); err == nil {
		t.Error("Put through a symlink out of the root succeeded")
	}
	if _, err := os.Stat(filepath.Join(outside, "planted")); err == nil {
		t.Error("Put wrote outside the root")
	}
	if err := l.Delete(ctx, "link/secret"); err == nil {
		if _, err := os.Stat(secret); err != nil {
			t.Error("Delete removed a file outside the root")
		}
	}
}

func TestLocalObjectBelowObject(t *testing.T) {
	l, _ := newLocal(t)
	ctx := t.Context()
	if err := l.Put(ctx, "a", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	if err := l.Put(ctx, "a/b", strings.NewReader("y"), 1); err == nil {
		t.Error("Put below an existing object succeeded on the local file system")
	}
}

// TestLocalPutDeleteRace puts and deletes keys in one directory at once:
// Delete removes directories it empties, and Put must recreate them.
func TestLocalPutDeleteRace(t *testing.T) {
	l, _ := newLocal(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				key := fmt.Sprintf("race/dir/g%d-%d", g, i)
				if err := l.Put(ctx, key, bytes.NewReader([]byte{1}), 1); err != nil {
					errs <- err
					return
				}
				if err := l.Delete(ctx, key); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestLocalCanceled(t *testing.T) {
	l, _ := newLocal(t)
	if err := l.Put(t.Context(), "k", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get error = %v, want context.Canceled", err)
	}
	err := l.List(ctx, "", func(string, int64) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("List error = %v, want context.Canceled", err)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		location string
		wantDir  string
		wantErr  string
	}{
		{name: "file URL", location: "file://" + dir + "/a", wantDir: filepath.Join(dir, "a")},
		{name: "file URL localhost", location: "file://localhost" + dir + "/b", wantDir: filepath.Join(dir, "b")},
		{name: "plain path", location: dir + "/c", wantDir: filepath.Join(dir, "c")},
		{name: "s3 bad parameter", location: "s3://bucket/prefix?color=blue", wantErr: `unknown parameter "color"`},
		{name: "gcs", location: "gs://bucket", wantErr: `unsupported object store scheme "gs"`},
		{name: "file URL with host", location: "file://remote/data", wantErr: "host"},
		{name: "relative file URL", location: "file:data", wantErr: "absolute path"},
		{name: "empty", location: "", wantErr: "empty location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := objstore.Open(t.Context(), tt.location)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Open(%q) error = %v, want one containing %q", tt.location, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", tt.location, err)
			}
			l, ok := b.(*objstore.Local)
			if !ok {
				t.Fatalf("Open(%q) = %T, want *objstore.Local", tt.location, b)
			}
			defer l.Close()
			if l.Dir() != tt.wantDir {
				t.Errorf("Dir = %q, want %q", l.Dir(), tt.wantDir)
			}
			if fi, err := os.Stat(tt.wantDir); err != nil || !fi.IsDir() {
				t.Errorf("directory not created: %v", err)
			}
		})
	}
}

package kafka

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestConsumeThroughStorage: a consumer without an object store stages its
// files on a storage service (storage/handoff) and publishes them there
// with the offsets: every valid record lands once, bad ones as dead
// letters, each file with its index artifact (built by the storage node).
func TestConsumeThroughStorage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3, "logs")
	e.createLogs("logs")
	sreg := e.viaStorage(false)
	const n = 3000
	var values [][]byte
	for k := range n {
		values = append(values, logRecord(k))
	}
	bad := []string{`not json`, `{"key":5}`, `{"ts":1717000000000,"key":7,"nope":1}`}
	for _, b := range bad {
		values = append(values, []byte(b))
	}
	e.produce("logs", values)
	reg := prometheus.NewRegistry()
	c := e.consumer("g1", reg, Topic{Name: "logs"})
	if c.cfg.Bucket != nil {
		t.Fatal("the consumer has an object store")
	}
	stop := run(t, c)
	e.waitOffsets("g1", "logs", int64(len(values)))
	stop()
	checkKeys(t, e, "logs", n)
	if errs := e.column(ErrorsTable, "error"); len(errs) != len(bad) {
		t.Fatalf("openwit_errors holds %d rows, want %d: %q", len(errs), len(bad), errs)
	}
	if got := counterValue(t, reg, "openwit_kafka_rows_published_total"); got != n {
		t.Errorf("the consumer counted %v rows published, want %d", got, n)
	}
	staged := counterValue(t, sreg, "openwit_storage_staged_files_total")
	if got := counterValue(t, sreg, "openwit_storage_publish_at_rows_total"); got != float64(len(values)) {
		t.Errorf("the storage node published %v rows (dead letters included), want %d", got, len(values))
	}
	var files int
	for _, name := range []string{"logs", ErrorsTable} {
		fs, err := e.cat.ListFiles(context.Background(), mustTable(t, e, name).ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			files++
			if f.Index == nil {
				t.Errorf("file %s published without an index artifact", f.ID)
			}
		}
	}
	if staged != float64(files) {
		t.Errorf("%v files staged, %d published", staged, files)
	}
	// Nothing was left behind: every object under tables/ is published
	// (or its artifact).
	var objects int
	err := filepath.Walk(filepath.Join(e.dir, "objects"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") {
			objects++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if objects != files {
		t.Errorf("%d Parquet objects, %d published files", objects, files)
	}
	t.Logf("%d files staged and published by the storage node", files)
}

// TestConsumeWhileStorageDown: with no storage service reachable the
// publishes fail and the records stay buffered (nothing published, no
// offset); once a storage service listens, every record is published once.
func TestConsumeWhileStorageDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, "logs")
	e.createLogs("logs")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nobody listens there yet
	e.storageClient(addr)
	const n = 500
	var values [][]byte
	for k := range n {
		values = append(values, logRecord(k))
	}
	e.produce("logs", values)
	reg := prometheus.NewRegistry()
	c := e.consumer("g", reg, Topic{Name: "logs"})
	stop := run(t, c)
	deadline := time.Now().Add(60 * time.Second)
	for labeledValue(t, reg, "openwit_kafka_publishes_total", "error") < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no failed publish while the storage service is down")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if o, err := e.cat.SourceOffsets(context.Background(), "g", "logs"); err != nil || len(o) != 0 {
		t.Fatalf("offsets %v (%v) while the storage service is down", o, err)
	}
	if rows := e.column("logs", "key"); len(rows) != 0 {
		t.Fatalf("%d rows published while the storage service is down", len(rows))
	}
	if l, err = net.Listen("tcp", addr); err != nil {
		t.Fatal(err)
	}
	e.serveStorage(l, false, nil)
	e.waitOffsets("g", "logs", n)
	stop()
	checkKeys(t, e, "logs", n)
}

// TestConsumeBuildsIndex: a consumer that writes its own files publishes
// each with its index artifact (built from the batches, as the WAL path
// does), so the indexer role need not decode them again.
func TestConsumeBuildsIndex(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, "logs")
	tbl := e.createLogs("logs")
	const n = 2000
	values := make([][]byte, n)
	for k := range n {
		values[k] = logRecord(k)
	}
	e.produce("logs", values)
	c := e.consumer("g1", prometheus.NewRegistry(), Topic{Name: "logs"})
	stop := run(t, c)
	e.waitOffsets("g1", "logs", n)
	stop()
	checkKeys(t, e, "logs", n)
	fs, err := e.cat.ListFiles(context.Background(), tbl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		t.Fatal("no files published")
	}
	for _, f := range fs {
		if f.Index == nil {
			t.Errorf("file %s published without an index artifact", f.ID)
			continue
		}
		if _, err := os.Stat(filepath.Join(e.dir, "objects", f.Index.Path)); err != nil {
			t.Errorf("file %s: artifact %s: %v", f.ID, f.Index.Path, err)
		}
	}
}

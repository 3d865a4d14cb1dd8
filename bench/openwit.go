package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/util"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"openwit/internal/node"
)

// openWit is an in-process OpenWit node on free loopback ports.
type openWit struct {
	node    *node.Node
	dataDir string
	pgAddr  string
	flight  string
	http    string
}

// startOpenWit starts a node like `openwit serve` does, on dataDir. Buffers
// are flushed by Flush, not by age (FlushAge 1h), so every hour shard
// becomes one Parquet file; the ingest buffer and WAL limits are raised to
// hold dataBytes of Arrow data (0: the defaults). With the default 1 GiB
// buffer limit a 10M-row load was refused a retryable "over limit" when
// publishing (and building the index artifacts) fell behind. A non-empty
// store is the object store URL (default DATA_DIR/objects) and cacheDir
// its local-disk read cache. tune, if any, changes the configuration last.
func startOpenWit(ctx context.Context, dataDir string, log *slog.Logger, noIndex bool, dataBytes int64, store, cacheDir string, tune ...func(*node.Config)) (*openWit, error) {
	var lastErr error
	// A free port can be taken before the node binds it: retry.
	for range 3 {
		ports, err := freePorts(3)
		if err != nil {
			return nil, err
		}
		cfg := node.DefaultConfig()
		cfg.DataDir = dataDir
		cfg.PGAddr = fmt.Sprintf("127.0.0.1:%d", ports[0])
		cfg.FlightAddr = fmt.Sprintf("127.0.0.1:%d", ports[1])
		cfg.HTTPAddr = fmt.Sprintf("127.0.0.1:%d", ports[2])
		cfg.FlushAge = time.Hour
		cfg.IngestBufferLimit = max(cfg.IngestBufferLimit, node.ByteSize(3*dataBytes))
		cfg.WALSizeLimit = max(cfg.WALSizeLimit, node.ByteSize(4*dataBytes))
		cfg.EtcdEmbedAddr = "off" // a benchmark needs no control plane (and no fixed etcd port)
		cfg.ObjectStore, cfg.CacheDir = store, cacheDir
		if noIndex {
			cfg.IndexCacheSize = 0
		}
		for _, f := range tune {
			f(&cfg)
		}
		n, err := node.Start(ctx, cfg, log)
		if err == nil {
			return &openWit{node: n, dataDir: dataDir, pgAddr: cfg.PGAddr, flight: cfg.FlightAddr, http: cfg.HTTPAddr}, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, fmt.Errorf("start openwit: %w", lastErr)
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// owLoad sums an OpenWit node's load over the chunks.
type owLoad struct {
	rows          int64
	ingest, flush time.Duration
}

// loadChunk bulk-ingests recs and flushes every buffer to Parquet, adding
// the acknowledged rows and both steps' times to tot.
func (o *openWit) loadChunk(ctx context.Context, engine string, recs []arrow.RecordBatch, tot *owLoad) error {
	start := time.Now()
	n, err := o.ingest(ctx, recs)
	if err != nil {
		return err
	}
	if want := recRows(recs); n != want {
		return fmt.Errorf("%s bulk ingest acknowledged %d rows, sent %d", engine, n, want)
	}
	tot.rows += n
	tot.ingest += time.Since(start)
	start = time.Now()
	if err := o.node.Flush(ctx); err != nil {
		return fmt.Errorf("flush %s: %w", engine, err)
	}
	tot.flush += time.Since(start)
	return nil
}

// dataBytes is the Arrow size of recs.
func dataBytes(recs []arrow.RecordBatch) int64 {
	var n int64
	for _, r := range recs {
		n += util.TotalRecordSize(r)
	}
	return n
}

// DSN is the connection string of the node's PostgreSQL endpoint.
func (o *openWit) DSN() string {
	return fmt.Sprintf("postgres://openwit@%s/openwit?sslmode=disable", o.pgAddr)
}

// createTable creates the logs table over the PostgreSQL wire.
func (o *openWit) createTable(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, o.DSN())
	if err != nil {
		return fmt.Errorf("connect to openwit: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, CreateTableSQL, pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("create table in openwit: %w", err)
	}
	return nil
}

// ingest loads recs through Arrow Flight SQL bulk ingest (one DoPut
// stream; each batch is one WAL record) and returns the row count the
// server acknowledged.
func (o *openWit) ingest(ctx context.Context, recs []arrow.RecordBatch) (int64, error) {
	cl, err := flightsql.NewClient(o.flight, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return 0, fmt.Errorf("connect flight sql: %w", err)
	}
	defer cl.Close()
	rdr, err := array.NewRecordReader(Schema, recs)
	if err != nil {
		return 0, err
	}
	defer rdr.Release()
	n, err := cl.ExecuteIngest(ctx, rdr, &flightsql.ExecuteIngestOpts{
		Table: "logs",
		TableDefinitionOptions: &flightsql.TableDefinitionOptions{
			IfNotExist: flightsql.TableDefinitionOptionsTableNotExistOptionFail,
			IfExists:   flightsql.TableDefinitionOptionsTableExistsOptionAppend,
		},
	})
	if err != nil {
		return n, fmt.Errorf("flight sql bulk ingest: %w", err)
	}
	return n, nil
}

// parquetFiles lists the table's live data files, as the catalog has them
// (compaction may have retired files that the object store still holds
// for its grace period), as paths in the local object store's layout
// (objects/tables/ID/shard=N/FILE.parquet).
func (o *openWit) parquetFiles(ctx context.Context) ([]string, error) {
	keys, err := o.node.TableFiles(ctx, "logs")
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("openwit wrote no parquet files")
	}
	files := make([]string, len(keys))
	for i, k := range keys {
		files[i] = filepath.Join(o.dataDir, "objects", filepath.FromSlash(k))
		if _, err := os.Stat(files[i]); err != nil {
			return nil, fmt.Errorf("live file %s: %w", k, err)
		}
	}
	slices.Sort(files)
	return files, nil
}

func (o *openWit) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return o.node.Shutdown(ctx)
}

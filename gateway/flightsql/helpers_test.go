package flightsql_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcfsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-adbc/go/adbc/sqldriver"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	fsql "openwit/gateway/flightsql"
	"openwit/ingest"
	"openwit/ingest/wal"
	"openwit/internal/testserver"
	"openwit/planner"
	"openwit/search"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/objstore"
)

// addr is the Flight SQL address of a test server.
func addr(s *testserver.Server) string { return fmt.Sprintf("127.0.0.1:%d", s.FlightPort) }

// newClient connects arrow-go's Flight SQL client (4 MiB default receive
// limit, as arrow-go users get it).
func newClient(tb testing.TB, address string, opts ...grpc.DialOption) *flightsql.Client {
	tb.Helper()
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)
	cl, err := flightsql.NewClient(address, nil, nil, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cl.Close() })
	return cl
}

// fetch redeems every endpoint of info and returns the schema and the
// batches (released at test end).
func fetch(tb testing.TB, ctx context.Context, cl *flightsql.Client, info *flight.FlightInfo, opts ...grpc.CallOption) (*arrow.Schema, []arrow.RecordBatch, error) {
	tb.Helper()
	schema, err := flight.DeserializeSchema(info.Schema, memory.DefaultAllocator)
	if err != nil {
		return nil, nil, fmt.Errorf("flight info schema: %w", err)
	}
	var recs []arrow.RecordBatch
	for _, ep := range info.Endpoint {
		if len(ep.Location) != 0 {
			return nil, nil, fmt.Errorf("endpoint has locations %v; want none (reuse the connection)", ep.Location)
		}
		rdr, err := cl.DoGet(ctx, ep.Ticket, opts...)
		if err != nil {
			return nil, nil, err
		}
		if !rdr.Schema().Equal(schema) {
			rdr.Release()
			return nil, nil, fmt.Errorf("stream schema %s differs from flight info schema %s", rdr.Schema(), schema)
		}
		for rdr.Next() {
			rec := rdr.RecordBatch()
			rec.Retain()
			recs = append(recs, rec)
		}
		err = rdr.Err()
		rdr.Release()
		if err != nil {
			return nil, nil, err
		}
	}
	tb.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	return schema, recs, nil
}

// query runs sql with arrow-go's client and returns the rows as Go values
// (via arrow's GetOneForMarshal).
func query(tb testing.TB, cl *flightsql.Client, sql string) (*arrow.Schema, [][]any) {
	tb.Helper()
	ctx := context.Background()
	info, err := cl.Execute(ctx, sql)
	if err != nil {
		tb.Fatalf("execute %q: %v", sql, err)
	}
	schema, recs, err := fetch(tb, ctx, cl, info)
	if err != nil {
		tb.Fatalf("fetch %q: %v", sql, err)
	}
	return schema, rowsOf(recs)
}

func rowsOf(recs []arrow.RecordBatch) [][]any {
	var rows [][]any
	for _, rec := range recs {
		for r := 0; r < int(rec.NumRows()); r++ {
			row := make([]any, rec.NumCols())
			for c := range row {
				v := rec.Column(c).GetOneForMarshal(r)
				if raw, ok := v.(json.RawMessage); ok {
					v = string(raw)
				}
				row[c] = v
			}
			rows = append(rows, row)
		}
	}
	return rows
}

func exec(tb testing.TB, cl *flightsql.Client, sql string) int64 {
	tb.Helper()
	n, err := cl.ExecuteUpdate(context.Background(), sql)
	if err != nil {
		tb.Fatalf("execute update %q: %v", sql, err)
	}
	return n
}

// adbcDB opens an ADBC Flight SQL database on address with extra options.
func adbcDB(tb testing.TB, address string, opts map[string]string) adbc.Database {
	tb.Helper()
	all := map[string]string{adbc.OptionKeyURI: "grpc+tcp://" + address}
	for k, v := range opts {
		all[k] = v
	}
	db, err := adbcfsql.NewDriver(memory.DefaultAllocator).NewDatabase(all)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func adbcConn(tb testing.TB, db adbc.Database) adbc.Connection {
	tb.Helper()
	cn, err := db.Open(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cn.Close() })
	return cn
}

// sqlDB opens database/sql over ADBC's adapter.
func sqlDB(tb testing.TB, address string) *sql.DB {
	tb.Helper()
	c, err := sqldriver.Driver{Driver: adbcfsql.NewDriver(memory.DefaultAllocator)}.OpenConnector(
		adbc.OptionKeyURI + "=grpc+tcp://" + address)
	if err != nil {
		tb.Fatal(err)
	}
	db := sql.OpenDB(c)
	tb.Cleanup(func() { db.Close() })
	return db
}

// readerRows drains an ADBC record reader.
func readerRows(tb testing.TB, rdr array.RecordReader) [][]any {
	tb.Helper()
	defer rdr.Release()
	var rows [][]any
	for rdr.Next() {
		rows = append(rows, rowsOf([]arrow.RecordBatch{rdr.RecordBatch()})...)
	}
	if err := rdr.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

// stack is an in-process OpenWit (catalog, WAL, ingester, planner) for a
// Flight SQL server built with a custom Config (auth tests).
type stack struct {
	cat catalog.Catalog
	ing *ingest.Ingester
	eng *planner.Engine
}

func newStack(tb testing.TB) *stack { return newStackWith(tb, nil) }

// newStackWith is newStack whose planner distributes fragments over file
// sources to the search workers workers(bucket) starts (nil: none).
func newStackWith(tb testing.TB, workers func(objstore.Bucket) []string) *stack {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	cat, err := catalog.Open(ctx, "sqlite:"+filepath.Join(dir, "catalog.db"))
	if err != nil {
		tb.Fatal(err)
	}
	bucket, err := objstore.Open(ctx, "file://"+filepath.Join(dir, "objects"))
	if err != nil {
		tb.Fatal(err)
	}
	w, err := wal.Open(wal.Options{Dir: filepath.Join(dir, "wal")})
	if err != nil {
		tb.Fatal(err)
	}
	ing, err := ingest.New(ctx, ingest.Config{WAL: w, Catalog: cat, Publisher: &storage.Publisher{Bucket: bucket, Catalog: cat}})
	if err != nil {
		tb.Fatal(err)
	}
	pc := planner.Config{Catalog: cat, Ingester: ing, Bucket: bucket}
	if workers != nil {
		ws := search.Equal(workers(bucket))
		pc.Workers = func() []search.Worker { return ws }
	}
	eng, err := planner.New(pc)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		eng.Close()
		ing.Close(context.Background())
		w.Close()
		cat.Close()
	})
	return &stack{cat: cat, ing: ing, eng: eng}
}

// serve runs a Flight SQL server on the stack and returns its address.
func (st *stack) serve(tb testing.TB, cfg fsql.Config) string {
	tb.Helper()
	a, _ := st.start(tb, cfg)
	return a
}

// start is serve that also returns the server.
func (st *stack) start(tb testing.TB, cfg fsql.Config) (string, *fsql.Server) {
	tb.Helper()
	cfg.Engine, cfg.Ingester, cfg.Catalog = st.eng, st.ing, st.cat
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	srv, err := fsql.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ln := listen(tb)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	tb.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			tb.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			tb.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String(), srv
}

func listen(tb testing.TB) net.Listener {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return ln
}

package flightsql_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	fsql "openwit/gateway/flightsql"
)

// putPath sends recs with plain Flight DoPut under a PATH descriptor and
// returns the row count of the server's PutResult and the call's error.
func putPath(t testing.TB, cl flight.Client, path []string, schema *arrow.Schema, recs ...arrow.RecordBatch) (int64, error) {
	t.Helper()
	ctx := context.Background()
	stream, err := cl.DoPut(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wr := flight.NewRecordWriter(stream, ipc.WithSchema(schema))
	wr.SetFlightDescriptor(&flight.FlightDescriptor{Type: flight.DescriptorPATH, Path: path})
	for _, r := range recs {
		if err := wr.Write(r); err != nil {
			break // the server ended the call; its status follows
		}
	}
	wr.Close()
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var n int64
	for {
		res, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		var upd pb.DoPutUpdateResult
		if err := proto.Unmarshal(res.GetAppMetadata(), &upd); err != nil {
			t.Fatalf("put result: %v", err)
		}
		n = upd.GetRecordCount()
	}
}

// TestDoPutPath: plain Flight DoPut of an Arrow stream into the table its
// PATH descriptor names, with the same rules as Flight SQL bulk ingest.
func TestDoPutPath(t *testing.T) {
	a, _ := newStack(t).start(t, fsql.Config{Trust: true})
	cl := newClient(t, a)
	exec(t, cl, `CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int4, latency_ms float8, msg text)`)
	recs := logBatches(10_000, 5_000)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()

	n, err := putPath(t, cl.Client, []string{"logs"}, logSchema, recs...)
	if err != nil || n != 10_000 {
		t.Fatalf("DoPut: %d rows, %v", n, err)
	}
	if got := countRows(t, cl, "logs"); got != 10_000 {
		t.Fatalf("count after DoPut: %d", got)
	}

	t.Run("unknown table", func(t *testing.T) {
		_, err := putPath(t, cl.Client, []string{"nope"}, logSchema, recs[0])
		if status.Code(err) != codes.NotFound {
			t.Errorf("got %v, want NotFound", err)
		}
	})
	t.Run("bad path", func(t *testing.T) {
		_, err := putPath(t, cl.Client, []string{"public", "logs"}, logSchema, recs[0])
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("got %v, want InvalidArgument", err)
		}
	})
	t.Run("schema mismatch", func(t *testing.T) {
		bad := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: arrow.BinaryTypes.Binary}}, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, bad)
		defer b.Release()
		b.Field(0).(*array.BinaryBuilder).Append([]byte("x"))
		rec := b.NewRecordBatch()
		defer rec.Release()
		_, err := putPath(t, cl.Client, []string{"logs"}, bad, rec)
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("got %v, want InvalidArgument", err)
		}
	})
	t.Run("bad batch midway", func(t *testing.T) {
		// The second batch has a NULL in the NOT NULL time column: it is
		// rejected whole; the first one stays committed.
		b := array.NewRecordBuilder(memory.DefaultAllocator, logSchema)
		defer b.Release()
		for i := range 3 {
			if i == 1 {
				b.Field(0).AppendNull()
			} else {
				b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(logBase.UnixMicro()))
			}
			for c := 1; c < logSchema.NumFields(); c++ {
				b.Field(c).AppendNull()
			}
		}
		bad := b.NewRecordBatch()
		defer bad.Release()
		n, err := putPath(t, cl.Client, []string{"logs"}, logSchema, recs[0], bad)
		if status.Code(err) != codes.InvalidArgument || n != 5_000 {
			t.Errorf("got %d rows, %v; want 5000 committed and InvalidArgument", n, err)
		}
		if got := countRows(t, cl, "logs"); got != 15_000 {
			t.Errorf("count: %d, want 15000 (nothing of the bad batch)", got)
		}
	})
	// Flight SQL commands (CMD descriptors) still reach Flight SQL.
	if got := exec(t, cl, `INSERT INTO logs (ts) VALUES ('2024-01-01 00:00:00+00')`); got != 1 {
		t.Errorf("insert after DoPut: %d", got)
	}
}

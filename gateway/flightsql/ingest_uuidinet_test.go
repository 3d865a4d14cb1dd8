package flightsql_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// testIngestUUIDInet bulk-ingests into uuid, inet and cidr columns: uuids
// as strings in any spelling PostgreSQL accepts, as fixed_size_binary(16)
// and as arrow-go's uuid extension type; addresses as strings. Bad input
// rejects the batch with 22P02 and stores nothing; what is stored reads
// back in PostgreSQL's canonical output.
func testIngestUUIDInet(t *testing.T, cl *flightsql.Client, ingest func(string, *arrow.Schema, flightsql.TableDefinitionOptionsTableExistsOption, ...arrow.RecordBatch) (int64, error)) {
	exec(t, cl, `CREATE TABLE addrs (ts timestamptz NOT NULL, s uuid, b uuid, x uuid, ip inet, net cidr)`)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: &arrow.FixedSizeBinaryType{ByteWidth: 16}, Nullable: true},
		{Name: "x", Type: extensions.NewUUIDType(), Nullable: true},
		{Name: "ip", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "net", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	u := [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
	build := func(ss, ips, nets []string) arrow.RecordBatch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		for i := range ss {
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(t0.Add(time.Duration(i) * time.Second).UnixMicro()))
			b.Field(1).(*array.StringBuilder).Append(ss[i])
			v := u
			v[15] += byte(i)
			b.Field(2).(*array.FixedSizeBinaryBuilder).Append(v[:])
			if i == 0 {
				b.Field(3).AppendNull()
			} else {
				b.Field(3).(*extensions.UUIDBuilder).Append(v)
			}
			b.Field(4).(*array.StringBuilder).Append(ips[i])
			b.Field(5).(*array.StringBuilder).Append(nets[i])
		}
		return b.NewRecordBatch()
	}
	const appendMode = flightsql.TableDefinitionOptionsTableExistsOptionAppend
	for _, bad := range []arrow.RecordBatch{
		build([]string{"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "not-a-uuid"}, []string{"10.0.0.1", "10.0.0.2"}, []string{"10.0.0.0/8", "10.0.0.0/8"}),
		build([]string{"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"}, []string{"10.0.0.300"}, []string{"10.0.0.0/8"}),
		build([]string{"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"}, []string{"10.0.0.3"}, []string{"10.0.0.1/8"}),
	} {
		_, err := ingest("addrs", schema, appendMode, bad)
		bad.Release()
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "22P02") {
			t.Errorf("bad uuid/inet/cidr value: %v; want InvalidArgument with SQLSTATE 22P02", err)
		}
	}
	if got := countRows(t, cl, "addrs"); got != 0 {
		t.Errorf("rows after rejected batches: %d, want 0", got)
	}
	ok := build([]string{"{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", "a0eebc999c0b4ef8bb6d6bb9bd380a12"},
		[]string{"10.1.2.3/8", "2001:DB8::1"}, []string{"10.1", "2001:db8::/32"})
	defer ok.Release()
	if n, err := ingest("addrs", schema, appendMode, ok); err != nil || n != 2 {
		t.Fatalf("ingest: %d, %v", n, err)
	}
	_, rows := query(t, cl, "SELECT s::text, b::text, x::text, host(ip), net::text FROM addrs ORDER BY ts")
	want := "[[a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 <nil> 10.1.2.3 10.1.0.0/16] " +
		"[a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12 a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12 a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12 2001:db8::1 2001:db8::/32]]"
	if got := fmt.Sprint(rows); got != want {
		t.Errorf("rows\n got %s\nwant %s", got, want)
	}
	_, rows = query(t, cl, "SELECT count(*) FROM addrs WHERE s = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12' AND b = s AND ip << '2001:db8::/32'")
	if got := fmt.Sprint(rows); got != "[[1]]" {
		t.Errorf("filter on ingested values: %s, want [[1]]", got)
	}
}

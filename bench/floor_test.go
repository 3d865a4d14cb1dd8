package bench

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgproto3"

	"openwit/internal/pgserver"
)

// BenchmarkSelectStarFloor measures how much of PostgreSQL's time for the
// bench's select_star_limit query (SELECT * FROM logs LIMIT 1000, 8
// columns) is the client's own: the same pgx code the bench times
// (fetchPG: simple protocol, rows.Values) against PostgreSQL 15 and
// against a "floor" server on loopback that answers with the very bytes
// PostgreSQL sent, pre-encoded, doing no work per query. The two run
// alternately in one loop. floor/pg is the least fraction of PostgreSQL's
// time any server can take with this client, so 1/(floor/pg) bounds how
// much faster than PostgreSQL any server can answer this query (issue 4
// asks 10×).
//
//	go test ./bench/ -run XXX -bench SelectStarFloor -benchtime 300x
func BenchmarkSelectStarFloor(b *testing.B) {
	ctx := b.Context()
	srv, err := pgserver.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	gen, err := NewGenerator(GenConfig{Rows: 20_000, Seed: 1, Days: 1, BatchSize: 4096})
	if err != nil {
		b.Fatal(err)
	}
	recs, err := gen.Generate(ctx, memory.DefaultAllocator, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer Release(recs)
	if _, err := copyInto(ctx, EnginePostgres, srv.DSN(""), "text", renderCopyText(recs, 20_000), recs, 20_000); err != nil {
		b.Fatal(err)
	}
	pg, err := connectPG(ctx, srv.DSN(""), true)
	if err != nil {
		b.Fatal(err)
	}
	defer pg.Close(context.Background())
	const sql = "SELECT * FROM logs LIMIT 1000"
	res, err := pg.PgConn().Exec(ctx, sql).ReadAll()
	if err != nil || len(res) != 1 || len(res[0].Rows) != 1000 {
		b.Fatalf("capture the answer: %v (%d results)", err, len(res))
	}
	// PostgreSQL's answer, encoded once.
	var fields []pgproto3.FieldDescription
	for _, f := range res[0].FieldDescriptions {
		fields = append(fields, pgproto3.FieldDescription{Name: []byte(f.Name), TableOID: f.TableOID, TableAttributeNumber: f.TableAttributeNumber,
			DataTypeOID: f.DataTypeOID, DataTypeSize: f.DataTypeSize, TypeModifier: f.TypeModifier, Format: f.Format})
	}
	answer, err := (&pgproto3.RowDescription{Fields: fields}).Encode(nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, row := range res[0].Rows {
		if answer, err = (&pgproto3.DataRow{Values: row}).Encode(answer); err != nil {
			b.Fatal(err)
		}
	}
	if answer, err = (&pgproto3.CommandComplete{CommandTag: []byte(res[0].CommandTag.String())}).Encode(answer); err != nil {
		b.Fatal(err)
	}
	if answer, err = (&pgproto3.ReadyForQuery{TxStatus: 'I'}).Encode(answer); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go serveFloor(ln, answer)
	floor, err := connectPG(ctx, "postgres://floor@"+ln.Addr().String()+"/floor?sslmode=disable", false)
	if err != nil {
		b.Fatal(err)
	}
	defer floor.Close(context.Background())
	for _, c := range []struct {
		name string
		rows func() ([][]any, error)
	}{{"postgres", func() ([][]any, error) { return fetchPG(ctx, pg, sql) }}, {"floor", func() ([][]any, error) { return fetchPG(ctx, floor, sql) }}} {
		if rows, err := c.rows(); err != nil || len(rows) != 1000 {
			b.Fatalf("%s: %d rows, %v", c.name, len(rows), err)
		}
	}
	var pgTime, floorTime time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := fetchPG(ctx, pg, sql); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := fetchPG(ctx, floor, sql); err != nil {
			b.Fatal(err)
		}
		pgTime += t1.Sub(t0)
		floorTime += time.Since(t1)
	}
	b.ReportMetric(float64(pgTime.Nanoseconds())/float64(b.N), "pg-ns/op")
	b.ReportMetric(float64(floorTime.Nanoseconds())/float64(b.N), "floor-ns/op")
	b.ReportMetric(float64(floorTime)/float64(pgTime), "floor/pg")
}

// serveFloor answers every connection of ln as a PostgreSQL server in
// trust mode would, and every simple query with answer.
func serveFloor(ln net.Listener, answer []byte) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			be := pgproto3.NewBackend(c, c)
			if _, err := be.ReceiveStartupMessage(); err != nil {
				return
			}
			be.Send(&pgproto3.AuthenticationOk{})
			for _, p := range [][2]string{{"server_version", "15.0"}, {"client_encoding", "UTF8"}, {"DateStyle", "ISO, MDY"},
				{"integer_datetimes", "on"}, {"TimeZone", "UTC"}, {"standard_conforming_strings", "on"}} {
				be.Send(&pgproto3.ParameterStatus{Name: p[0], Value: p[1]})
			}
			be.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{0, 0, 0, 1}})
			be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
			if be.Flush() != nil {
				return
			}
			for {
				msg, err := be.Receive()
				if err != nil {
					return // EOF or a broken connection
				}
				switch msg.(type) {
				case *pgproto3.Query:
					if _, err := c.Write(answer); err != nil {
						return
					}
				case *pgproto3.Terminate:
					return
				}
			}
		}()
	}
}

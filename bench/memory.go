package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// MemoryConfig configures the memory scenario (`openwit bench memory`):
// a GROUP BY with many groups, run by an `openwit serve` child process
// whose peak resident set size is read from /proc.
type MemoryConfig struct {
	Rows, Groups int64
	// Bin is the openwit binary to run as the server.
	Bin string
	// WorkDir holds the server's data directory and log; empty means a
	// temporary directory, removed afterwards.
	WorkDir string
	// Args are extra `openwit serve` flags (--query-memory-limit=...).
	Args     []string
	Progress io.Writer
}

// MemoryReport is what the memory scenario measured.
type MemoryReport struct {
	Rows, Groups     int64
	GroupsReturned   int64
	RowsCounted      int64
	QuerySeconds     float64
	BaselineRSSBytes int64 // after restart, before the query
	PeakRSSBytes     int64 // VmHWM after the query
	Err              string
}

// memorySchema is the scenario's table: k has Groups distinct values.
var memorySchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// MemoryQuery is the measured query.
const MemoryQuery = `SELECT k, count(*) AS n, sum(v) AS s FROM groups GROUP BY k`

// RunMemory loads Rows rows with Groups distinct keys through Flight SQL
// bulk ingest, restarts the server (so the rows are Parquet files and the
// ingest is not in the peak), runs MemoryQuery over the PostgreSQL wire
// and reports the server's resident set size before and at the peak.
func RunMemory(ctx context.Context, cfg MemoryConfig) (*MemoryReport, error) {
	if cfg.Rows <= 0 || cfg.Groups <= 0 || cfg.Groups > cfg.Rows || cfg.Groups%1_000_003 == 0 {
		return nil, fmt.Errorf("need 0 < groups <= rows (rows %d, groups %d)", cfg.Rows, cfg.Groups)
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	work := cfg.WorkDir
	if work == "" {
		d, err := os.MkdirTemp("", "openwit-bench-memory-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		work = d
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	srv := &child{bin: cfg.Bin, dataDir: filepath.Join(work, "data"), log: filepath.Join(work, "server.log"), args: cfg.Args}
	if err := srv.start(ctx); err != nil {
		return nil, err
	}
	defer srv.kill()
	rep := &MemoryReport{Rows: cfg.Rows, Groups: cfg.Groups}
	fmt.Fprintf(progress, "memory: loading %d rows with %d groups\n", cfg.Rows, cfg.Groups)
	if err := srv.exec(ctx, `CREATE TABLE groups (ts timestamptz NOT NULL, k int8, v float8) WITH (time_column = 'ts')`); err != nil {
		return nil, err
	}
	if err := loadGroups(ctx, srv.flight, cfg.Rows, cfg.Groups); err != nil {
		return nil, err
	}
	fmt.Fprintln(progress, "memory: restarting the server (flushes buffers to Parquet)")
	if err := srv.stop(); err != nil {
		return nil, err
	}
	if err := srv.start(ctx); err != nil {
		return nil, err
	}
	var err error
	if rep.BaselineRSSBytes, err = procStatus(srv.cmd.Process.Pid, "VmRSS"); err != nil {
		return nil, err
	}
	fmt.Fprintln(progress, "memory: running", MemoryQuery)
	conn, err := pgx.Connect(ctx, srv.dsn())
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	start := time.Now()
	rows, err := conn.Query(ctx, MemoryQuery, pgx.QueryExecModeSimpleProtocol)
	if err == nil {
		var k, n int64
		var s float64
		for rows.Next() {
			if err = rows.Scan(&k, &n, &s); err != nil {
				break
			}
			rep.GroupsReturned++
			rep.RowsCounted += n
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	rep.QuerySeconds = time.Since(start).Seconds()
	if err != nil {
		rep.Err = err.Error()
	}
	if rep.PeakRSSBytes, err = procStatus(srv.cmd.Process.Pid, "VmHWM"); err != nil {
		return nil, err
	}
	if err := srv.stop(); err != nil {
		return nil, err
	}
	return rep, nil
}

// loadGroups ingests rows (ts, k, v): k = row·1000003 mod groups (a prime
// stride, so every run of groups consecutive rows hits every key once):
// each group has rows/groups rows (±1), spread over every file.
func loadGroups(ctx context.Context, addr string, rows, groups int64) error {
	cl, err := flightsql.NewClient(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer cl.Close()
	const batch = 1 << 16
	mem := memory.NewGoAllocator()
	epoch := Epoch.UnixMicro()
	for lo := int64(0); lo < rows; lo += 64 * batch {
		var recs []arrow.RecordBatch
		for b := lo; b < min(rows, lo+64*batch); b += batch {
			n := min(int64(batch), rows-b)
			tb := array.NewTimestampBuilder(mem, memorySchema.Field(0).Type.(*arrow.TimestampType))
			kb := array.NewInt64Builder(mem)
			vb := array.NewFloat64Builder(mem)
			for i := b; i < b+n; i++ {
				// One day of data: 24 hourly shards.
				tb.Append(arrow.Timestamp(epoch + i*(86_400_000_000/rows)))
				kb.Append(int64(uint64(i) * 1_000_003 % uint64(groups)))
				vb.Append(float64(i%1000) / 8)
			}
			recs = append(recs, array.NewRecordBatch(memorySchema, []arrow.Array{tb.NewArray(), kb.NewArray(), vb.NewArray()}, n))
			tb.Release()
			kb.Release()
			vb.Release()
		}
		rdr, err := array.NewRecordReader(memorySchema, recs)
		if err != nil {
			return err
		}
		_, err = cl.ExecuteIngest(ctx, rdr, &flightsql.ExecuteIngestOpts{Table: "groups",
			TableDefinitionOptions: &flightsql.TableDefinitionOptions{
				IfNotExist: flightsql.TableDefinitionOptionsTableNotExistOptionFail,
				IfExists:   flightsql.TableDefinitionOptionsTableExistsOptionAppend,
			}})
		rdr.Release()
		Release(recs)
		if err != nil {
			return fmt.Errorf("bulk ingest: %w", err)
		}
	}
	return nil
}

// procStatus reads a "kB" field of /proc/PID/status in bytes.
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// child is an `openwit serve` process on free loopback ports.
type child struct {
	bin, dataDir, log string
	args              []string
	cmd               *exec.Cmd
	exited            chan struct{} // closed when cmd has exited
	pg, flight, http  string
	logf              *os.File
}

func (c *child) dsn() string {
	return fmt.Sprintf("postgres://openwit@%s/openwit?sslmode=disable", c.pg)
}

func (c *child) start(ctx context.Context) error {
	var err error
	// A free port can be taken by another process before the server binds
	// it (then the server exits, and another server may even answer on
	// our HTTP port): retry with new ports.
	for range 3 {
		if err = c.startOnce(ctx); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (c *child) startOnce(ctx context.Context) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	c.pg, c.flight, c.http = fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1]), fmt.Sprintf("127.0.0.1:%d", ports[2])
	if c.logf, err = os.OpenFile(c.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
		return err
	}
	args := append([]string{"serve", "--etcd-embed-addr", "off", "--data-dir", c.dataDir, "--pg-addr", c.pg, "--flight-addr", c.flight,
		"--http-addr", c.http, "--flush-age", "1h"}, c.args...)
	c.cmd = exec.Command(c.bin, args...)
	c.cmd.Stdout, c.cmd.Stderr = c.logf, c.logf
	if err := c.cmd.Start(); err != nil {
		c.logf.Close()
		return fmt.Errorf("start %s: %w", c.bin, err)
	}
	c.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { cmd.Wait(); close(exited) }(c.cmd, c.exited)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			c.kill()
			return ctx.Err()
		case <-c.exited:
			c.cmd = nil
			c.logf.Close()
			return fmt.Errorf("openwit serve exited during startup (log: %s)", c.log)
		case <-time.After(100 * time.Millisecond):
		}
		if c.ready(ctx) {
			return nil
		}
	}
	c.kill()
	return fmt.Errorf("openwit serve did not become ready (log: %s)", c.log)
}

// ready reports whether /readyz answers 200 and the PostgreSQL port takes
// a login (so the answer came from this server, not another one on a
// reused port).
func (c *child) ready(ctx context.Context) bool {
	resp, err := http.Get("http://" + c.http + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, c.dsn())
	if err != nil {
		return false
	}
	conn.Close(context.Background())
	return true
}

func (c *child) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.dsn())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	return err
}

// stop asks the server to shut down (it flushes its buffers) and waits.
func (c *child) stop() error {
	if c.cmd == nil {
		return nil
	}
	defer func() { c.cmd = nil; c.logf.Close() }()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-c.exited:
		if st := c.cmd.ProcessState; st != nil && !st.Success() {
			return fmt.Errorf("openwit serve exited with %v (log: %s)", st, c.log)
		}
		return nil
	case <-time.After(5 * time.Minute):
		c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("openwit serve did not stop within 5 minutes (log: %s)", c.log)
	}
}

func (c *child) kill() {
	if c.cmd != nil {
		c.cmd.Process.Kill()
		<-c.exited
		c.logf.Close()
		c.cmd = nil
	}
}

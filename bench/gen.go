package bench

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Epoch is the timestamp of the first generated row.
var Epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// CreateTableSQL creates the benchmark table in OpenWit (time-sharded on
// ts). PostgreSQL gets the same columns without the WITH clause.
const CreateTableSQL = `CREATE TABLE logs (ts timestamptz NOT NULL, service text, host text, level text, status int4, latency_ms float8, trace_id text, message text) WITH (time_column = 'ts')`

// createTablePG is CreateTableSQL in plain PostgreSQL.
const createTablePG = `CREATE TABLE logs (ts timestamptz NOT NULL, service text, host text, level text, status int4, latency_ms float8, trace_id text, message text)`

// Schema is the Arrow schema of generated batches: exactly the types
// OpenWit stores for the logs table (storage.ArrowType), so bulk ingest
// converts nothing.
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "service", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "host", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "level", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "status", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "latency_ms", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "trace_id", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "message", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// GenConfig configures the synthetic log generator.
type GenConfig struct {
	Rows      int64  // total rows
	Seed      uint64 // same seed, same rows
	Days      int    // rows are spread evenly over this many days from Epoch
	BatchSize int    // rows per record batch (the last one may be shorter)
}

// Validate checks the configuration.
func (c GenConfig) Validate() error {
	switch {
	case c.Rows <= 0:
		return errors.New("rows must be positive")
	case c.Days < 1 || c.Days > 3650:
		return fmt.Errorf("days %d: must be between 1 and 3650", c.Days)
	case c.BatchSize <= 0:
		return errors.New("batch size must be positive")
	}
	return nil
}

// Services are the generated service names, most frequent first (the
// k-th has weight 1/k^1.1, a Zipf-like skew).
var Services = []string{
	"frontend", "api-gateway", "checkout", "search", "auth", "cart", "catalog", "payments", "orders",
	"user-profile", "recommendation", "inventory", "shipping", "pricing", "notification", "email",
	"reviews", "ads", "analytics", "billing",
}

// hostsPerService hosts run each service: len(Services)*hostsPerService hosts.
const hostsPerService = 10

// Levels with their probabilities (error's is scaled per service, keeping
// the overall rate at errorRate).
const (
	errorRate = 0.03
	warnRate  = 0.12
	debugRate = 0.10
)

// serviceProfile is the per-service shape of the data.
type serviceProfile struct {
	name      string
	hosts     []string
	errorP    float64 // P(level = error)
	latencyMu float64 // log of the median latency in ms
}

// Generator produces deterministic synthetic log rows: batch i depends only
// on (Seed, i), so batches can be made in parallel and in any order.
type Generator struct {
	cfg      GenConfig
	services []serviceProfile
	cdf      []float64 // cumulative service weights
	span     int64     // µs covered by the rows
}

// NewGenerator validates cfg and precomputes the distributions.
func NewGenerator(cfg GenConfig) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Generator{cfg: cfg, span: int64(cfg.Days) * 24 * int64(time.Hour/time.Microsecond)}
	weights := make([]float64, len(Services))
	var sum float64
	for k := range Services {
		weights[k] = 1 / math.Pow(float64(k+1), 1.1)
		sum += weights[k]
	}
	// A few services are flakier than others, so "top services by errors"
	// is not just "top services by volume".
	errFactor := func(k int) float64 { return []float64{0.6, 1.0, 2.2, 0.5, 1.4, 0.8, 0.7, 3.0, 1.6, 1.0}[k%10] }
	var meanFactor float64
	for k := range Services {
		weights[k] /= sum
		meanFactor += weights[k] * errFactor(k)
	}
	acc := 0.0
	for k, name := range Services {
		acc += weights[k]
		g.cdf = append(g.cdf, acc)
		p := serviceProfile{
			name:      name,
			errorP:    errorRate * errFactor(k) / meanFactor,
			latencyMu: math.Log(4 + float64((k*37)%60)),
		}
		for h := range hostsPerService {
			p.hosts = append(p.hosts, fmt.Sprintf("%s-%02d", name, h))
		}
		g.services = append(g.services, p)
	}
	g.cdf[len(g.cdf)-1] = 1
	return g, nil
}

// NumBatches returns the number of batches of the whole data set.
func (g *Generator) NumBatches() int {
	return int((g.cfg.Rows + int64(g.cfg.BatchSize) - 1) / int64(g.cfg.BatchSize))
}

// mix64 is splitmix64's finalizer: a bijection on uint64.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// TraceID returns row's trace id: 32 hex characters, unique per row (the
// second half is a bijection of the row number) and depending on the seed.
func (g *Generator) TraceID(row int64) string {
	var b [32]byte
	g.appendTraceID(b[:0], row)
	return string(b[:])
}

func (g *Generator) appendTraceID(dst []byte, row int64) []byte {
	var raw [16]byte
	hi := mix64(uint64(row) ^ mix64(g.cfg.Seed^0x5eed))
	lo := mix64(uint64(row) + mix64(g.cfg.Seed+0x7ace))
	for i := range 8 {
		raw[i] = byte(hi >> (56 - 8*i))
		raw[8+i] = byte(lo >> (56 - 8*i))
	}
	return hex.AppendEncode(dst, raw[:])
}

// NeedleRow returns the row whose trace id the needle query looks up,
// chosen from the seed.
func (g *Generator) NeedleRow() int64 { return int64(mix64(g.cfg.Seed^0x4eed1e) % uint64(g.cfg.Rows)) }

// Batch generates batch i (rows i*BatchSize ..) with mem.
func (g *Generator) Batch(mem memory.Allocator, i int) arrow.RecordBatch {
	first := int64(i) * int64(g.cfg.BatchSize)
	n := min(int64(g.cfg.BatchSize), g.cfg.Rows-first)
	rng := rand.New(rand.NewPCG(g.cfg.Seed, uint64(i)))
	step := float64(g.span) / float64(g.cfg.Rows)
	jitter := int64(step)
	base := Epoch.UnixMicro()

	ts := array.NewTimestampBuilder(mem, Schema.Field(0).Type.(*arrow.TimestampType))
	service, host, level := array.NewStringBuilder(mem), array.NewStringBuilder(mem), array.NewStringBuilder(mem)
	status, latency := array.NewInt32Builder(mem), array.NewFloat64Builder(mem)
	trace, message := array.NewStringBuilder(mem), array.NewStringBuilder(mem)
	builders := []array.Builder{ts, service, host, level, status, latency, trace, message}
	for _, b := range builders {
		b.Reserve(int(n))
	}
	// Enough value bytes that no builder grows (and copies) midway.
	for _, r := range []struct {
		b     *array.StringBuilder
		bytes int
	}{{service, 8}, {host, 11}, {level, 5}, {trace, 32}, {message, 52}} {
		r.b.ReserveData(int(n) * r.bytes)
	}
	var buf []byte
	for r := first; r < first+n; r++ {
		t := base + int64(float64(r)*step)
		if jitter > 1 {
			t += rng.Int64N(jitter)
		}
		ts.UnsafeAppend(arrow.Timestamp(t))

		k := g.pickService(rng.Float64())
		sp := &g.services[k]
		service.Append(sp.name)
		host.Append(sp.hosts[rng.IntN(len(sp.hosts))])

		lv := g.pickLevel(sp, rng.Float64())
		level.Append(levelNames[lv])
		st := pickStatus(lv, rng.Float64())
		status.UnsafeAppend(st)

		lat := math.Exp(sp.latencyMu + 0.9*rng.NormFloat64())
		switch lv {
		case levelError:
			lat *= 4
		case levelWarn:
			lat *= 1.5
		}
		lat = math.Round(lat*1000) / 1000
		latency.UnsafeAppend(lat)

		buf = g.appendTraceID(buf[:0], r)
		trace.BinaryBuilder.Append(buf)
		buf = g.appendMessage(buf[:0], rng, k, lv, st, lat)
		message.BinaryBuilder.Append(buf)
	}
	cols := make([]arrow.Array, len(builders))
	for j, b := range builders {
		cols[j] = b.NewArray()
		b.Release()
	}
	rec := array.NewRecordBatch(Schema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	return rec
}

func (g *Generator) pickService(u float64) int {
	for k, c := range g.cdf {
		if u < c {
			return k
		}
	}
	return len(g.cdf) - 1
}

const (
	levelDebug = iota
	levelInfo
	levelWarn
	levelError
)

var levelNames = []string{"debug", "info", "warn", "error"}

func (g *Generator) pickLevel(sp *serviceProfile, u float64) int {
	switch {
	case u < sp.errorP:
		return levelError
	case u < sp.errorP+warnRate:
		return levelWarn
	case u < sp.errorP+warnRate+debugRate:
		return levelDebug
	}
	return levelInfo
}

// pickStatus correlates HTTP statuses with the level: errors are 5xx,
// warnings mostly 4xx, the rest mostly 200.
func pickStatus(lv int, u float64) int32 {
	type choice struct {
		p      float64
		status int32
	}
	var cs []choice
	switch lv {
	case levelError:
		cs = []choice{{0.50, 500}, {0.65, 502}, {0.85, 503}, {1, 504}}
	case levelWarn:
		cs = []choice{{0.25, 400}, {0.35, 401}, {0.45, 403}, {0.80, 404}, {0.95, 429}, {1, 200}}
	default:
		cs = []choice{{0.90, 200}, {0.94, 201}, {0.97, 204}, {1, 304}}
	}
	for _, c := range cs {
		if u < c.p {
			return c.status
		}
	}
	return cs[len(cs)-1].status
}

var (
	resources = []string{"users", "orders", "products", "carts", "sessions", "invoices", "reviews", "coupons"}
	tables    = []string{"users", "orders", "order_items", "products", "payments", "sessions", "inventory"}
	jobs      = []string{"reindex", "cleanup-sessions", "send-digest", "rotate-keys", "sync-inventory", "export-metrics"}
)

// Message templates by level, as (cumulative probability, template id).
var templatesByLevel = [][]struct {
	p  float64
	id int
}{
	levelDebug: {{0.6, 3}, {1, 4}},
	levelInfo:  {{0.5, 0}, {0.65, 1}, {0.8, 2}, {0.9, 4}, {1, 5}},
	levelWarn:  {{0.3, 6}, {0.6, 7}, {0.85, 8}, {1, 10}},
	levelError: {{0.35, 9}, {0.5, 10}, {0.6, 11}, {0.8, 12}, {1, 13}},
}

// appendMessage renders one of 14 templates. Templates 9 and 10 contain
// "timeout"; 11 has "Timeout" (capitalized: LIKE is case-sensitive).
func (g *Generator) appendMessage(b []byte, rng *rand.Rand, svc, lv int, status int32, lat float64) []byte {
	u := rng.Float64()
	id := 0
	for _, t := range templatesByLevel[lv] {
		if u < t.p {
			id = t.id
			break
		}
	}
	other := Services[rng.IntN(len(Services))]
	num := func(lo, hi int) []byte { return strconv.AppendInt(b, int64(lo+rng.IntN(hi-lo)), 10) }
	ms := func() []byte { return strconv.AppendFloat(b, lat, 'f', -1, 64) }
	ip := func() []byte {
		b = append(b, "10."...)
		b = num(0, 256)
		b = append(b, '.')
		b = num(0, 256)
		b = append(b, '.')
		return num(1, 255)
	}
	switch id {
	case 0:
		b = append(b, "GET /api/v1/"...)
		b = append(b, resources[rng.IntN(len(resources))]...)
		b = append(b, '/')
		b = num(1, 1_000_000)
		b = append(b, " completed status="...)
		b = strconv.AppendInt(b, int64(status), 10)
		b = append(b, " in "...)
		b = ms()
		b = append(b, "ms"...)
	case 1:
		b = append(b, "POST /api/v1/"...)
		b = append(b, resources[rng.IntN(len(resources))]...)
		b = append(b, " created id="...)
		b = num(1, 1_000_000)
	case 2:
		b = append(b, "user "...)
		b = num(1, 500_000)
		b = append(b, " logged in from "...)
		b = ip()
	case 3:
		b = append(b, "cache miss for key "...)
		b = append(b, resources[rng.IntN(len(resources))]...)
		b = append(b, ':')
		b = num(1, 1_000_000)
	case 4:
		b = append(b, "db query on "...)
		b = append(b, tables[rng.IntN(len(tables))]...)
		b = append(b, " returned "...)
		b = num(0, 500)
		b = append(b, " rows in "...)
		b = ms()
		b = append(b, "ms"...)
	case 5:
		b = append(b, "scheduled job "...)
		b = append(b, jobs[rng.IntN(len(jobs))]...)
		b = append(b, " finished in "...)
		b = num(1, 600)
		b = append(b, 's')
	case 6:
		b = append(b, "retrying call to "...)
		b = append(b, other...)
		b = append(b, " attempt="...)
		b = num(1, 5)
	case 7:
		b = append(b, "slow response from "...)
		b = append(b, other...)
		b = append(b, ": "...)
		b = ms()
		b = append(b, "ms"...)
	case 8:
		b = append(b, "rate limit exceeded for client "...)
		b = num(1, 500_000)
	case 9:
		b = append(b, "request timeout after "...)
		b = ms()
		b = append(b, "ms calling "...)
		b = append(b, other...)
	case 10:
		b = append(b, "upstream connect timeout to "...)
		b = append(b, g.services[svc].hosts[rng.IntN(hostsPerService)]...)
		b = append(b, ':')
		b = num(8000, 9000)
	case 11:
		b = append(b, "Timeout waiting for lock on "...)
		b = append(b, tables[rng.IntN(len(tables))]...)
		b = append(b, " after "...)
		b = num(1000, 30000)
		b = append(b, "ms"...)
	case 12:
		b = append(b, "connection reset by peer "...)
		b = ip()
		b = append(b, ':')
		b = num(1024, 65536)
	case 13:
		b = append(b, "payment "...)
		b = num(1, 10_000_000)
		b = append(b, " declined: insufficient funds"...)
	}
	return b
}

// Generate makes every batch using up to workers goroutines (0: GOMAXPROCS)
// and returns them in order. The caller releases them.
func (g *Generator) Generate(ctx context.Context, mem memory.Allocator, workers int) ([]arrow.RecordBatch, error) {
	return g.GenerateRange(ctx, mem, workers, 0, g.NumBatches())
}

// GenerateRange makes batches lo..hi-1 (in order) like Generate: the same
// batches Generate returns at those positions.
func (g *Generator) GenerateRange(ctx context.Context, mem memory.Allocator, workers, lo, hi int) ([]arrow.RecordBatch, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if lo < 0 || hi > g.NumBatches() || lo > hi {
		return nil, fmt.Errorf("batch range [%d, %d) outside [0, %d)", lo, hi, g.NumBatches())
	}
	out := make([]arrow.RecordBatch, hi-lo)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = g.Batch(mem, lo+i)
			}
		}()
	}
	var err error
feed:
	for i := range out {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		Release(out)
		return nil, err
	}
	return out, nil
}

// Release releases every non-nil batch.
func Release(recs []arrow.RecordBatch) {
	for _, r := range recs {
		if r != nil {
			r.Release()
		}
	}
}

package handoff

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path"
	"runtime/debug"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"openwit/internal/arrowsize"
	"openwit/internal/grpcserve"
	"openwit/storage"
	"openwit/storage/catalog"
)

// Publisher writes and publishes one file, or stages files and publishes
// them later with a Kafka offset (storage.Publisher does).
type Publisher interface {
	Publish(ctx context.Context, writer string, t *catalog.Table, shard int64, batches []arrow.RecordBatch, maxLSN uint64) (*catalog.File, error)
	Stage(ctx context.Context, t *catalog.Table, shard int64, id string, batches []arrow.RecordBatch) (*catalog.File, error)
	PublishAt(ctx context.Context, files []*catalog.File, d catalog.OffsetDelta) error
}

// TableGetter looks tables up by name (catalog.Catalog does).
type TableGetter interface {
	GetTable(ctx context.Context, name string) (*catalog.Table, error)
}

// Config configures a Server.
type Config struct {
	// Publisher publishes the received rows. Required.
	Publisher Publisher
	// Catalog resolves the descriptor's table. Required.
	Catalog TableGetter
	// Logger may be nil (no logs); Registerer nil leaves the metrics
	// unregistered; Mem nil means memory.DefaultAllocator.
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Mem        memory.Allocator
	// MaxBytes bounds the Arrow bytes of one hand-off; 0 means 1 GiB.
	// MaxMessageSize bounds one gRPC message (one batch); 0 means 256 MiB.
	MaxBytes       int64
	MaxMessageSize int
	// OwnedElsewhere, when set, reports whether a hand-off key
	// (Descriptor.Key) is owned by another live storage node now
	// (coordinator/control Owners.OwnedElsewhere). Such a hand-off is
	// still taken (files overlap, nothing is wrong) and counted in
	// openwit_handoff_not_owner_total.
	OwnedElsewhere func(key string) bool
	// TLS, when set, serves TLS only; with ClientAuth
	// tls.RequireAndVerifyClientCert only nodes holding a certificate of
	// ClientCAs may hand off (mutual TLS, as the search service).
	TLS *tls.Config
	// Failpoint, when set, is called with "commit-after-publish" once
	// ActionPublishAt committed, before the answer (crash tests).
	Failpoint func(ctx context.Context, point string)
}

// Server is the storage service: an Arrow Flight service whose DoPut takes
// one hand-off and publishes it as one file. Safe for concurrent use.
type Server struct {
	flight.BaseFlightServer

	cfg Config
	log *slog.Logger
	met *serverMetrics
	gs  *grpc.Server
	lc  grpcserve.Lifecycle

	mu    sync.Mutex
	inUse map[string]*keyLock // hand-offs running now, by file key
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

var _ flight.FlightServer = (*Server)(nil)

// NewServer validates cfg and builds the gRPC server; call Serve.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Publisher == nil || cfg.Catalog == nil {
		return nil, errors.New("handoff server config: publisher and catalog are required")
	}
	if cfg.MaxBytes < 0 || cfg.MaxMessageSize < 0 {
		return nil, errors.New("handoff server config: negative size limit")
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 1 << 30
	}
	if cfg.MaxMessageSize == 0 {
		cfg.MaxMessageSize = 256 << 20
	}
	if cfg.Mem == nil {
		cfg.Mem = memory.DefaultAllocator
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, met: newServerMetrics(cfg.Registerer), inUse: map[string]*keyLock{}}
	opts := []grpc.ServerOption{grpc.MaxRecvMsgSize(cfg.MaxMessageSize), grpc.ChainStreamInterceptor(s.guard), grpcserve.ServerOption()}
	if cfg.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg.TLS)))
	}
	s.gs = grpc.NewServer(opts...)
	flight.RegisterFlightServiceServer(s.gs, s)
	s.lc = grpcserve.Lifecycle{GS: s.gs, Name: "storage"}
	return s, nil
}

// Serve accepts connections on l until Shutdown or ctx ends.
func (s *Server) Serve(ctx context.Context, l net.Listener) error { return s.lc.Serve(ctx, l) }

// Shutdown stops accepting hand-offs and waits for running ones.
func (s *Server) Shutdown(ctx context.Context) error { return s.lc.Shutdown(ctx) }

// DoPut receives one hand-off, publishes it and answers with one PutResult
// whose app metadata is the published catalog.File as JSON ("null" when
// the hand-off held no rows).
func (s *Server) DoPut(stream flight.FlightService_DoPutServer) error {
	ctx := stream.Context()
	start := time.Now()
	d, t, batches, err := s.receive(ctx, stream)
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	if err != nil {
		return statusError(err)
	}
	var f *catalog.File
	if d.Stage() {
		unlock := s.lock("stage/" + d.File)
		f, err = s.cfg.Publisher.Stage(ctx, t, d.Shard, d.File, batches)
		unlock()
		if err != nil {
			return statusError(fmt.Errorf("stage %s: %w", d.File, err))
		}
	} else {
		if s.cfg.OwnedElsewhere != nil && s.cfg.OwnedElsewhere(d.Key()) {
			s.met.notOwner.Inc()
			s.log.Debug("hand-off of a shard another storage node owns", "table", d.Table, "shard", d.Shard, "writer", d.Writer)
		}
		unlock := s.lock(fmt.Sprintf("%s/%d/%d/%d", d.Writer, d.TableID, d.Shard, d.MaxLSN))
		f, err = s.cfg.Publisher.Publish(ctx, d.Writer, t, d.Shard, batches, d.MaxLSN)
		unlock()
		if err != nil {
			return statusError(fmt.Errorf("publish %s shard %d: %w", d.Table, d.Shard, err))
		}
	}
	meta, err := json.Marshal(f)
	if err != nil {
		return statusError(err)
	}
	if err := stream.Send(&flight.PutResult{AppMetadata: meta}); err != nil {
		return err
	}
	switch {
	case f != nil && d.Stage():
		s.met.staged.Inc()
		s.log.Debug("file staged", "table", d.Table, "shard", d.Shard, "file", f.ID, "rows", f.Rows, "duration", time.Since(start))
	case f != nil:
		s.met.files.Inc()
		s.met.rows.Add(float64(f.Rows))
		s.log.Debug("hand-off published", "writer", d.Writer, "table", d.Table, "shard", d.Shard, "file", f.ID, "rows", f.Rows, "duration", time.Since(start))
	}
	return nil
}

// receive reads the descriptor and the batches and checks them against the
// catalog. The returned batches are retained even on error.
func (s *Server) receive(ctx context.Context, stream flight.FlightService_DoPutServer) (*Descriptor, *catalog.Table, []arrow.RecordBatch, error) {
	rdr, err := flight.NewRecordReader(stream, ipc.WithAllocator(s.cfg.Mem))
	if err != nil {
		if status.Code(err) != codes.Unknown {
			return nil, nil, nil, err
		}
		return nil, nil, nil, fmt.Errorf("read the stream's schema: %v: %w", err, ErrInvalid)
	}
	defer rdr.Release()
	fd := rdr.LatestFlightDescriptor()
	if fd == nil || fd.Type != flight.DescriptorCMD {
		return nil, nil, nil, fmt.Errorf("the first message carries no command descriptor: %w", ErrInvalid)
	}
	d, err := DecodeDescriptor(fd.Cmd)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := s.cfg.Catalog.GetTable(ctx, d.Table)
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && t.ID != d.TableID) {
		return d, nil, nil, fmt.Errorf("table %s (id %d): %w", d.Table, d.TableID, catalog.ErrNotFound)
	}
	if err != nil {
		return d, nil, nil, fmt.Errorf("look up table %s: %w", d.Table, err)
	}
	if d.Stage() {
		t = asOf(t, rdr.Schema().NumFields())
	}
	if got := SchemaID(t); got != d.Schema {
		return d, nil, nil, fmt.Errorf("table %s: the writer's schema %s "+staleSchemaText+" %s: %w: %w", d.Table, d.Schema, got, ErrStaleSchema, ErrInvalid)
	}
	want, err := storage.ArrowSchema(t)
	if err != nil {
		return d, nil, nil, fmt.Errorf("table %s: %w", d.Table, err)
	}
	if err := sameColumns(rdr.Schema(), want); err != nil {
		return d, nil, nil, fmt.Errorf("table %s: %w: %w", d.Table, err, ErrInvalid)
	}
	var batches []arrow.RecordBatch
	var size int64
	for rdr.Next() {
		b := rdr.RecordBatch()
		size += arrowsize.Record(b)
		if size > s.cfg.MaxBytes {
			return d, nil, batches, fmt.Errorf("hand-off of %s shard %d exceeds %d bytes: %w", d.Table, d.Shard, s.cfg.MaxBytes, ErrInvalid)
		}
		b.Retain()
		batches = append(batches, b)
	}
	if err := rdr.Err(); err != nil && !errors.Is(err, io.EOF) {
		if _, ok := status.FromError(err); ok && status.Code(err) != codes.Unknown {
			return d, nil, batches, err
		}
		return d, nil, batches, fmt.Errorf("read batches: %v: %w", err, ErrInvalid)
	}
	return d, t, batches, nil
}

// asOf returns t as it was when it had n columns, when the columns after
// the first n are nullable (catalog.AddColumns appends only such): a Kafka
// consumer that has not seen columns another node added stages files
// without them, which readers fill with NULL. Otherwise t itself.
func asOf(t *catalog.Table, n int) *catalog.Table {
	if n <= 0 || n >= len(t.Columns) {
		return t
	}
	for _, c := range t.Columns[n:] {
		if c.NotNull || c.Name == t.TimeColumn {
			return t
		}
	}
	old := *t
	old.Columns = t.Columns[:n:n]
	return &old
}

// lock serializes hand-offs of one file (a retry arriving while the first
// attempt still runs waits for it instead of writing the same object).
func (s *Server) lock(key string) (unlock func()) {
	s.mu.Lock()
	l := s.inUse[key]
	if l == nil {
		l = &keyLock{}
		s.inUse[key] = l
	}
	l.refs++
	s.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(s.inUse, key)
		}
		s.mu.Unlock()
	}
}

// sameColumns checks that got has want's column names and types in order.
func sameColumns(got, want *arrow.Schema) error {
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("%d columns, the table has %d", got.NumFields(), want.NumFields())
	}
	for i, f := range want.Fields() {
		g := got.Field(i)
		if g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) {
			return fmt.Errorf("column %d is %s %s, the table has %s %s", i+1, g.Name, g.Type, f.Name, f.Type)
		}
	}
	return nil
}

// guard counts hand-offs by code and turns panics into Internal errors.
func (s *Server) guard(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("storage call panicked", "method", path.Base(info.FullMethod), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = status.Errorf(codes.Internal, "storage: internal error: %v", r)
		}
		if m := path.Base(info.FullMethod); m == "DoPut" || m == "DoAction" {
			s.met.handoffs.WithLabelValues(status.Code(err).String()).Inc()
		}
		switch status.Code(err) {
		case codes.OK, codes.NotFound, codes.Canceled:
		default:
			s.log.Warn("hand-off failed", "method", path.Base(info.FullMethod), "err", err)
		}
	}()
	return handler(srv, ss)
}

// statusError maps an error to the gRPC status the client branches on.
func statusError(err error) error {
	return grpcserve.StatusError(err,
		grpcserve.ErrorCode{Err: ErrInvalid, Code: codes.InvalidArgument},
		grpcserve.ErrorCode{Err: catalog.ErrInvalid, Code: codes.InvalidArgument},
		grpcserve.ErrorCode{Err: ErrVersion, Code: codes.Unimplemented},
		grpcserve.ErrorCode{Err: catalog.ErrNotFound, Code: codes.NotFound},
		grpcserve.ErrorCode{Err: catalog.ErrExists, Code: codes.AlreadyExists},
		grpcserve.ErrorCode{Err: catalog.ErrUnknownOutcome, Code: codes.Unavailable},
		// A compare-and-set lost: re-read, do not retry as is.
		grpcserve.ErrorCode{Err: catalog.ErrConflict, Code: codes.Aborted},
		grpcserve.ErrorCode{Err: storage.ErrStaleUpload, Code: codes.FailedPrecondition})
}

type serverMetrics struct {
	handoffs   *prometheus.CounterVec
	files      prometheus.Counter
	rows       prometheus.Counter
	notOwner   prometheus.Counter
	staged     prometheus.Counter
	commits    prometheus.Counter
	commitRows prometheus.Counter
}

func newServerMetrics(reg prometheus.Registerer) *serverMetrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	return &serverMetrics{
		handoffs: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_storage_handoffs_total",
			Help: "Calls received by the storage service (hand-offs, Kafka stages and publish-at), by gRPC status code."}, []string{"code"}),
		files: f.NewCounter(prometheus.CounterOpts{Name: "openwit_storage_handoff_files_total",
			Help: "Files the storage service published for hand-offs (a repeated hand-off counts again)."}),
		rows: f.NewCounter(prometheus.CounterOpts{Name: "openwit_storage_handoff_rows_total",
			Help: "Rows in the files the storage service published for hand-offs."}),
		notOwner: f.NewCounter(prometheus.CounterOpts{Name: "openwit_handoff_not_owner_total",
			Help: "Hand-offs taken for a (table, shard) whose owner in the control plane is another live storage node (overlapping files)."}),
		staged: f.NewCounter(prometheus.CounterOpts{Name: "openwit_storage_staged_files_total",
			Help: "Kafka files the storage service staged (written and uploaded, not yet published)."}),
		commits: f.NewCounter(prometheus.CounterOpts{Name: "openwit_storage_publish_at_total",
			Help: "Kafka publishes (staged files and a partition offset in one catalog transaction) the storage service committed; a repeated one counts again."}),
		commitRows: f.NewCounter(prometheus.CounterOpts{Name: "openwit_storage_publish_at_rows_total",
			Help: "Rows in the files of the Kafka publishes the storage service committed."}),
	}
}

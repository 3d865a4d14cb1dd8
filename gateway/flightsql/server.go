package flightsql

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path"
	"runtime/debug"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"openwit/internal/grpcserve"
	"openwit/planner"
)

// Server is OpenWit's Arrow Flight SQL endpoint. It is safe for concurrent
// use; it keeps no per-client state (see the package documentation).
type Server struct {
	flightsql.BaseServer

	cfg  Config
	log  *slog.Logger
	mem  memory.Allocator
	auth *authenticator
	met  *metrics
	// running tracks DoGet calls of statement tickets for
	// CancelFlightInfo.
	running *registry
	gs      *grpc.Server
	lc      grpcserve.Lifecycle // serve/shutdown of gs

	sqlInfo map[uint32]bool // ids registered with BaseServer

}

var _ flightsql.Server = (*Server)(nil)

// New validates cfg, fills defaults, registers metrics and builds the gRPC
// server. Call Serve to accept connections.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		mem:     memory.DefaultAllocator,
		auth:    newAuthenticator(cfg),
		met:     newMetrics(cfg.Registerer),
		running: newRegistry(),
		sqlInfo: map[uint32]bool{},
	}
	// BaseServer's SqlInfo handlers read Alloc and set it when nil; set it
	// here so concurrent calls only read it.
	s.Alloc = s.mem
	if err := s.registerSqlInfo(); err != nil {
		return nil, err
	}
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.MaxRecvMsgSize),
		grpcserve.ServerOption(),
		grpc.ChainUnaryInterceptor(s.unaryGuard, s.auth.unary),
		grpc.ChainStreamInterceptor(s.streamGuard, s.auth.stream),
	}
	if cfg.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg.TLS)))
	}
	s.gs = grpc.NewServer(opts...)
	flight.RegisterFlightServiceServer(s.gs, &flightService{FlightServer: flightsql.NewFlightServerWithAllocator(s, s.mem), s: s})
	s.lc = grpcserve.Lifecycle{GS: s.gs, Name: "flight sql"}
	return s, nil
}

// Serve accepts connections on l until Shutdown is called or ctx is done
// (which stops the server at once, cancelling running calls). Serve closes
// l and returns nil after a stop; other accept errors are returned.
func (s *Server) Serve(ctx context.Context, l net.Listener) error { return s.lc.Serve(ctx, l) }

// Shutdown stops accepting connections and waits for running calls
// (streams included) to finish. When ctx is done first, the remaining calls
// are cancelled, their connections closed, and ctx.Err() is returned.
func (s *Server) Shutdown(ctx context.Context) error { return s.lc.Shutdown(ctx) }

// session opens a planner session for the call's user. The caller closes
// it.
func (s *Server) session(ctx context.Context) *planner.Session {
	return s.cfg.Engine.NewSession(userFrom(ctx), "flightsql")
}

// unaryGuard counts calls and turns panics into Internal errors.
func (s *Server) unaryGuard(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = s.panicked(info.FullMethod, r)
		}
		s.met.observe(info.FullMethod, err)
	}()
	return handler(ctx, req)
}

func (s *Server) streamGuard(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = s.panicked(info.FullMethod, r)
		}
		s.met.observe(info.FullMethod, err)
	}()
	err = handler(srv, ss)
	if err != nil {
		if code := status.Code(err); code == codes.Internal || code == codes.Unknown {
			s.log.Warn("flight sql call failed", "method", path.Base(info.FullMethod), "err", err)
		}
	}
	return err
}

func (s *Server) panicked(method string, r any) error {
	s.log.Error("flight sql call panicked", "method", path.Base(method), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	return status.Errorf(codes.Internal, "ERROR: internal error: %v (SQLSTATE XX000)", r)
}

// metrics are the server's Prometheus metrics.
type metrics struct {
	calls    *prometheus.CounterVec
	rowsSent prometheus.Counter
	// arrowResults counts results streamed from the executor's batches
	// (no row conversion).
	arrowResults prometheus.Counter
	rowsIngest   prometheus.Counter
	batchIngest  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	return &metrics{
		calls: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_flightsql_calls_total",
			Help: "Flight SQL gRPC calls by method and status code."}, []string{"method", "code"}),
		rowsSent: f.NewCounter(prometheus.CounterOpts{Name: "openwit_flightsql_rows_sent_total",
			Help: "Result rows streamed to Flight SQL clients."}),
		arrowResults: f.NewCounter(prometheus.CounterOpts{Name: "openwit_flightsql_arrow_results_total",
			Help: "Query results streamed straight from the vectorized executor's record batches."}),
		rowsIngest: f.NewCounter(prometheus.CounterOpts{Name: "openwit_flightsql_ingest_rows_total",
			Help: "Rows acknowledged by Flight SQL bulk ingest."}),
		batchIngest: f.NewCounter(prometheus.CounterOpts{Name: "openwit_flightsql_ingest_batches_total",
			Help: "Record batches acknowledged by Flight SQL bulk ingest (one WAL record each)."}),
	}
}

func (m *metrics) observe(method string, err error) {
	m.calls.WithLabelValues(path.Base(method), status.Code(err).String()).Inc()
}

package handoff

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"openwit/internal/grpcserve"
	"openwit/internal/retry"
	"openwit/search"
	"openwit/storage"
	"openwit/storage/catalog"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// Nodes returns the storage nodes (host:port) to choose from now.
	// Required; it is called once per hand-off.
	Nodes func() []string
	// Owner, when set, names the storage node that owns a hand-off key
	// (Descriptor.Key) now: the shard's single writer assigned through the
	// control plane (coordinator/control Owners.Lookup). nodes is what
	// Nodes returned. The owner is tried first, then the others in
	// rendezvous order; ok=false (no control plane answer and no usable
	// cached owner) means rendezvous order alone. It must return within a
	// short bound: a flush waits for it.
	Owner func(ctx context.Context, key string, nodes []string) (addr string, ok bool)
	// Retry is the schedule of attempts on one node before the next one
	// is tried (internal/retry; zero: its default).
	Retry retry.Policy
	// CallTimeout bounds one attempt (sending the rows and the publish);
	// 0 means 2 minutes.
	CallTimeout time.Duration
	// MaxMessageSize bounds one sent batch message; 0 means 256 MiB.
	MaxMessageSize int
	// TLS, when set, connects over TLS (RootCAs verify the storage nodes,
	// Certificates is presented to them). Nil means plain text.
	TLS *tls.Config
	// Logger may be nil; Registerer nil leaves the metrics unregistered.
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Failpoint, when set, is called with "handoff-after-publish" once a
	// storage node answered, before Publish returns (crash tests).
	Failpoint func(ctx context.Context, point string)
}

// Client hands sealed ingest buffers to storage nodes. It implements
// ingest.Publisher and is safe for concurrent use.
type Client struct {
	cfg ClientConfig
	log *slog.Logger

	conns *grpcserve.Conns

	calls     *prometheus.CounterVec
	failovers prometheus.Counter
	owned     *prometheus.CounterVec
	staged    prometheus.Counter
	commits   *prometheus.CounterVec
}

// NewClient returns a client; connections are made on first use.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Nodes == nil {
		return nil, errors.New("handoff client config: nodes are required")
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 2 * time.Minute
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = 256 << 20
	}
	cfg.Retry = cfg.Retry.WithDefaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	reg := cfg.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	// Reconnect at the pace of the retries.
	conns := &grpcserve.Conns{Name: "handoff: storage node", TLS: cfg.TLS, BaseDelay: cfg.Retry.Base, MaxDelay: cfg.Retry.Max,
		CallOptions: []grpc.CallOption{grpc.MaxCallSendMsgSize(cfg.MaxMessageSize)}}
	return &Client{cfg: cfg, log: cfg.Logger, conns: conns,
		calls: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_ingest_handoffs_total",
			Help: "Hand-off attempts to storage nodes, by gRPC status code."}, []string{"code"}),
		failovers: f.NewCounter(prometheus.CounterOpts{Name: "openwit_ingest_handoff_failovers_total",
			Help: "Hand-offs that moved to the next storage node after the retries on one failed."}),
		owned: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_ingest_handoff_placements_total",
			Help: "Hand-offs by how their first storage node was chosen: owner (the shard's owner in the control plane) or rendezvous."}, []string{"by"}),
		staged: f.NewCounter(prometheus.CounterOpts{Name: "openwit_kafka_staged_files_total",
			Help: "Kafka files staged on storage nodes (encoded and uploaded there)."}),
		commits: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_kafka_publish_at_calls_total",
			Help: "Publish-at calls (staged files and a partition offset) to storage nodes, by gRPC status code."}, []string{"code"}),
	}, nil
}

// Close closes every connection.
func (c *Client) Close() error { return c.conns.Close() }

// Rank orders storage nodes for a hand-off key by rendezvous hashing: the
// first is the owner, the next ones take over in order when it fails.
func Rank(key string, nodes []string) []string {
	return search.Rank(key, nodes)
}

// Publish hands the rows of writer's (t, shard) up to maxLSN to the storage node
// owning them and returns the file it published. Transient failures are
// retried (internal/retry) and then moved to the next node: a hand-off is
// idempotent (the storage node derives the file id from the descriptor).
// A table the storage node does not know (dropped) returns an error
// wrapping catalog.ErrNotFound.
func (c *Client) Publish(ctx context.Context, writer string, t *catalog.Table, shard int64, batches []arrow.RecordBatch, maxLSN uint64) (*catalog.File, error) {
	if len(batches) == 0 {
		return nil, nil
	}
	d := &Descriptor{V: Version, Writer: writer, TableID: t.ID, Table: t.Name, Schema: SchemaID(t), Shard: shard, MaxLSN: maxLSN}
	cmd, err := d.Encode()
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("hand off %s shard %d", t.Name, shard)
	var f *catalog.File
	err = c.onNodes(ctx, d.Key(), true, what, retryable, func(ctx context.Context, addr string) error {
		var err error
		f, err = c.put(ctx, addr, cmd, batches)
		return err
	})
	if err != nil {
		return nil, err
	}
	if c.cfg.Failpoint != nil {
		c.cfg.Failpoint(ctx, "handoff-after-publish")
	}
	return f, nil
}

// onNodes runs call on the storage nodes ranked for key (Rank; with owned,
// the key is a (table, shard) and its owner comes first, see order): on each
// with the retry policy while retryable says so, then on the next node.
// NotFound (catalog.ErrNotFound), InvalidArgument and AlreadyExists
// (ErrInvalid), Aborted (catalog.ErrConflict) and FailedPrecondition
// (storage.ErrStaleUpload) end it at once: another node would answer the
// same. what names the operation in errors and logs.
func (c *Client) onNodes(ctx context.Context, key string, owned bool, what string, retryable func(error) bool, call func(ctx context.Context, addr string) error) error {
	nodes := c.order(ctx, key, owned)
	if len(nodes) == 0 {
		return fmt.Errorf("%s: no storage node known: %w", what, ErrUnavailable)
	}
	var errs []error
	for i, addr := range nodes {
		if i > 0 {
			c.failovers.Inc()
			c.log.Warn("hand-off moves to the next storage node", "op", what, "node", addr, "err", errs[len(errs)-1])
		}
		err := retry.Do(ctx, c.cfg.Retry, retryable, func(ctx context.Context) error { return call(ctx, addr) })
		if err == nil {
			return nil
		}
		msg := status.Convert(err).Message()
		switch status.Code(err) {
		case codes.NotFound:
			return fmt.Errorf("%s to %s: %v: %w", what, addr, msg, catalog.ErrNotFound)
		case codes.InvalidArgument, codes.AlreadyExists:
			if strings.Contains(msg, staleSchemaText) {
				return fmt.Errorf("%s to %s: %v: %w: %w", what, addr, msg, ErrStaleSchema, ErrInvalid)
			}
			return fmt.Errorf("%s to %s: %v: %w", what, addr, msg, ErrInvalid)
		case codes.Aborted:
			return fmt.Errorf("%s to %s: %v: %w", what, addr, msg, catalog.ErrConflict)
		case codes.FailedPrecondition:
			return fmt.Errorf("%s to %s: %v: %w", what, addr, msg, storage.ErrStaleUpload)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	return fmt.Errorf("%s: %w: %w", what, ErrUnavailable, errors.Join(errs...))
}

// order is the storage nodes to try for key in rendezvous order; with
// owned and an Owner, the key's owner (a (table, shard) key's single writer)
// comes first.
func (c *Client) order(ctx context.Context, key string, owned bool) []string {
	nodes := slices.Compact(slices.Sorted(slices.Values(c.cfg.Nodes())))
	ranked := Rank(key, nodes)
	if !owned || c.cfg.Owner == nil {
		return ranked
	}
	owner, ok := c.cfg.Owner(ctx, key, nodes)
	if !ok || owner == "" {
		c.owned.WithLabelValues("rendezvous").Inc()
		return ranked
	}
	c.owned.WithLabelValues("owner").Inc()
	return append([]string{owner}, slices.DeleteFunc(ranked, func(a string) bool { return a == owner })...)
}

// retryable reports whether another attempt on the same node may succeed.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Internal, codes.Unknown:
		return true
	}
	return false
}

// put runs one DoPut on addr.
func (c *Client) put(ctx context.Context, addr string, cmd []byte, batches []arrow.RecordBatch) (f *catalog.File, err error) {
	defer func() { c.calls.WithLabelValues(status.Code(err).String()).Inc() }()
	fc, err := c.conn(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	stream, err := fc.DoPut(ctx)
	if err != nil {
		return nil, err
	}
	w := flight.NewRecordWriter(stream, ipc.WithSchema(batches[0].Schema()))
	w.SetFlightDescriptor(&flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: cmd})
	for _, b := range batches {
		if err = w.Write(b); err != nil {
			break
		}
	}
	if err == nil {
		err = w.Close()
	}
	if err == nil {
		err = stream.CloseSend()
	}
	if err != nil {
		// The server ended the call: its status comes with Recv.
		if _, rerr := stream.Recv(); rerr != nil && rerr != io.EOF {
			return nil, rerr
		}
		return nil, status.Errorf(codes.Unavailable, "send hand-off: %v", err)
	}
	res, err := stream.Recv()
	if err != nil {
		if err == io.EOF {
			return nil, status.Error(codes.Unavailable, "storage node closed the call without a result")
		}
		return nil, err
	}
	if err := json.Unmarshal(res.GetAppMetadata(), &f); err != nil {
		return nil, status.Errorf(codes.Internal, "decode the published file: %v", err)
	}
	// Drain to the end of the call so the stream is released.
	for {
		if _, err := stream.Recv(); err != nil {
			break
		}
	}
	return f, nil
}

func (c *Client) conn(addr string) (flight.FlightServiceClient, error) {
	cc, err := c.conns.Get(addr)
	if err != nil {
		return nil, err
	}
	return flight.NewFlightServiceClient(cc), nil
}

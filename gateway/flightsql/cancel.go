package flightsql

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"

	"openwit/internal/pgerror"
)

// Cancelled statement ids are remembered for cancelledTTL (at most
// maxCancelled of them), so a DoGet that starts after its FlightInfo was
// cancelled fails instead of running.
const (
	cancelledTTL = 10 * time.Minute
	maxCancelled = 4096
)

// registry tracks the running DoGet calls of statement tickets by the id
// each ticket carries (one id per GetFlightInfo), so CancelFlightInfo can
// cancel them. It is the only state the server keeps between calls, and
// it is local to one process.
type registry struct {
	mu        sync.Mutex
	running   map[uint64]*calls
	cancelled map[uint64]time.Time // id → when it was cancelled
}

// calls are the running DoGet calls of one statement id (a client may
// redeem a ticket more than once).
type calls struct {
	cancels map[*context.CancelFunc]struct{}
}

func newRegistry() *registry {
	return &registry{running: map[uint64]*calls{}, cancelled: map[uint64]time.Time{}}
}

// newQueryID returns a random, non-zero statement id.
func newQueryID() uint64 {
	var b [8]byte
	for {
		_, _ = rand.Read(b[:])
		if id := binary.LittleEndian.Uint64(b[:]); id != 0 {
			return id
		}
	}
}

// start registers a DoGet of statement id: the returned context is
// cancelled when ctx is, or by cancel(id). done unregisters it; the caller
// calls it once the call's work has stopped. A statement cancelled before
// its DoGet fails with 57014.
func (r *registry) start(ctx context.Context, id uint64) (context.Context, func(), error) {
	if id == 0 {
		return ctx, func() {}, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if at, ok := r.cancelled[id]; ok {
		if time.Since(at) < cancelledTTL {
			return nil, nil, pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
		}
		delete(r.cancelled, id)
	}
	run, cancel := context.WithCancel(ctx)
	key := &cancel
	set := r.running[id]
	if set == nil {
		set = &calls{cancels: map[*context.CancelFunc]struct{}{}}
		r.running[id] = set
	}
	set.cancels[key] = struct{}{}
	return run, func() {
		cancel()
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(set.cancels, key)
		if len(set.cancels) == 0 && r.running[id] == set {
			delete(r.running, id)
		}
	}, nil
}

// cancel cancels the running DoGet calls of id and remembers id as
// cancelled.
func (r *registry) cancel(id uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if set := r.running[id]; set != nil {
		for c := range set.cancels {
			(*c)()
		}
	}
	now := time.Now()
	if len(r.cancelled) >= maxCancelled {
		for k, at := range r.cancelled {
			if now.Sub(at) > cancelledTTL || len(r.cancelled) >= maxCancelled {
				delete(r.cancelled, k)
			}
		}
	}
	r.cancelled[id] = now
}

// runningCalls is the number of registered DoGet calls.
func (r *registry) runningCalls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, set := range r.running {
		n += len(set.cancels)
	}
	return n
}

// CancelFlightInfo cancels a statement query: the running DoGet calls of
// the FlightInfo's ticket end with Canceled (57014), and a DoGet started
// later fails the same way. The result is CANCELLED for a statement
// ticket this server issued; NOT_CANCELLABLE for a FlightInfo without
// endpoints (its statement already ran in GetFlightInfo), for prepared
// statements and for tickets of other kinds. The deprecated CancelQuery
// action reaches this method through BaseServer.
func (s *Server) CancelFlightInfo(_ context.Context, req *flight.CancelFlightInfoRequest) (flight.CancelFlightInfoResult, error) {
	info := req.GetInfo()
	if info == nil {
		return flight.CancelFlightInfoResult{Status: flight.CancelStatusUnspecified}, pgStatus(pgerror.ProtocolViolation, "cancel request without a FlightInfo")
	}
	var ids []uint64
	for _, ep := range info.GetEndpoint() {
		if ep.GetTicket() == nil {
			continue
		}
		t, err := flightsql.GetStatementQueryTicket(ep.GetTicket())
		if err != nil {
			return flight.CancelFlightInfoResult{Status: flight.CancelStatusNotCancellable}, nil // a prepared statement's or metadata
		}
		h, err := decodeHandle(t.GetStatementHandle())
		if err != nil || h.kind != kindQuery || h.id == 0 {
			return flight.CancelFlightInfoResult{Status: flight.CancelStatusNotCancellable}, nil
		}
		ids = append(ids, h.id)
	}
	if len(ids) == 0 {
		return flight.CancelFlightInfoResult{Status: flight.CancelStatusNotCancellable}, nil
	}
	for _, id := range ids {
		s.running.cancel(id)
	}
	return flight.CancelFlightInfoResult{Status: flight.CancelStatusCancelled}, nil
}

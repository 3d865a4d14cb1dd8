package control

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"openwit/internal/retry"
)

// Cluster-wide table steps (docs/design/078-cluster-dml.md).
//
// Flush: before DELETE, UPDATE or TRUNCATE rewrite a table's files, every
// node that may hold acknowledged rows of it not yet published must
// publish them. Such a node (it runs an ingester) keeps a durable key
// ingesters/<node> - no lease: it stays while the node is down, since its
// WAL still holds acknowledged rows that its restart replays - and deletes
// it only after a clean shutdown published everything. A flush request is
// a put of flush/<id> (under a short lease); every such node watches
// flush/, publishes the table's buffers and answers with a put of
// flushed/<id>/<node>. The requester waits for an answer from every node
// listed under ingesters/ (itself excepted: it flushes locally) and fails
// with UnreachableError naming those that did not answer in time.
//
// Table changes: after a schema change (ALTER, RENAME, COMMENT, views) a
// node puts tablechanged/<node> holding the tables' ids; every other node
// watches the prefix and reloads those definitions, so a change reaches
// their caches within about an etcd round trip, not at a restart.

// flushLeaseTTL bounds how long a flush request and its answers stay in
// etcd (seconds): the requester's wait never exceeds it.
const flushLeaseTTL = 60

// flushRequest is the value of flush/<id>.
type flushRequest struct {
	Origin  string `json:"origin"`
	TableID int64  `json:"table_id"`
	Lease   int64  `json:"lease"`
}

// flushAnswer is the value of flushed/<id>/<node>.
type flushAnswer struct {
	Error string `json:"error,omitempty"`
}

// UnreachableError is a cluster flush that some nodes holding acknowledged
// rows did not answer in time (down, cut off, or slower than the wait).
type UnreachableError struct {
	Nodes []string
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("nodes %s did not publish their buffered rows in time", strings.Join(e.Nodes, ", "))
}

// Is makes UnreachableError match ErrUnavailable.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnavailable }

// FlushFailedError is a cluster flush that a node answered with an error
// (its publish failed after its retries).
type FlushFailedError struct {
	Node, Message string
}

func (e *FlushFailedError) Error() string {
	return fmt.Sprintf("node %s could not publish its buffered rows: %s", e.Node, e.Message)
}

// Is makes FlushFailedError match ErrUnavailable.
func (e *FlushFailedError) Is(target error) bool { return target == ErrUnavailable }

// RegisterIngester records that this node may hold rows of tables not yet
// published, so that cluster flushes wait for it. durable (a node whose
// WAL holds acknowledged rows) writes the key without a lease: it stays
// while the node is down, since its restart replays those rows. Otherwise
// (a Kafka consumer: what it did not publish is not acknowledged, and is
// consumed again after a crash) the key lives under a lease kept alive
// while the plane runs, so a dead consumer stops being waited for.
func (p *Plane) RegisterIngester(ctx context.Context, durable bool) error {
	b, _ := json.Marshal(NodeInfo{ID: p.cfg.NodeID, Roles: p.cfg.Roles, Addrs: p.cfg.Addrs, Started: time.Now().UTC()})
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var opts []clientv3.OpOption
	if !durable {
		lease, err := p.cli.Grant(ctx, int64(p.cfg.LeaseTTL/time.Second))
		if err != nil {
			return fmt.Errorf("register ingester: %w", err)
		}
		p.background(func(ctx context.Context) {
			for ctx.Err() == nil {
				ch, err := p.cli.KeepAlive(ctx, lease.ID)
				if err == nil {
					for range ch {
					}
				}
				sleepCtx(ctx, time.Second)
			}
		})
		opts = append(opts, clientv3.WithLease(lease.ID))
	}
	if _, err := p.cli.Put(ctx, p.key("ingesters", p.cfg.NodeID), string(b), opts...); err != nil {
		return fmt.Errorf("register ingester: %w", err)
	}
	return nil
}

// UnregisterIngester removes this node's ingester key: call it only once
// every row it acknowledged is published (a clean shutdown).
func (p *Plane) UnregisterIngester(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := p.cli.Delete(ctx, p.key("ingesters", p.cfg.NodeID)); err != nil {
		return fmt.Errorf("unregister ingester: %w", err)
	}
	return nil
}

// Ingesters returns the ids of the nodes registered as ingesters.
func (p *Plane) Ingesters(ctx context.Context) ([]string, error) {
	prefix := p.key("ingesters") + "/"
	resp, err := p.cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, fmt.Errorf("list ingesters: %w", err)
	}
	ids := make([]string, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		ids = append(ids, strings.TrimPrefix(string(kv.Key), prefix))
	}
	return ids, nil
}

// FlushTable asks every other registered ingester to publish its buffered
// rows of the table and waits, at most wait, until all answered. An
// answer is sent after the publish committed (or failed).
func (p *Plane) FlushTable(ctx context.Context, tableID int64, wait time.Duration) error {
	var nodes []string
	err := retry.Do(ctx, retry.Policy{}, nil, func(ctx context.Context) error {
		ids, err := p.Ingesters(ctx)
		nodes = ids
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	nodes = slices.DeleteFunc(nodes, func(id string) bool { return id == p.cfg.NodeID })
	if len(nodes) == 0 {
		return nil
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, min(wait, flushLeaseTTL*time.Second))
	defer cancel()
	var r [8]byte
	rand.Read(r[:])
	id := hex.EncodeToString(r[:])
	var lease *clientv3.LeaseGrantResponse
	err = retry.Do(ctx, retry.Policy{}, nil, func(ctx context.Context) (err error) {
		lease, err = p.cli.Grant(ctx, flushLeaseTTL)
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: flush request lease: %w", ErrUnavailable, err)
	}
	defer func() {
		// The request and its answers go with the lease.
		rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _ = p.cli.Revoke(rctx, lease.ID)
	}()
	// Watch the answers before asking: a watch from the current revision
	// is in step at once, while one from a past revision waits for etcd's
	// catch-up loop (about 100 ms).
	prefix := p.key("flushed", id) + "/"
	wch := p.cli.Watch(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
	select {
	case resp, ok := <-wch:
		if !ok || resp.Err() != nil || !resp.Created {
			if perr := parent.Err(); perr != nil {
				return perr
			}
			return fmt.Errorf("%w: watch flush answers: %v", ErrUnavailable, resp.Err())
		}
	case <-ctx.Done():
		if perr := parent.Err(); perr != nil {
			return perr
		}
		return fmt.Errorf("%w: watch flush answers: %w", ErrUnavailable, ctx.Err())
	}
	b, _ := json.Marshal(flushRequest{Origin: p.cfg.NodeID, TableID: tableID, Lease: int64(lease.ID)})
	err = retry.Do(ctx, retry.Policy{}, nil, func(ctx context.Context) error {
		_, err := p.cli.Put(ctx, p.key("flush", id), string(b), clientv3.WithLease(lease.ID))
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: flush request: %w", ErrUnavailable, err)
	}
	waiting := map[string]bool{}
	for _, n := range nodes {
		waiting[n] = true
	}
	for resp := range wch {
		if err := resp.Err(); err != nil {
			break
		}
		for _, ev := range resp.Events {
			if ev.Type != clientv3.EventTypePut {
				continue
			}
			node := strings.TrimPrefix(string(ev.Kv.Key), prefix)
			var a flushAnswer
			if err := json.Unmarshal(ev.Kv.Value, &a); err != nil {
				a.Error = "bad answer: " + err.Error()
			}
			if a.Error != "" {
				return &FlushFailedError{Node: node, Message: a.Error}
			}
			delete(waiting, node)
		}
		if len(waiting) == 0 {
			return nil
		}
	}
	if err := parent.Err(); err != nil {
		return err // the statement was canceled
	}
	left := make([]string, 0, len(waiting))
	for n := range waiting {
		left = append(left, n)
	}
	slices.Sort(left)
	return &UnreachableError{Nodes: left}
}

// ServeFlushes answers the other nodes' flush requests with flush (this
// node's Ingester.FlushTable, retried on failure) until the plane closes.
// Requests pending when it starts are answered too.
func (p *Plane) ServeFlushes(flush func(ctx context.Context, tableID int64) error) {
	p.background(func(ctx context.Context) {
		prefix := p.key("flush") + "/"
		for ctx.Err() == nil {
			resp, err := p.cli.Get(ctx, prefix, clientv3.WithPrefix())
			if err == nil {
				for _, kv := range resp.Kvs {
					p.serveFlush(ctx, flush, strings.TrimPrefix(string(kv.Key), prefix), kv.Value)
				}
				wch := p.cli.Watch(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))
				for resp := range wch {
					if err = resp.Err(); err != nil {
						break
					}
					for _, ev := range resp.Events {
						if ev.Type == clientv3.EventTypePut {
							p.serveFlush(ctx, flush, strings.TrimPrefix(string(ev.Kv.Key), prefix), ev.Kv.Value)
						}
					}
				}
			}
			if err != nil && ctx.Err() == nil {
				p.log.Warn("flush requests: watch failed; watching again", "err", err)
			}
			sleepCtx(ctx, 200*time.Millisecond)
		}
	})
}

// serveFlush runs one flush request (in its own goroutine: a slow publish
// of one table does not hold the others).
func (p *Plane) serveFlush(ctx context.Context, flush func(ctx context.Context, tableID int64) error, id string, v []byte) {
	var req flushRequest
	if err := json.Unmarshal(v, &req); err != nil || req.Origin == p.cfg.NodeID {
		return
	}
	go func() {
		fctx, cancel := context.WithTimeout(ctx, flushLeaseTTL*time.Second)
		defer cancel()
		err := retry.Do(fctx, retry.Policy{Attempts: 5}, nil, func(ctx context.Context) error { return flush(ctx, req.TableID) })
		var a flushAnswer
		if err != nil {
			a.Error = err.Error()
			p.log.Warn("flush request failed", "table_id", req.TableID, "origin", req.Origin, "err", err)
		}
		b, _ := json.Marshal(a)
		_ = retry.Do(fctx, retry.Policy{}, nil, func(ctx context.Context) error {
			_, err := p.cli.Put(ctx, p.key("flushed", id, p.cfg.NodeID), string(b), clientv3.WithLease(clientv3.LeaseID(req.Lease)))
			return err
		})
	}()
}

// tableChange is the value of tablechanged/<node>.
type tableChange struct {
	Origin string  `json:"origin"`
	Tables []int64 `json:"tables"`
}

// AnnounceTableChange tells the other nodes that the definitions of the
// tables changed (ALTER, RENAME, COMMENT, views; an empty list: reload
// every definition). Best effort: a node that misses it reloads at its
// next catalog refresh.
func (p *Plane) AnnounceTableChange(ctx context.Context, tableIDs []int64) error {
	b, _ := json.Marshal(tableChange{Origin: p.cfg.NodeID, Tables: tableIDs})
	ctx, cancel := context.WithTimeout(ctx, notifyPutTimeout)
	defer cancel()
	if _, err := p.cli.Put(ctx, p.key("tablechanged", p.cfg.NodeID), string(b)); err != nil {
		return fmt.Errorf("announce table change: %w", err)
	}
	return nil
}

// WatchTableChanges calls changed with the table ids other nodes announce
// (AnnounceTableChange) until the plane closes; after a lost watch it
// calls changed(nil): something may have been missed.
func (p *Plane) WatchTableChanges(changed func(tableIDs []int64)) {
	p.background(func(ctx context.Context) {
		prefix := p.key("tablechanged") + "/"
		self := p.key("tablechanged", p.cfg.NodeID)
		first := true
		for ctx.Err() == nil {
			if !first {
				changed(nil)
			}
			first = false
			wch := p.cli.Watch(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix())
			for resp := range wch {
				if err := resp.Err(); err != nil {
					p.log.Warn("table changes: watch failed; watching again", "err", err)
					break
				}
				for _, ev := range resp.Events {
					if ev.Type != clientv3.EventTypePut || string(ev.Kv.Key) == self {
						continue
					}
					var c tableChange
					if err := json.Unmarshal(ev.Kv.Value, &c); err != nil {
						continue
					}
					changed(c.Tables)
				}
			}
			sleepCtx(ctx, 200*time.Millisecond)
		}
	})
}

// background runs fn until the plane closes.
func (p *Plane) background(fn func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ctx)
	}()
	p.mu.Lock()
	p.closers = append(p.closers, func() { cancel(); <-done })
	p.mu.Unlock()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

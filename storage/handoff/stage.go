package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"openwit/storage"
	"openwit/storage/catalog"
)

// ActionPublishAt is the DoAction type that publishes staged files with a
// Kafka partition's offset delta in one catalog transaction; its body is
// a PublishAtRequest as JSON.
const ActionPublishAt = "publish-at"

// PublishAtVersion is the version of PublishAtRequest this package writes
// and reads.
const PublishAtVersion = 1

// MaxPublishAtSize bounds an encoded PublishAtRequest.
const MaxPublishAtSize = 1 << 20

// PublishAtRequest is the body of ActionPublishAt: the staged files (as
// the stages answered them) and the offset delta they cover.
type PublishAtRequest struct {
	V      int                 `json:"v"`
	Offset catalog.OffsetDelta `json:"offset"`
	Files  []*catalog.File     `json:"files"`
}

// DecodePublishAt parses and checks a PublishAtRequest: every file must be
// a staged Kafka file (ValidStageID) of the delta's partition ending at
// its To offset, under its own object key, with no WAL writer.
func DecodePublishAt(b []byte) (*PublishAtRequest, error) {
	if len(b) == 0 || len(b) > MaxPublishAtSize {
		return nil, fmt.Errorf("publish-at request of %d bytes: want 1 to %d: %w", len(b), MaxPublishAtSize, ErrInvalid)
	}
	var v struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("publish-at request: %v: %w", err, ErrInvalid)
	}
	if v.V != PublishAtVersion {
		return nil, fmt.Errorf("publish-at request version %d, this node reads %d: %w", v.V, PublishAtVersion, ErrVersion)
	}
	var r PublishAtRequest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("publish-at request: %v: %w", err, ErrInvalid)
	}
	d := r.Offset
	for _, f := range r.Files {
		if f == nil {
			return nil, fmt.Errorf("publish-at request: a null file: %w", ErrInvalid)
		}
		part, next, ok := parseStageID(f.ID, f.TableID, f.Shard)
		switch {
		case !ok:
			return nil, fmt.Errorf("publish-at request: file %q is not a Kafka file id of table %d shard %d: %w", f.ID, f.TableID, f.Shard, ErrInvalid)
		case part != d.Partition || next != d.To:
			return nil, fmt.Errorf("publish-at request: file %q does not end partition %d at offset %d: %w", f.ID, d.Partition, d.To, ErrInvalid)
		case f.Path != storage.FileKey(f.TableID, f.Shard, f.ID):
			return nil, fmt.Errorf("publish-at request: file %q: path %q is not its key: %w", f.ID, f.Path, ErrInvalid)
		case f.Index != nil && f.Index.Path != storage.IndexKey(f.Path):
			return nil, fmt.Errorf("publish-at request: file %q: index %q is not its artifact's key: %w", f.ID, f.Index.Path, ErrInvalid)
		case f.Writer != "" || f.MaxLSN != 0:
			return nil, fmt.Errorf("publish-at request: file %q has a WAL writer or lsn: %w", f.ID, ErrInvalid)
		}
	}
	return &r, nil
}

// DoAction runs ActionPublishAt: it publishes the staged files with the
// offset delta (storage.Publisher.PublishAt) and answers with one empty
// Result. A stored offset other than From is Aborted (nothing published;
// the same publish repeated is OK), a staged object that is gone or too
// old FailedPrecondition (stage again), a dropped table NotFound.
func (s *Server) DoAction(a *flight.Action, stream flight.FlightService_DoActionServer) error {
	if a.GetType() != ActionPublishAt {
		return status.Errorf(codes.Unimplemented, "storage: unknown action %q (known: %s)", a.GetType(), ActionPublishAt)
	}
	ctx := stream.Context()
	r, err := DecodePublishAt(a.GetBody())
	if err != nil {
		return statusError(err)
	}
	d := r.Offset
	unlock := s.lock(fmt.Sprintf("offset/%s/%s/%d", d.Source, d.Topic, d.Partition))
	err = s.cfg.Publisher.PublishAt(ctx, r.Files, d)
	unlock()
	if err != nil {
		return statusError(err)
	}
	if s.cfg.Failpoint != nil {
		s.cfg.Failpoint(ctx, "commit-after-publish")
	}
	var rows int64
	for _, f := range r.Files {
		rows += f.Rows
	}
	s.met.commits.Inc()
	s.met.commitRows.Add(float64(rows))
	s.log.Debug("staged files published", "source", d.Source, "topic", d.Topic, "partition", d.Partition,
		"from", d.From, "to", d.To, "files", len(r.Files), "rows", rows)
	return stream.Send(&flight.Result{})
}

// ListActions lists ActionPublishAt.
func (s *Server) ListActions(_ *flight.Empty, stream flight.FlightService_ListActionsServer) error {
	return stream.Send(&flight.ActionType{Type: ActionPublishAt,
		Description: "publish staged Kafka files with their partition's offset delta in one catalog transaction"})
}

// Stage writes batches, the rows of (t, shard), as the file id on the
// storage node owning (t, shard) and returns it unpublished (descriptor
// kind KindStage); PublishAt publishes it. Staging the same id again
// writes the same object, so it is retried and failed over like Publish.
// id must be a Kafka file id of (t, shard) (ValidStageID).
func (c *Client) Stage(ctx context.Context, t *catalog.Table, shard int64, id string, batches []arrow.RecordBatch) (*catalog.File, error) {
	if len(batches) == 0 {
		return nil, fmt.Errorf("stage %s: no rows: %w", id, ErrInvalid)
	}
	d := &Descriptor{V: StageVersion, Kind: KindStage, TableID: t.ID, Table: t.Name, Schema: SchemaID(t), Shard: shard, File: id}
	if !ValidStageID(id, t.ID, shard) {
		return nil, fmt.Errorf("stage %q: not a Kafka file id of table %d shard %d: %w", id, t.ID, shard, ErrInvalid)
	}
	cmd, err := d.Encode()
	if err != nil {
		return nil, err
	}
	var f *catalog.File
	err = c.onNodes(ctx, d.Key(), true, "stage "+id, retryable, func(ctx context.Context, addr string) error {
		var err error
		f, err = c.put(ctx, addr, cmd, batches)
		if err == nil && (f == nil || f.ID != id) {
			err = status.Errorf(codes.Internal, "storage node %s staged %+v, want file %s", addr, f, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	c.staged.Inc()
	return f, nil
}

// commitGrace is how long a publish-at already sent is still waited for
// once the caller's context ended.
const commitGrace = 5 * time.Second

// PublishAt publishes staged files with the offset delta d in one catalog
// transaction on a storage node (ActionPublishAt), retried and failed over
// like Publish: a repeated publish (an answer lost) is a no-op there. It
// returns an error wrapping catalog.ErrConflict when the stored offset is
// not d.From (nothing published), storage.ErrStaleUpload when a staged
// object is gone or too old (stage again), catalog.ErrNotFound when a
// table is gone.
func (c *Client) PublishAt(ctx context.Context, files []*catalog.File, d catalog.OffsetDelta) error {
	body, err := json.Marshal(&PublishAtRequest{V: PublishAtVersion, Offset: d, Files: files})
	if err != nil {
		return err
	}
	what := fmt.Sprintf("publish %d files at %s/%s/%d offsets %d..%d", len(files), d.Source, d.Topic, d.Partition, d.From, d.To)
	key := fmt.Sprintf("o/%s/%s/%d", d.Source, d.Topic, d.Partition)
	return c.onNodes(ctx, key, false, what, retryable, func(ctx context.Context, addr string) (err error) {
		defer func() { c.commits.WithLabelValues(status.Code(err).String()).Inc() }()
		fc, err := c.conn(addr)
		if err != nil {
			return err
		}
		// A publish once sent is waited for up to commitGrace after ctx
		// ends (a node shutting down): abandoned at once, its outcome
		// would be unknown and the rows staged and published again.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.CallTimeout)
		defer cancel()
		defer context.AfterFunc(ctx, func() {
			t := time.NewTimer(commitGrace)
			defer t.Stop()
			select {
			case <-t.C:
				cancel()
			case <-cctx.Done():
			}
		})()
		stream, err := fc.DoAction(cctx, &flight.Action{Type: ActionPublishAt, Body: body})
		if err != nil {
			return err
		}
		for {
			if _, err := stream.Recv(); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
	})
}

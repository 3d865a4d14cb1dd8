package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"openwit/storage"
	"openwit/storage/catalog"
)

// errHalt: a record's new columns could not be added for a reason that
// may pass (catalog or schema lock unavailable); the partition stops at
// the record and reads it again later.
var errHalt = errors.New("kafka: schema change not possible now")

// addColumnsTimeout bounds one column addition (schema lock + catalog).
const addColumnsTimeout = 10 * time.Second

// convert converts one record for ps, first following columns added to
// the topic's table since ps's converter was made and, under PolicyAdd,
// adding the columns of the record's new fields. The schema change is
// committed in the catalog before the record is buffered, so it precedes
// the publish of the record's offset. The caller holds c.mu.
func (c *Consumer) convert(ctx context.Context, ps *partState, raw []byte) (int64, error) {
	if ps.conv.t != ps.info.table {
		if err := c.follow(ps); err != nil {
			return 0, err
		}
	}
	shard, err := ps.conv.convert(raw)
	if !errors.Is(err, errNewColumns) {
		return shard, err
	}
	t, err := c.addColumns(ctx, ps.info, ps.conv.pending)
	if err != nil {
		if errors.Is(err, catalog.ErrExists) || errors.Is(err, catalog.ErrInvalid) {
			return 0, err // this record cannot be held: a dead letter
		}
		c.log.Warn("kafka: adding columns failed; the partition waits", "table", ps.info.table.Name, "topic", ps.tp.topic, "partition", ps.tp.part, "err", err)
		return 0, errHalt
	}
	ps.info.table = t
	if err := c.follow(ps); err != nil {
		return 0, err
	}
	shard, err = ps.conv.convert(raw)
	if errors.Is(err, errNewColumns) { // cannot happen: the columns exist now
		return 0, fmt.Errorf("fields %v did not become columns of %s", ps.conv.pending, t.Name)
	}
	return shard, err
}

// addColumns adds cols to the topic's table under the schema lock, as DDL
// over SQL does, and tells the sink. Columns another node added first are
// kept with their type.
func (c *Consumer) addColumns(ctx context.Context, ti *topicInfo, cols []catalog.Column) (*catalog.Table, error) {
	ctx, cancel := context.WithTimeout(ctx, addColumnsTimeout)
	defer cancel()
	if c.cfg.SchemaLock != nil {
		unlock, err := c.cfg.SchemaLock(ctx)
		if err != nil {
			return nil, fmt.Errorf("schema lock: %w", err)
		}
		defer unlock()
	}
	t, err := c.cfg.Catalog.AddColumns(ctx, ti.table.Name, cols)
	if err != nil {
		return nil, err
	}
	added := len(t.Columns) - len(ti.table.Columns)
	if added > 0 {
		c.m.columnsAdded.WithLabelValues(t.Name).Add(float64(added))
		c.log.Info("kafka: columns added", "table", t.Name, "columns", fmt.Sprint(cols))
	}
	if c.cfg.Sink != nil {
		if err := c.cfg.Sink.AddTable(ctx, t); err != nil {
			c.log.Warn("kafka: tell the ingester about added columns", "table", t.Name, "err", err)
		}
	}
	return t, nil
}

// follow moves ps to the topic's current table definition: the rows built
// so far are finished and widened with NULLs for the added columns, so
// one file of the partition has one schema, and a new converter is made.
func (c *Consumer) follow(ps *partState) error {
	t := ps.info.table
	conv, err := newConverter(t, ps.info.cfg.UnknownFields)
	if err != nil {
		return err
	}
	for k, b := range ps.build {
		if k.table != t.ID {
			continue
		}
		if b.Field(0).Len() > 0 {
			ps.held[k] = append(ps.held[k], b.NewRecordBatch())
		}
		b.Release()
		delete(ps.build, k)
	}
	for k, rs := range ps.held {
		if k.table != t.ID {
			continue
		}
		for i, r := range rs {
			w, err := storage.Widen(c.mem, r, conv.schema)
			if err != nil {
				return err
			}
			r.Release()
			rs[i] = w
		}
	}
	ps.conv = conv
	return nil
}

package kafka

import (
	"context"
	"fmt"
)

// FlushTable publishes, with their offsets, the records of the
// partitions whose topic feeds the table that this consumer holds now,
// and waits for those publishes. DELETE, UPDATE and TRUNCATE on any node
// of the cluster call it (through the etcd flush request,
// docs/design/078-cluster-dml.md) before they rewrite the table, so rows
// consumed before the statement are not left to be published after it.
// A partition whose publish failed makes it return an error.
func (c *Consumer) FlushTable(ctx context.Context, tableID int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	only := map[tp]bool{}
	for k, ps := range c.parts {
		if ps.info != nil && ps.info.table != nil && ps.info.table.ID == tableID {
			only[k] = true
		}
	}
	if len(only) == 0 {
		return nil
	}
	c.publish(ctx, true, only)
	for k := range only {
		if ps := c.parts[k]; ps != nil && ps.count > 0 {
			return fmt.Errorf("kafka partition %s/%d: publish of %d records failed", k.topic, k.part, ps.count)
		}
	}
	return nil
}

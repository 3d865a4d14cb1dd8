package node

import (
	"strings"
	"testing"
)

// TestTxnWriteLimitConfig accepts a transaction block's staging limit up
// to 240 MiB (one WAL record holds the block) and refuses more or less
// than zero.
func TestTxnWriteLimitConfig(t *testing.T) {
	for _, in := range []string{"0", "64MiB", "240MiB"} {
		c := DefaultConfig()
		if err := c.TxnWriteLimit.Set(in); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
	for _, in := range []ByteSize{241 << 20, 1 << 30, -1} {
		c := DefaultConfig()
		c.TxnWriteLimit = in
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--txn-write-limit") {
			t.Errorf("%d: %v, want a --txn-write-limit error", in, err)
		}
	}
}

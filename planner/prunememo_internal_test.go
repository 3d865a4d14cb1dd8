package planner

import (
	"testing"

	"openwit/exec"
	"openwit/storage/catalog"
)

// TestPruneMemoBound: the memo stays within its byte limit, drops the
// least recently used answer first and keeps none too big for it.
func TestPruneMemoBound(t *testing.T) {
	m := newPruneMemo(16 << 10)
	key, ok := pruneKey(exec.Call(exec.OpEq, exec.Col(0), exec.Int(1)), []string{"status"}, false)
	if !ok {
		t.Fatal("no key for status = 1")
	}
	ans := pruneAnswer{rows: []int64{10}, rgs: []exec.RowGroupIndex{{Reason: exec.KeptRowGroup, Count: -1}}}
	var keys []pruneMemoKey
	for i := range 200 {
		k := fileKey(key, &catalog.File{ID: string(rune('a'+i%26)) + string(rune('a'+i/26)), Path: "p", Index: &catalog.IndexArtifact{Path: "ix"}})
		keys = append(keys, k)
		m.put(k, ans)
		if _, ok := m.get(keys[0]); !ok && i < 10 {
			t.Fatalf("answer 0 gone after %d puts", i+1)
		}
		if m.bytes > m.limit {
			t.Fatalf("%d bytes held, limit %d", m.bytes, m.limit)
		}
	}
	if _, ok := m.get(keys[0]); !ok {
		t.Error("the answer read after every put was dropped")
	}
	if _, ok := m.get(keys[1]); ok {
		t.Error("the least recently used answer is still held")
	}
	if _, ok := m.get(keys[199]); !ok {
		t.Error("the last answer is not held")
	}
	big := pruneMemoKey{filter: string(make([]byte, m.limit/8))}
	m.put(big, ans)
	if _, ok := m.get(big); ok {
		t.Error("an answer over 1/16 of the limit was kept")
	}
	if _, ok := pruneKey(nil, nil, false); ok {
		t.Error("a key for no filter")
	}
}

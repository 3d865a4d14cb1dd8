package planner

import (
	"container/list"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"openwit/exec"
	"openwit/storage"
	"openwit/storage/catalog"
)

// defaultPruneMemoBytes bounds an engine's pruneMemo.
const defaultPruneMemoBytes = 16 << 20

// pruneMemo keeps what exec.IndexRowGroups answered for a file's index
// artifact and a fragment's filter, least recently used first out,
// bounded by the candidate bitmaps' size. Data files and their artifacts
// are immutable (a file id names its content, an artifact path its
// bytes), so an answer never goes stale; a rewritten file has a new id.
//
// A repeated text search paid most of its CPU here: like_lock_rows (a
// multi-word LIKE with LIMIT 100) spent about three quarters of a warm
// query's server CPU in the postings of 72 files (the vocabulary scan of
// a suffix piece, decoding the terms' bitmaps, intersecting them), to
// arrive at the same candidate rows every time (design 063).
//
// The answers are shared: callers must not modify a returned slice or
// its Candidates bitmaps.
type pruneMemo struct {
	limit int64

	mu    sync.Mutex
	lru   *list.List // of *pruneEntry, most recent at the front
	byKey map[pruneMemoKey]*list.Element
	bytes int64
	hits  int64 // answers served, for tests
}

// pruneMemoKey names an answer: the file, its artifact and the
// filter's pruneKey.
type pruneMemoKey struct{ file, artifact, filter string }

type pruneEntry struct {
	key  pruneMemoKey
	ans  pruneAnswer
	size int64
}

// pruneAnswer is what the index artifact of a file said for a filter:
// its row groups' row counts (index.Index.RowGroups) and
// exec.IndexRowGroups's answer.
type pruneAnswer struct {
	rows []int64
	rgs  []exec.RowGroupIndex
}

func newPruneMemo(limit int64) *pruneMemo {
	return &pruneMemo{limit: limit, lru: list.New(), byKey: map[pruneMemoKey]*list.Element{}}
}

// pruneKey names a fragment's filter, the columns it reads (the filter's
// column numbers index them) and whether counts are asked for; ok is
// false when the filter cannot be named (then nothing is memoized).
func pruneKey(filter *exec.Expr, cols []string, counts bool) (key string, ok bool) {
	if filter == nil {
		return "", false
	}
	b, err := json.Marshal(filter) // fails on NaN and infinities: not memoized
	if err != nil {
		return "", false
	}
	var sb strings.Builder
	sb.Write(b)
	sb.WriteString(strconv.FormatBool(counts))
	for _, c := range cols {
		sb.WriteByte(0)
		sb.WriteString(strconv.Quote(c))
	}
	return sb.String(), true
}

// fileKey extends a pruneKey with the file and its artifact (the linked
// one, else the one at the file's conventional key, which the indexer
// writes once from the file's immutable content).
func fileKey(key string, f *catalog.File) pruneMemoKey {
	if f.Index != nil {
		return pruneMemoKey{file: f.ID, artifact: f.Index.Path + "\x00" + strconv.FormatInt(f.Index.Version, 10), filter: key}
	}
	return pruneMemoKey{file: f.ID, artifact: storage.IndexKey(f.Path) + "\x00unlinked", filter: key}
}

// get returns the memoized answer for key.
func (m *pruneMemo) get(key pruneMemoKey) (pruneAnswer, bool) {
	if m == nil {
		return pruneAnswer{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.byKey[key]
	if !ok {
		return pruneAnswer{}, false
	}
	m.lru.MoveToFront(el)
	m.hits++
	return el.Value.(*pruneEntry).ans, true
}

// put keeps ans as the answer for key.
func (m *pruneMemo) put(key pruneMemoKey, ans pruneAnswer) {
	if m == nil {
		return
	}
	size := int64(len(key.file)+len(key.artifact)+len(key.filter)) + 64 + 8*int64(len(ans.rows)) + 48*int64(len(ans.rgs))
	for _, r := range ans.rgs {
		if r.Candidates != nil {
			size += int64(r.Candidates.GetSizeInBytes())
		}
	}
	if size > m.limit/16 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byKey[key]; ok {
		return
	}
	m.byKey[key] = m.lru.PushFront(&pruneEntry{key: key, ans: ans, size: size})
	m.bytes += size
	for m.bytes > m.limit {
		el := m.lru.Back()
		e := el.Value.(*pruneEntry)
		m.lru.Remove(el)
		delete(m.byKey, e.key)
		m.bytes -= e.size
	}
}

package pqfile_test

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

func TestScratchHang(t *testing.T) {
	mem := memory.NewGoAllocator()
	cols := typedColumns()
	schema := schemaOf(cols)
	batches := buildBatches(t, mem, schema, cols, 100, 100)
	var seeds [][]byte
	for _, comp := range []pqfile.Compression{pqfile.CompressionZstd, pqfile.CompressionNone} {
		seeds = append(seeds, writeFile(t, schema, batches, pqfile.WriterOptions{Compression: comp, RowGroupRows: 40}))
	}
	start := 0
	if v := os.Getenv("START"); v != "" {
		start, _ = strconv.Atoi(v)
	}
	for i := start; i < 40000; i++ {
		rng := rand.New(rand.NewPCG(uint64(i), 3))
		data := bytes.Clone(seeds[i%2])
		for range 1 + rng.IntN(4) {
			switch rng.IntN(3) {
			case 0:
				data[rng.IntN(len(data))] ^= byte(1 + rng.IntN(255))
			case 1:
				data[rng.IntN(len(data))] = byte(rng.Uint32())
			case 2:
				p := rng.IntN(len(data) - 4)
				copy(data[p:], []byte{0xff, 0xff, 0xff, 0x7f}[:rng.IntN(4)+1])
			}
		}
		t0 := time.Now()
		var ms runtime.MemStats
		defer func() {}()
		done := make(chan struct{})
		go func() { readEverything(t, data); close(done) }()
		select {
		case <-done:
			if i%5000 == 0 {
				runtime.ReadMemStats(&ms)
				t.Logf("case %d heap sys %d MB", i, ms.HeapSys>>20)
			}
			if d := time.Since(t0); d > 300*time.Millisecond {
				runtime.ReadMemStats(&ms)
				t.Logf("case %d took %v, heap sys %d MB, total alloc %d MB", i, d, ms.HeapSys>>20, ms.TotalAlloc>>20)
				os.WriteFile(fmt.Sprintf("/tmp/slow-%d.parquet", i), data, 0o644)
				_ = fmt.Sprint()
			}
		case <-time.After(5 * time.Second):
			os.WriteFile("/tmp/hang2.parquet", data, 0o644)
			buf := make([]byte, 4<<20)
			n := runtime.Stack(buf, true)
			os.WriteFile("/tmp/hang.stack", buf[:n], 0o644)
			t.Fatalf("case %d hangs", i)
		}
	}
}

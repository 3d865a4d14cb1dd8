package pqfile

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// hybrid encodes vals in Parquet's RLE / bit-packed hybrid encoding,
// choosing runs or bit-packed groups at random.
func hybrid(r *rand.Rand, vals []uint32, width int) []byte {
	var b []byte
	for i := 0; i < len(vals); {
		if r.IntN(2) == 0 { // a run
			cnt := 1 + r.IntN(min(40, len(vals)-i))
			v := vals[i]
			for j := i; j < i+cnt; j++ {
				vals[j] = v
			}
			b = binary.AppendUvarint(b, uint64(cnt)<<1)
			for k := range (width + 7) / 8 {
				b = append(b, byte(v>>(8*k)))
			}
			i += cnt
			continue
		}
		groups := 1 + r.IntN(5)
		b = binary.AppendUvarint(b, uint64(groups)<<1|1)
		packed := make([]byte, groups*width)
		for j := 0; j < groups*8; j++ {
			var v uint64
			if i+j < len(vals) {
				v = uint64(vals[i+j])
			}
			for k := range width {
				if v>>k&1 == 1 {
					bitutil.SetBit(packed, j*width+k)
				}
			}
		}
		b = append(b, packed...)
		i += groups * 8
	}
	return b
}

// TestDecodeHybrid: indices of every width and definition levels decode
// to the values encoded, with the largest index reported, at any bit
// offset of the validity bitmap; a level above 1 is corrupt.
func TestDecodeHybrid(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for width := 0; width <= 32; width++ {
		for range 20 {
			n := 1 + r.IntN(300)
			vals := make([]uint32, n)
			for i := range vals {
				if width > 0 {
					vals[i] = uint32(r.Uint64() & (1<<width - 1))
				}
			}
			enc := hybrid(r, vals, width)
			out := make([]int32, n)
			top, err := decodeHybrid(enc, width, out)
			if err != nil {
				t.Fatalf("width %d: %v", width, err)
			}
			var want uint32
			for i, v := range vals {
				want = max(want, v)
				if uint32(out[i]) != v {
					t.Fatalf("width %d: value %d is %d, want %d", width, i, out[i], v)
				}
			}
			if top != want {
				t.Fatalf("width %d: largest %d, want %d", width, top, want)
			}
		}
	}
	for range 200 {
		n := 1 + r.IntN(300)
		lv := make([]uint32, n)
		for i := range lv {
			lv[i] = uint32(r.IntN(2))
		}
		enc := hybrid(r, lv, 1)
		at := r.IntN(20)
		valid := make([]byte, bitutil.BytesForBits(int64(at+n+9)))
		for i := range valid {
			valid[i] = byte(r.Uint32())
		}
		before := append([]byte(nil), valid...)
		present, err := decodeLevels(enc, n, valid, at)
		if err != nil {
			t.Fatal(err)
		}
		set := 0
		for i, v := range lv {
			set += int(v)
			if bitutil.BitIsSet(valid, at+i) != (v == 1) {
				t.Fatalf("level %d at bit %d: got %v, want %d", i, at, bitutil.BitIsSet(valid, at+i), v)
			}
		}
		for i := range 8 * len(valid) {
			if (i < at || i >= at+n) && bitutil.BitIsSet(valid, i) != bitutil.BitIsSet(before, i) {
				t.Fatalf("bit %d outside [%d, %d) changed", i, at, at+n)
			}
		}
		if present != set {
			t.Fatalf("%d present, want %d", present, set)
		}
	}
	bad := binary.AppendUvarint(nil, 4<<1)
	if _, err := decodeLevels(append(bad, 2), 4, make([]byte, 1), 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("level 2: %v, want ErrCorrupt", err)
	}
}

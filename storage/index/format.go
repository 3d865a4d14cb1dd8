package index

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
)

// Version is the artifact format version this binary writes. It reads
// it and version 1 (no postings).
const Version = 2

// magic opens and closes an artifact.
const magic = "OWIX"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Encode returns the artifact bytes of ix (see the package documentation).
func (ix *Index) Encode() []byte {
	b := make([]byte, 0, ix.encodedSize())
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint16(b, Version)
	b = binary.LittleEndian.AppendUint16(b, 0) // flags
	b = binary.AppendUvarint(b, uint64(len(ix.RowGroups)))
	for _, n := range ix.RowGroups {
		b = binary.AppendUvarint(b, uint64(n))
	}
	b = binary.AppendUvarint(b, uint64(len(ix.Columns)))
	for _, c := range ix.Columns {
		b = appendString(b, c.Name)
		b = append(b, byte(c.Kind))
		for _, z := range c.Zones {
			b = appendZone(b, c.Kind, z)
		}
		b = appendFilters(b, c.Blooms)
		b = appendFilters(b, c.Grams)
		b = appendPostings(b, c.Postings)
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return append(b, magic...)
}

// encodedSize is about the length of Encode's result, a little more: the
// artifact is sized once instead of grown by doubling (it is hundreds of
// KiB for an hourly file).
func (ix *Index) encodedSize() int {
	n := 64 + 10*len(ix.RowGroups)
	for _, c := range ix.Columns {
		n += 16 + len(c.Name)
		n += 40 * len(c.Zones) // text bounds are truncated short
		for _, fs := range [2][]*Bloom{c.Blooms, c.Grams} {
			for _, f := range fs {
				n += 10
				if f != nil {
					n += 4 * len(f.blocks)
				}
			}
		}
		for _, p := range c.Postings {
			n += 10
			if p == nil {
				continue
			}
			for i, t := range p.Terms {
				n += 20 + len(t) + len(p.rows[i])
			}
		}
	}
	return n
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

const (
	zoneKnown  = 1 << 0
	zoneMinMax = 1 << 1
)

func appendZone(b []byte, k Kind, z Zone) []byte {
	var flags byte
	if z.Known {
		flags |= zoneKnown
		if z.Min != nil {
			flags |= zoneMinMax
		}
	}
	b = append(b, flags)
	if !z.Known {
		return b
	}
	b = binary.AppendVarint(b, z.Nulls)
	if z.Min == nil {
		return b
	}
	for _, v := range []any{z.Min, z.Max} {
		switch k {
		case KindInt:
			b = binary.AppendVarint(b, v.(int64))
		case KindFloat:
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.(float64)))
		case KindString:
			b = appendString(b, v.(string))
		case KindBool:
			if v.(bool) {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
	}
	return b
}

func appendFilters(b []byte, fs []*Bloom) []byte {
	if fs == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	for _, f := range fs {
		if f == nil {
			b = binary.AppendUvarint(b, 0)
			continue
		}
		b = binary.AppendUvarint(b, f.numBlocks())
		for _, w := range f.blocks {
			b = binary.LittleEndian.AppendUint32(b, w)
		}
	}
	return b
}

// decoder reads an artifact, failing with ErrCorrupt on any inconsistency.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, what)
	}
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint(what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(n uint64, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail(what)
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) byte1(what string) byte {
	p := d.bytes(1, what)
	if p == nil {
		return 0
	}
	return p[0]
}

// count reads a count whose items need at least min bytes each.
func (d *decoder) count(per int, what string) int {
	n := d.uvarint(what)
	if d.err == nil && n > uint64(len(d.b)/max(per, 1)+1) {
		d.fail(what + ": count past the end")
		return 0
	}
	return int(n)
}

// Decode parses an artifact written by Encode. Any damage is ErrCorrupt.
func Decode(b []byte) (*Index, error) {
	const trailer = 4 + len(magic)
	if len(b) < len(magic)+4+trailer || string(b[:len(magic)]) != magic || string(b[len(b)-len(magic):]) != magic {
		return nil, fmt.Errorf("%w: bad magic or size %d", ErrCorrupt, len(b))
	}
	body := b[:len(b)-trailer]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(b)-trailer:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	version := binary.LittleEndian.Uint16(body[len(magic):])
	if version != 1 && version != Version {
		return nil, fmt.Errorf("%w: format version %d, this binary reads 1 and %d", ErrCorrupt, version, Version)
	}
	d := &decoder{b: body[len(magic)+4:]}
	ix := &Index{}
	groups := d.count(1, "row group count")
	ix.RowGroups = make([]int64, groups)
	for g := range ix.RowGroups {
		ix.RowGroups[g] = int64(d.uvarint("row group rows"))
	}
	ncols := d.count(3, "column count")
	for range ncols {
		if d.err != nil {
			break
		}
		c := Column{Name: string(d.bytes(d.uvarint("name length"), "name"))}
		c.Kind = Kind(d.byte1("kind"))
		if c.Kind > KindBool {
			d.fail("kind")
			break
		}
		c.Zones = make([]Zone, groups)
		for g := range c.Zones {
			c.Zones[g] = d.zone(c.Kind)
		}
		c.Blooms = d.filters(groups)
		c.Grams = d.filters(groups)
		if version >= 2 {
			c.Postings = d.postings(groups)
		}
		ix.Columns = append(ix.Columns, c)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, d.err
	}
	return ix, nil
}

func (d *decoder) zone(k Kind) Zone {
	flags := d.byte1("zone flags")
	if flags&zoneKnown == 0 || d.err != nil {
		return Zone{}
	}
	z := Zone{Known: true, Nulls: d.varint("null count")}
	if flags&zoneMinMax == 0 {
		return z
	}
	var vals [2]any
	for i := range vals {
		switch k {
		case KindInt:
			vals[i] = d.varint("int bound")
		case KindFloat:
			p := d.bytes(8, "float bound")
			if p != nil {
				vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(p))
			}
		case KindString:
			vals[i] = string(d.bytes(d.uvarint("string bound length"), "string bound"))
		case KindBool:
			vals[i] = d.byte1("bool bound") != 0
		default:
			d.fail("bounds on a column without a zone kind")
		}
	}
	if d.err != nil {
		return Zone{}
	}
	z.Min, z.Max = vals[0], vals[1]
	return z
}

func (d *decoder) filters(groups int) []*Bloom {
	switch d.byte1("filter flag") {
	case 0:
		return nil
	case 1:
	default:
		d.fail("filter flag")
		return nil
	}
	fs := make([]*Bloom, groups)
	for g := range fs {
		n := d.uvarint("filter blocks")
		if n == 0 || d.err != nil {
			continue
		}
		if n > uint64(len(d.b))/32 {
			d.fail("filter past the end")
			return nil
		}
		p := d.bytes(n*32, "filter words")
		if p == nil {
			return nil
		}
		f := &Bloom{blocks: make([]uint32, n*8)}
		for i := range f.blocks {
			f.blocks[i] = binary.LittleEndian.Uint32(p[i*4:])
		}
		fs[g] = f
	}
	return fs
}

// appendPostings writes a column's postings: 0 (none) | 1, then per row
// group uvarint terms+1 (0: none for the row group), the terms front-coded
// (uvarint bytes shared with the previous term, uvarint suffix length,
// suffix), then each term's row bitmap (uvarint length, roaring bytes).
func appendPostings(b []byte, ps []*Postings) []byte {
	if ps == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	for _, p := range ps {
		if p == nil {
			b = binary.AppendUvarint(b, 0)
			continue
		}
		b = binary.AppendUvarint(b, uint64(len(p.Terms))+1)
		prev := ""
		for _, t := range p.Terms {
			n := 0
			for n < len(t) && n < len(prev) && t[n] == prev[n] {
				n++
			}
			b = binary.AppendUvarint(b, uint64(n))
			b = appendString(b, t[n:])
			prev = t
		}
		for _, r := range p.rows {
			b = binary.AppendUvarint(b, uint64(len(r)))
			b = append(b, r...)
		}
	}
	return b
}

func (d *decoder) postings(groups int) []*Postings {
	switch d.byte1("postings flag") {
	case 0:
		return nil
	case 1:
	default:
		d.fail("postings flag")
		return nil
	}
	ps := make([]*Postings, groups)
	for g := range ps {
		n := d.uvarint("postings terms")
		if n == 0 || d.err != nil {
			continue
		}
		n--
		if n > uint64(len(d.b))/3 {
			d.fail("postings past the end")
			return nil
		}
		p := &Postings{Terms: make([]string, n), rows: make([][]byte, n)}
		prev := ""
		for i := range p.Terms {
			shared := d.uvarint("term prefix")
			if shared > uint64(len(prev)) {
				d.fail("term prefix")
				return nil
			}
			t := prev[:shared] + string(d.bytes(d.uvarint("term length"), "term"))
			if i > 0 && t <= prev {
				d.fail("terms out of order")
				return nil
			}
			p.Terms[i], prev = t, t
		}
		for i := range p.rows {
			p.rows[i] = d.bytes(d.uvarint("bitmap length"), "bitmap")
		}
		if d.err != nil {
			return nil
		}
		ps[g] = p
	}
	return ps
}

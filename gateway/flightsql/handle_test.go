package flightsql

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestHandleRoundTrip(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	for _, h := range []handle{
		{kind: kindQuery, sql: "SELECT 1"},
		{kind: kindQuery, sql: ""},
		{kind: kindQuery, sql: "SELECT 2", id: 0xfeedface_01020304},
		{kind: kindPrepared, sql: "SELECT $1"},
		{kind: kindPrepared, sql: "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", params: [][]any{
			{nil, true, false, int64(-1 << 62), 2.5, "hé", []byte{0, 1, 255}, ts, decimal.RequireFromString("-123.4500")},
			{int64(0), "", []byte{}, 0.0, nil, nil, nil, time.Unix(0, 0).UTC(), decimal.Zero},
		}},
	} {
		b, err := encodeHandle(h)
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != handleVersion || b[1] != byte(h.kind) {
			t.Errorf("header % x", b[:2])
		}
		got, err := decodeHandle(b)
		if err != nil {
			t.Fatalf("decode %q: %v", b, err)
		}
		if describe(got) != describe(normalize(h)) {
			t.Errorf("round trip\n got %#v\nwant %#v", got, h)
		}
	}
}

// describe prints a handle with each value's type (and a decimal's
// exponent), for comparison.
func describe(h handle) string {
	s := fmt.Sprintf("%c %q %d", h.kind, h.sql, h.id)
	for _, row := range h.params {
		s += "\n"
		for _, v := range row {
			if d, ok := v.(decimal.Decimal); ok {
				v = fmt.Sprintf("%se%d", d.Coefficient(), d.Exponent())
			}
			s += fmt.Sprintf("%T(%v) ", v, v)
		}
	}
	return s
}

// normalize turns empty byte slices into the decoder's non-nil form.
func normalize(h handle) handle {
	for _, row := range h.params {
		for i, v := range row {
			if b, ok := v.([]byte); ok && len(b) == 0 {
				row[i] = []byte{}
			}
		}
	}
	return h
}

func TestHandleRejects(t *testing.T) {
	good, _ := encodeHandle(handle{kind: kindPrepared, sql: "SELECT $1", params: [][]any{{int64(1)}}})
	for name, b := range map[string][]byte{
		"empty":          nil,
		"version 2":      append([]byte{2}, good[1:]...),
		"unknown kind":   {handleVersion, 'X', 0},
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(bytes.Clone(good), 0),
		"huge counts":    {handleVersion, 'P', 0, 0xff, 0xff, 0xff, 0x7f, 1},
		"bad tag":        {handleVersion, 'P', 0, 1, 1, 99},
		"bad decimal":    {handleVersion, 'P', 0, 1, 1, tagDecimal, 0, 2, '1', 'x'},
		"huge exponent":  {handleVersion, 'P', 0, 1, 1, tagDecimal, 0xfe, 0xff, 0xff, 0xff, 0x0f, 1, '1'},
	} {
		if _, err := decodeHandle(b); !errors.Is(err, errBadHandle) {
			t.Errorf("%s: %v, want errBadHandle", name, err)
		}
	}
}

func FuzzDecodeHandle(f *testing.F) {
	for _, h := range []handle{
		{kind: kindQuery, sql: "SELECT 1"},
		{kind: kindQuery, sql: "SELECT 1", id: 42},
		{kind: kindPrepared, sql: "SELECT $1, $2", params: [][]any{{int64(7), "x"}, {nil, 1.5}}},
		{kind: kindPrepared, sql: "x", params: [][]any{{time.Unix(1, 0).UTC(), decimal.New(5, -2), []byte("b"), true}}},
	} {
		b, _ := encodeHandle(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeHandle(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same bytes.
		again, err := encodeHandle(h)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", h, err)
		}
		h2, err := decodeHandle(again)
		if err != nil || describe(h2) != describe(h) {
			t.Fatalf("re-decode: %v\n%#v\n%#v", err, h2, h)
		}
	})
}

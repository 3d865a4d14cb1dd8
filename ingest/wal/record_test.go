package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func TestDecodeRecord(t *testing.T) {
	valid := appendRecord(nil, 7, []byte("hello"))
	withLength := func(n uint32) []byte {
		b := bytes.Clone(valid)
		binary.LittleEndian.PutUint32(b[0:4], n)
		return b
	}
	tests := []struct {
		name    string
		buf     []byte
		wantErr error
		lsn     uint64 // and payload, when wantErr is nil
		payload string
	}{
		{"valid", valid, nil, 7, "hello"},
		{"valid with trailing bytes", append(bytes.Clone(valid), 1, 2, 3), nil, 7, "hello"},
		{"empty payload", appendRecord(nil, 1, nil), nil, 1, ""},
		{"empty buffer", nil, io.ErrUnexpectedEOF, 0, ""},
		{"short header", valid[:recordHeaderSize-1], io.ErrUnexpectedEOF, 0, ""},
		{"short payload", valid[:len(valid)-1], io.ErrUnexpectedEOF, 0, ""},
		{"zero filled", make([]byte, 64), ErrCorrupt, 0, ""},
		{"bad checksum", func() []byte { b := bytes.Clone(valid); b[4] ^= 1; return b }(), ErrCorrupt, 0, ""},
		{"bad payload", func() []byte { b := bytes.Clone(valid); b[len(b)-1] ^= 1; return b }(), ErrCorrupt, 0, ""},
		{"bad lsn", func() []byte { b := bytes.Clone(valid); b[8] ^= 1; return b }(), ErrCorrupt, 0, ""},
		{"lsn zero", appendRecord(nil, 0, []byte("x")), ErrCorrupt, 0, ""},
		{"length too large", withLength(DefaultMaxRecordSize + 1), ErrCorrupt, 0, ""},
		{"length max uint32", withLength(^uint32(0)), ErrCorrupt, 0, ""},
		{"length beyond buffer", withLength(100), io.ErrUnexpectedEOF, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lsn, payload, n, err := DecodeRecord(tt.buf)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if lsn != tt.lsn || string(payload) != tt.payload || n != recordHeaderSize+len(tt.payload) {
				t.Fatalf("lsn %d payload %q n %d; want lsn %d payload %q", lsn, payload, n, tt.lsn, tt.payload)
			}
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for _, r := range [][]byte{
		appendRecord(nil, 1, nil),
		appendRecord(nil, 1, []byte("payload")),
		appendRecord(nil, 1<<40, bytes.Repeat([]byte{0xab}, 300)),
		appendRecord(appendRecord(nil, 2, []byte("a")), 3, []byte("b")),
	} {
		f.Add(r)
		f.Add(r[:len(r)-1])
		f.Add(r[:recordHeaderSize/2])
	}
	f.Add(make([]byte, 32))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, buf []byte) {
		lsn, payload, n, err := DecodeRecord(buf)
		if err != nil {
			if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if n != 0 || payload != nil {
				t.Fatalf("error %v with n %d and %d payload bytes", err, n, len(payload))
			}
			return
		}
		if n != recordHeaderSize+len(payload) || n > len(buf) || lsn == 0 {
			t.Fatalf("lsn %d, n %d, payload %d bytes, buffer %d bytes", lsn, n, len(payload), len(buf))
		}
		if enc := appendRecord(nil, lsn, payload); !bytes.Equal(enc, buf[:n]) {
			t.Fatalf("re-encoding differs from the decoded bytes")
		}
		// A strict prefix of a valid record is always incomplete, never valid.
		if _, _, _, err := DecodeRecord(buf[:n-1]); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("prefix of a valid record: %v", err)
		}
	})
}

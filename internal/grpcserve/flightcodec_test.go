package grpcserve

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// frames splits b as gRPC's transport hands a message to a codec: one
// buffer per HTTP/2 DATA frame of at most size bytes.
func frames(b []byte, size int) mem.BufferSlice {
	var s mem.BufferSlice
	for len(b) > 0 {
		n := min(size, len(b))
		s = append(s, mem.SliceBuffer(bytes.Clone(b[:n])))
		b = b[n:]
	}
	return s
}

func randomFlightData(r *rand.Rand) *flight.FlightData {
	fd := &flight.FlightData{}
	if r.IntN(3) == 0 {
		fd.FlightDescriptor = &flight.FlightDescriptor{Type: flight.DescriptorPATH, Path: []string{"logs"}}
	}
	if r.IntN(4) != 0 {
		fd.DataHeader = make([]byte, r.IntN(300))
		for i := range fd.DataHeader {
			fd.DataHeader[i] = byte(r.Uint32())
		}
	}
	if r.IntN(3) == 0 {
		fd.AppMetadata = []byte("meta")
	}
	if r.IntN(4) != 0 {
		fd.DataBody = make([]byte, r.IntN(100_000))
		for i := range fd.DataBody {
			fd.DataBody[i] = byte(r.Uint32())
		}
	}
	return fd
}

// TestFlightCodecMatchesProto: whatever frames a FlightData arrives in,
// FlightCodec decodes what the protobuf codec decodes.
func TestFlightCodecMatchesProto(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		want := randomFlightData(r)
		b, err := proto.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got := &flight.FlightData{DataBody: []byte("stale")} // a reused message is reset
		if err := (FlightCodec{}).Unmarshal(frames(b, 1+r.IntN(20_000)), got); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !proto.Equal(got, want) {
			t.Fatalf("message %d: decoded %v, want %v", i, got, want)
		}
	}
}

// TestFlightCodecAliases: the fields of a plain FlightData alias the
// decoded buffer (the copy FlightCodec exists to save).
func TestFlightCodecAliases(t *testing.T) {
	want := &flight.FlightData{DataHeader: []byte("header"), DataBody: bytes.Repeat([]byte("x"), 1<<20)}
	b, err := proto.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got flight.FlightData
	if !decodeFlightData(b, &got) {
		t.Fatal("a plain FlightData took the protobuf path")
	}
	start, end := uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))+uintptr(len(b))
	for name, f := range map[string][]byte{"header": got.DataHeader, "body": got.DataBody} {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(f)))
		if p < start || p >= end {
			t.Errorf("%s was copied", name)
		}
	}
	if !proto.Equal(&got, want) {
		t.Fatal("decoded message differs")
	}
}

// TestFlightCodecFallsBack: what the fast path does not take (unknown
// fields, a field of another wire type, two descriptors that proto merges,
// malformed bytes) decodes, or fails, as proto.Unmarshal does.
func TestFlightCodecFallsBack(t *testing.T) {
	desc := func(path string) []byte {
		b, _ := proto.Marshal(&flight.FlightDescriptor{Type: flight.DescriptorPATH, Path: []string{path}})
		return b
	}
	cases := map[string][]byte{
		"unknown field": protowire.AppendBytes(protowire.AppendTag(protowire.AppendBytes(protowire.AppendTag(nil, 1000, protowire.BytesType), []byte("body")),
			7, protowire.BytesType), []byte("x")),
		"varint field 2": protowire.AppendVarint(protowire.AppendTag(nil, 2, protowire.VarintType), 5),
		"two descriptors": protowire.AppendBytes(protowire.AppendTag(protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), desc("a")),
			1, protowire.BytesType), desc("b")),
		"truncated body":           protowire.AppendTag(nil, 1000, protowire.BytesType),
		"body longer than message": append(protowire.AppendVarint(protowire.AppendTag(nil, 1000, protowire.BytesType), 100), "short"...),
		"bad descriptor":           protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), []byte{0xff}),
		"field number 0":           {0x02, 0x00},
		"empty":                    {},
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			want := &flight.FlightData{}
			werr := proto.Unmarshal(b, want)
			got := &flight.FlightData{AppMetadata: []byte("stale")}
			gerr := (FlightCodec{}).Unmarshal(frames(b, 3), got)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("error %v, protobuf's %v", gerr, werr)
			}
			if werr == nil && !proto.Equal(got, want) {
				t.Fatalf("decoded %v, protobuf %v", got, want)
			}
		})
	}
}

// TestFlightCodecOtherMessages: messages other than FlightData go to the
// protobuf codec both ways.
func TestFlightCodecOtherMessages(t *testing.T) {
	want := &flight.Ticket{Ticket: []byte("fragment")}
	data, err := (FlightCodec{}).Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got := &flight.Ticket{}
	if err := (FlightCodec{}).Unmarshal(data, got); err != nil || !proto.Equal(got, want) {
		t.Fatalf("round trip: %v, %v", got, err)
	}
	if err := (FlightCodec{}).Unmarshal(data, struct{}{}); err == nil {
		t.Fatal("a non-proto message decoded")
	}
}

// FuzzFlightCodec: for any bytes, FlightCodec fails when proto.Unmarshal
// does and otherwise decodes the same message.
func FuzzFlightCodec(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 8 {
		b, _ := proto.Marshal(randomFlightData(r))
		f.Add(b[:min(len(b), 512)])
	}
	f.Add([]byte{0x0a, 0x00, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		want := &flight.FlightData{}
		werr := proto.Unmarshal(b, want)
		got := &flight.FlightData{}
		gerr := (FlightCodec{}).Unmarshal(frames(b, 7), got)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("error %v, protobuf's %v", gerr, werr)
		}
		if werr == nil && !proto.Equal(got, want) {
			t.Fatalf("decoded %v, protobuf %v", got, want)
		}
	})
}

// BenchmarkFlightDataUnmarshal decodes a 10 MB record batch message that
// arrived in 16 KiB frames, with gRPC's protobuf codec and FlightCodec.
func BenchmarkFlightDataUnmarshal(b *testing.B) {
	fd := &flight.FlightData{DataHeader: make([]byte, 400), DataBody: make([]byte, 10<<20)}
	for i := range fd.DataBody {
		fd.DataBody[i] = byte(i * 7)
	}
	msg, err := proto.Marshal(fd)
	if err != nil {
		b.Fatal(err)
	}
	data := frames(msg, 16<<10)
	for _, c := range []struct {
		name  string
		codec interface {
			Unmarshal(mem.BufferSlice, any) error
		}
	}{{"proto", protoCodec}, {"flight", FlightCodec{}}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				var got flight.FlightData
				if err := c.codec.Unmarshal(data, &got); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

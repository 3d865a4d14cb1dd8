package grpcserve

import (
	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	_ "google.golang.org/grpc/encoding/proto" // registers the codec FlightCodec wraps
)

// FlightCodec is gRPC's protobuf codec with one difference: a received
// FlightData message's data_header, app_metadata and data_body alias one
// copy of the message instead of being copied out of it (docs/design/
// 090-ingest-copies.md).
//
// gRPC hands a codec a message as the list of HTTP/2 frames it arrived in
// (16 KiB each). Its protobuf codec gathers them into a pooled buffer and
// proto.Unmarshal then copies every bytes field out of that buffer, so a
// record batch's body, megabytes, was copied twice before the Arrow IPC
// reader saw it. FlightCodec gathers the frames into a buffer of its own,
// which the message keeps, and slices the fields out of it: one copy. The
// Arrow arrays read from the body alias it, as they aliased proto's copy.
//
// Every other message, and a FlightData that is not the plain encoding of
// its four fields (unknown fields, repeated descriptors, a wrong wire
// type), goes to the protobuf codec, which also reports malformed input
// as it always did. Marshal is the protobuf codec's: the Flight writers
// reuse a message's body buffer once Send returns, while gRPC may still
// be writing it, so a sent body must be copied.
type FlightCodec struct{}

// protoCodec is gRPC's registered protobuf codec.
var protoCodec = encoding.GetCodecV2("proto")

// Name is "proto": the content subtype does not change.
func (FlightCodec) Name() string { return "proto" }

// Marshal is the protobuf codec's Marshal.
func (FlightCodec) Marshal(v any) (mem.BufferSlice, error) { return protoCodec.Marshal(v) }

// Unmarshal decodes a FlightData without copying its bytes fields; any
// other message as the protobuf codec does.
func (FlightCodec) Unmarshal(data mem.BufferSlice, v any) error {
	fd, ok := v.(*flight.FlightData)
	if !ok {
		return protoCodec.Unmarshal(data, v)
	}
	b := data.Materialize() // the one copy; fd's fields alias it
	if decodeFlightData(b, fd) {
		return nil
	}
	return proto.Unmarshal(b, fd)
}

// decodeFlightData decodes b into fd, aliasing b, and reports whether b
// was a plain encoding of FlightData's fields: each known field with its
// wire type, the descriptor at most once, no unknown field. When it
// returns false fd is in an unspecified state and proto.Unmarshal must
// decode b (it resets fd).
func decodeFlightData(b []byte, fd *flight.FlightData) bool {
	var header, meta, body, desc []byte
	descs := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.BytesType {
			return false
		}
		b = b[n:]
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		switch num {
		case 1:
			desc = v
			descs++
		case 2:
			header = v
		case 3:
			meta = v
		case 1000:
			body = v
		default:
			return false
		}
	}
	if descs > 1 { // proto merges repeated messages; leave that to it
		return false
	}
	proto.Reset(fd)
	if descs == 1 {
		fd.FlightDescriptor = new(flight.FlightDescriptor)
		if err := proto.Unmarshal(desc, fd.FlightDescriptor); err != nil {
			return false
		}
	}
	fd.DataHeader, fd.AppMetadata, fd.DataBody = header, meta, body
	return true
}

// ServerOption makes a gRPC server use FlightCodec.
func ServerOption() grpc.ServerOption { return grpc.ForceServerCodecV2(FlightCodec{}) }

// CallOption makes a client's calls use FlightCodec.
func CallOption() grpc.CallOption { return grpc.ForceCodecV2(FlightCodec{}) }

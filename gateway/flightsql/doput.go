package flightsql

import (
	"github.com/apache/arrow-go/v18/arrow/flight"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"openwit/internal/pgerror"
)

// flightService is the Flight service the gRPC server registers: arrow-go's
// Flight SQL dispatcher, plus plain Flight DoPut of Arrow streams into a
// table (a PATH descriptor), which Flight SQL's DoPut does not route.
type flightService struct {
	flight.FlightServer
	s *Server
}

// DoPut sends streams whose descriptor is a PATH to the plain Arrow ingest
// and every other stream (Flight SQL commands in a CMD descriptor) to the
// Flight SQL dispatcher.
func (f *flightService) DoPut(stream flight.FlightService_DoPutServer) error {
	first, err := stream.Recv()
	if err != nil {
		return status.Errorf(codes.InvalidArgument, "ERROR: read the first message of the DoPut stream: %v (SQLSTATE 08P01)", err)
	}
	ps := &peekedStream{FlightService_DoPutServer: stream, first: first}
	if first.GetFlightDescriptor().GetType() == flight.DescriptorPATH {
		return f.s.doPutPath(ps)
	}
	return f.FlightServer.DoPut(ps)
}

// peekedStream replays the message DoPut read to choose a route.
type peekedStream struct {
	flight.FlightService_DoPutServer
	first *flight.FlightData
}

func (p *peekedStream) Recv() (*flight.FlightData, error) {
	if d := p.first; d != nil {
		p.first = nil
		return d, nil
	}
	return p.FlightService_DoPutServer.Recv()
}

// doPutPath appends an Arrow stream to the table its descriptor's path
// names (one element: the table name), through the same path and with the
// same per-batch all-or-nothing rule as CommandStatementIngest. It replies
// with one PutResult whose app metadata is a Flight SQL DoPutUpdateResult
// holding the rows committed (also when the call fails midway).
func (s *Server) doPutPath(stream flight.FlightService_DoPutServer) error {
	ctx := stream.Context()
	rdr, err := flight.NewRecordReader(stream, ipc.WithAllocator(s.mem))
	if err != nil {
		return status.Errorf(codes.InvalidArgument, "ERROR: read the ingest stream's schema: %v (SQLSTATE 08P01)", err)
	}
	defer rdr.Release()
	path := rdr.LatestFlightDescriptor().GetPath()
	if len(path) != 1 || path[0] == "" {
		return pgStatus(pgerror.ProtocolViolation, "a DoPut path names one table; got %q", path)
	}
	t, err := s.lookupIngestTable(ctx, path[0], false)
	if err != nil {
		return err
	}
	n, err := s.ingest(ctx, t, rdr)
	meta, merr := proto.Marshal(&pb.DoPutUpdateResult{RecordCount: n})
	if merr != nil {
		return status.Errorf(codes.Internal, "ERROR: encode the put result: %v (SQLSTATE XX000)", merr)
	}
	if serr := stream.Send(&flight.PutResult{AppMetadata: meta}); err == nil && serr != nil {
		return serr
	}
	return err
}

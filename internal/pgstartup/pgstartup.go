// Package pgstartup reads the PostgreSQL protocol's startup packets
// (SSLRequest, GSSENCRequest, CancelRequest, StartupMessage) as
// PostgreSQL's postmaster does, for the two places that accept PostgreSQL
// connections: the gateway (gateway/pgwire) and the proxy
// (coordinator/proxy), which must refuse the same malformed packets.
package pgstartup

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"openwit/internal/pgerror"
)

// Startup packet codes (the first int32 after the length).
const (
	SSLRequest    = 80877103
	GSSEncRequest = 80877104
	CancelRequest = 80877102
)

// Startup packet size bounds: a code alone, and PostgreSQL's
// MAX_STARTUP_PACKET_LENGTH.
const (
	MinPacket = 8
	MaxPacket = 10000
)

// ErrClosed means the client went away during startup.
var ErrClosed = errors.New("client closed the connection during startup")

// ReadPacket reads one length-prefixed startup packet straight from r (no
// read-ahead: after an SSLRequest every later byte must go through TLS)
// and returns its body (code and payload). A bad length is a FATAL
// *pgerror.Error (08P01); end of input is ErrClosed.
func ReadPacket(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, closed(err)
	}
	n := int64(int32(binary.BigEndian.Uint32(hdr[:])))
	if n < MinPacket || n > MaxPacket {
		return nil, fatal("invalid length of startup packet")
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, closed(err)
	}
	return body, nil
}

func closed(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrClosed
	}
	return err
}

// ParseParams decodes the key/value pairs of a StartupMessage body (after
// the protocol version), checking their layout as PostgreSQL does; a
// malformed one is a FATAL *pgerror.Error (08P01).
func ParseParams(b []byte) (map[string]string, error) {
	params := make(map[string]string)
	if len(b) == 0 || b[len(b)-1] != 0 {
		return nil, fatal("invalid startup packet layout: expected terminator as last byte")
	}
	for {
		i := bytes.IndexByte(b, 0)
		if i == 0 {
			if len(b) != 1 {
				return nil, fatal("invalid startup packet layout: expected terminator as last byte")
			}
			return params, nil
		}
		key := string(b[:i])
		b = b[i+1:]
		j := bytes.IndexByte(b, 0)
		if j < 0 {
			return nil, fatal("invalid startup packet layout: missing value for parameter %q", key)
		}
		params[key] = string(b[:j])
		b = b[j+1:]
		if len(b) == 0 {
			return nil, fatal("invalid startup packet layout: expected terminator as last byte")
		}
	}
}

func fatal(format string, args ...any) *pgerror.Error {
	e := pgerror.New(pgerror.ProtocolViolation, format, args...)
	e.Severity = "FATAL"
	return e
}

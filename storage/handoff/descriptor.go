package handoff

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"openwit/storage/catalog"
)

// Version is the descriptor version this package writes and reads.
const Version = 1

// MaxDescriptorSize bounds an encoded descriptor.
const MaxDescriptorSize = 4 << 10

// Sentinel errors; the server maps them to gRPC codes.
var (
	// ErrInvalid: a malformed descriptor, a schema that does not match the
	// table, an oversized hand-off. Retrying the same hand-off fails again.
	ErrInvalid = errors.New("handoff: invalid hand-off")
	// ErrVersion: a descriptor of a version this binary does not read.
	ErrVersion = errors.New("handoff: unsupported descriptor version")
	// ErrUnavailable: no storage node could take the hand-off (none
	// configured, or all failed after the retries).
	ErrUnavailable = errors.New("handoff: no storage node available")
)

// Descriptor names one hand-off: the buffered rows of one (table, shard)
// of one writer up to MaxLSN. It travels as JSON in the FlightDescriptor
// (type CMD) of the DoPut stream's first message.
type Descriptor struct {
	V       int    `json:"v"`
	Writer  string `json:"writer"`   // ingest node id (its WAL's owner)
	TableID int64  `json:"table_id"` // catalog table id
	Table   string `json:"table"`    // table name, for the lookup and messages
	// Schema is SchemaID of the table as the writer knows it: the storage
	// node refuses rows whose table it knows with other columns.
	Schema string `json:"schema"`
	Shard  int64  `json:"shard"`
	MaxLSN uint64 `json:"max_lsn"`
}

// Key is the rendezvous hashing key of a hand-off: every writer sends a
// given (table, shard) to the same storage node while the node list holds.
func (d *Descriptor) Key() string { return fmt.Sprintf("t%d-s%d", d.TableID, d.Shard) }

// Encode returns the descriptor as JSON.
func (d *Descriptor) Encode() ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxDescriptorSize {
		return nil, fmt.Errorf("descriptor is %d bytes, over %d: %w", len(b), MaxDescriptorSize, ErrInvalid)
	}
	return b, nil
}

// DecodeDescriptor parses and checks an encoded descriptor.
func DecodeDescriptor(b []byte) (*Descriptor, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("no descriptor: %w", ErrInvalid)
	}
	if len(b) > MaxDescriptorSize {
		return nil, fmt.Errorf("descriptor is %d bytes, over %d: %w", len(b), MaxDescriptorSize, ErrInvalid)
	}
	var v struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("descriptor: %v: %w", err, ErrInvalid)
	}
	if v.V != Version {
		return nil, fmt.Errorf("descriptor version %d, this node reads %d: %w", v.V, Version, ErrVersion)
	}
	var d Descriptor
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("descriptor: %v: %w", err, ErrInvalid)
	}
	switch {
	case !validWriter(d.Writer):
		// The writer becomes part of the file id and object key.
		return nil, fmt.Errorf("descriptor: writer %q: want up to 64 letters, digits, '-' or '_': %w", d.Writer, ErrInvalid)
	case d.TableID <= 0 || d.Table == "":
		return nil, fmt.Errorf("descriptor: table %q id %d: %w", d.Table, d.TableID, ErrInvalid)
	case d.Schema == "":
		return nil, fmt.Errorf("descriptor: no schema id: %w", ErrInvalid)
	case d.MaxLSN == 0 || d.MaxLSN > 1<<63-1:
		return nil, fmt.Errorf("descriptor: max lsn %d out of range: %w", d.MaxLSN, ErrInvalid)
	}
	return &d, nil
}

// validWriter reports whether w is a WAL id as ingest writes it (hex) or
// a similar name: it must be safe in an object key. Empty is the writer of
// WALs that predate ids.
func validWriter(w string) bool {
	if len(w) > 64 {
		return false
	}
	for _, c := range w {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// SchemaID identifies a table's columns (names, types, NOT NULL) and time
// column: two nodes agree on the rows' layout when their ids are equal.
func SchemaID(t *catalog.Table) string {
	h := sha256.New()
	fmt.Fprintf(h, "time=%q\n", t.TimeColumn)
	for _, c := range t.Columns {
		fmt.Fprintf(h, "%q %q %t\n", c.Name, c.Type, c.NotNull)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

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

// Version is the version of hand-off descriptors (kind KindHandoff): the
// client writes it so that storage nodes of before version 2 take them.
const Version = 1

// StageVersion is the newest descriptor version this package reads, and
// the one it writes for stages (KindStage): version 2 adds Kind and File.
// A storage node reading only version 1 answers a stage Unimplemented.
const StageVersion = 2

// Descriptor kinds (version 2).
const (
	// KindHandoff publishes the rows as one file (the default).
	KindHandoff = "handoff"
	// KindStage writes and uploads the rows as the file named File and
	// answers with it, unpublished; DoAction ActionPublishAt publishes it
	// later with a Kafka offset (docs/design/027-kafka-through-storage.md).
	KindStage = "stage"
)

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
// of one writer up to MaxLSN; or, of kind KindStage, one file to stage:
// the rows of one (table, shard) under the file id File. It travels as
// JSON in the FlightDescriptor (type CMD) of the DoPut stream's first
// message.
type Descriptor struct {
	V int `json:"v"`
	// Kind is KindHandoff (or empty) or KindStage; version 2 only.
	Kind    string `json:"kind,omitempty"`
	Writer  string `json:"writer"`   // ingest node id (its WAL's owner)
	TableID int64  `json:"table_id"` // catalog table id
	Table   string `json:"table"`    // table name, for the lookup and messages
	// Schema is SchemaID of the table as the writer knows it: the storage
	// node refuses rows whose table it knows with other columns.
	Schema string `json:"schema"`
	Shard  int64  `json:"shard"`
	MaxLSN uint64 `json:"max_lsn"`
	// File is the id of the file to stage (KindStage): a Kafka file id
	// t<table>-s<shard>-k<hash>-p<partition>-o<first>-<next> of this
	// table and shard (ValidStageID).
	File string `json:"file,omitempty"`
}

// Stage reports whether the descriptor stages a file.
func (d *Descriptor) Stage() bool { return d.Kind == KindStage }

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
	if v.V < Version || v.V > StageVersion {
		return nil, fmt.Errorf("descriptor version %d, this node reads %d to %d: %w", v.V, Version, StageVersion, ErrVersion)
	}
	var d Descriptor
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("descriptor: %v: %w", err, ErrInvalid)
	}
	if d.V == Version && (d.Kind != "" || d.File != "") {
		return nil, fmt.Errorf("descriptor: kind and file need version %d: %w", StageVersion, ErrInvalid)
	}
	switch d.Kind {
	case "", KindHandoff:
		if d.File != "" {
			return nil, fmt.Errorf("descriptor: a hand-off names no file: %w", ErrInvalid)
		}
	case KindStage:
		switch {
		case d.TableID <= 0 || d.Table == "":
			return nil, fmt.Errorf("descriptor: table %q id %d: %w", d.Table, d.TableID, ErrInvalid)
		case d.Schema == "":
			return nil, fmt.Errorf("descriptor: no schema id: %w", ErrInvalid)
		case d.Writer != "" || d.MaxLSN != 0:
			return nil, fmt.Errorf("descriptor: a stage has no writer or max lsn: %w", ErrInvalid)
		case !ValidStageID(d.File, d.TableID, d.Shard):
			return nil, fmt.Errorf("descriptor: file %q is not a Kafka file id of table %d shard %d: %w", d.File, d.TableID, d.Shard, ErrInvalid)
		}
		return &d, nil
	default:
		return nil, fmt.Errorf("descriptor: kind %q: want %s or %s: %w", d.Kind, KindHandoff, KindStage, ErrInvalid)
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

// ValidStageID reports whether id is a file id a Kafka consumer writes
// for (tableID, shard): t<table>-s<shard>-k<8 hex digits>-p<partition>-
// o<first offset>-<next offset>, decimal numbers without leading zeros,
// first < next. Such ids are safe in an object key and never name a file
// of the WAL path (t..-s..-w..-l..) or of compaction (t..-s..-c..), so a
// stage cannot overwrite their objects.
func ValidStageID(id string, tableID, shard int64) bool {
	_, _, ok := parseStageID(id, tableID, shard)
	return ok
}

// parseStageID returns the partition and next offset of a Kafka file id of
// (tableID, shard); ok is false when id is not one (ValidStageID).
func parseStageID(id string, tableID, shard int64) (part int32, next int64, ok bool) {
	rest, ok := strings.CutPrefix(id, fmt.Sprintf("t%d-s%d-k", tableID, shard))
	if !ok || len(rest) < 9 || rest[8] != '-' {
		return 0, 0, false
	}
	for _, c := range rest[:8] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return 0, 0, false
		}
	}
	rest, ok = strings.CutPrefix(rest[9:], "p")
	if !ok {
		return 0, 0, false
	}
	ps, rest, ok := strings.Cut(rest, "-o")
	if !ok {
		return 0, 0, false
	}
	fs, ns, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, 0, false
	}
	p, okP := decimal(ps)
	f, okF := decimal(fs)
	n, okN := decimal(ns)
	if !okP || !okF || !okN || p > 1<<31-1 || f >= n {
		return 0, 0, false
	}
	return int32(p), n, true
}

// decimal parses a non-negative decimal number without sign or leading
// zeros.
func decimal(s string) (int64, bool) {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
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

// SchemaID identifies a table's columns (data names, types, NOT NULL) and
// time column: two nodes agree on the rows' layout when their ids are
// equal. A rename changes no data name, so not the id.
func SchemaID(t *catalog.Table) string {
	h := sha256.New()
	fmt.Fprintf(h, "time=%q\n", t.TimeField())
	for _, c := range t.Columns {
		fmt.Fprintf(h, "%q %q %t\n", c.FieldName(), c.Type, c.NotNull)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

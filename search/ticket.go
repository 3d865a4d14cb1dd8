package search

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/exec"
	"openwit/storage/objstore"
)

// Ticket envelope constants; see the package documentation for the layout.
const (
	// TicketMagic starts every fragment ticket.
	TicketMagic = "OWSF"
	// TicketVersion is the envelope version this binary writes and the
	// only one it reads.
	TicketVersion = 1
	// MaxTicketPart bounds the fragment and schema parts of a ticket.
	MaxTicketPart = 16 << 20
	// maxExprDepth bounds the nesting of a fragment's expressions.
	maxExprDepth = 64
)

var (
	// ErrBadTicket reports a ticket that is not a well-formed fragment
	// ticket (gRPC InvalidArgument).
	ErrBadTicket = errors.New("search: bad ticket")
	// ErrTicketVersion reports a well-formed ticket of an envelope or
	// fragment version this binary does not read (gRPC Unimplemented).
	ErrTicketVersion = errors.New("search: unsupported ticket version")
)

func badTicket(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadTicket, fmt.Sprintf(format, args...))
}

// EncodeTicket encodes a fragment whose sources are all files, with its
// table schema, as a ticket.
func EncodeTicket(f *exec.Fragment) ([]byte, error) {
	if f.Schema == nil {
		return nil, errors.New("search: encode ticket: fragment without a schema")
	}
	frag, err := f.Encode()
	if err != nil {
		return nil, err
	}
	sch := flight.SerializeSchema(f.Schema, memory.DefaultAllocator)
	if len(frag) > MaxTicketPart || len(sch) > MaxTicketPart {
		return nil, fmt.Errorf("search: encode ticket: fragment of %d bytes and schema of %d bytes, over the %d byte limit",
			len(frag), len(sch), MaxTicketPart)
	}
	b := make([]byte, 0, len(TicketMagic)+1+4+len(frag)+4+len(sch))
	b = append(b, TicketMagic...)
	b = append(b, TicketVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(len(frag)))
	b = append(b, frag...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(sch)))
	b = append(b, sch...)
	return b, nil
}

// IsTicket reports whether b starts like a fragment ticket (of any
// version).
func IsTicket(b []byte) bool { return bytes.HasPrefix(b, []byte(TicketMagic)) }

// DecodeTicket parses a ticket written by EncodeTicket and checks that the
// fragment is well-formed: every source is a file with a valid object key,
// and every expression and aggregate has the arguments its operator needs
// (so that compiling it cannot fail other than with an error). Errors
// match ErrBadTicket or ErrTicketVersion.
func DecodeTicket(b []byte) (*exec.Fragment, error) {
	if !IsTicket(b) {
		return nil, badTicket("no %q magic", TicketMagic)
	}
	b = b[len(TicketMagic):]
	if len(b) < 1 {
		return nil, badTicket("truncated")
	}
	if v := b[0]; v != TicketVersion {
		return nil, fmt.Errorf("%w: envelope version %d, this binary reads %d", ErrTicketVersion, v, TicketVersion)
	}
	b = b[1:]
	frag, b, err := ticketPart(b, "fragment")
	if err != nil {
		return nil, err
	}
	sch, b, err := ticketPart(b, "schema")
	if err != nil {
		return nil, err
	}
	if len(b) != 0 {
		return nil, badTicket("%d trailing bytes", len(b))
	}
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(frag, &head); err != nil {
		return nil, badTicket("fragment: %v", err)
	}
	if head.Version == nil {
		return nil, badTicket("fragment without a version")
	}
	if *head.Version != exec.FragmentVersion && *head.Version != exec.FragmentVersionOrder {
		return nil, fmt.Errorf("%w: fragment version %d, this binary reads %d and %d", ErrTicketVersion, *head.Version, exec.FragmentVersion, exec.FragmentVersionOrder)
	}
	f, err := exec.DecodeFragment(frag)
	if err != nil {
		return nil, badTicket("%v", err)
	}
	if f.Schema, err = deserializeSchema(sch); err != nil {
		return nil, badTicket("schema: %v", err)
	}
	if err := checkFragment(f); err != nil {
		return nil, badTicket("%v", err)
	}
	return f, nil
}

func ticketPart(b []byte, what string) (part, rest []byte, err error) {
	if len(b) < 4 {
		return nil, nil, badTicket("truncated %s length", what)
	}
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	if n > MaxTicketPart {
		return nil, nil, badTicket("%s of %d bytes, over the %d byte limit", what, n, MaxTicketPart)
	}
	if uint64(len(b)) < uint64(n) {
		return nil, nil, badTicket("truncated %s", what)
	}
	return b[:n], b[n:], nil
}

// deserializeSchema reads an Arrow IPC schema (what
// flight.DeserializeSchema reads) after verifySchemaMessage, with the
// message sizes bounded by the input, so that a corrupt length cannot
// allocate gigabytes; the IPC reader trusts its flatbuffers, so a panic on
// corrupt input is an error here.
func deserializeSchema(b []byte) (s *arrow.Schema, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("corrupt IPC schema: %v", r)
		}
	}()
	if err := verifySchemaMessage(b); err != nil {
		return nil, err
	}
	n := int64(len(b))
	mr := ipc.NewMessageReader(bytes.NewReader(b), ipc.WithMetadataSizeLimit(n), ipc.WithBodySizeLimit(n))
	rdr, err := ipc.NewReaderFromMessageReader(mr, ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, err
	}
	defer rdr.Release()
	return rdr.Schema(), nil
}

// checkFragment checks what exec expects of a fragment's shape.
func checkFragment(f *exec.Fragment) error {
	if len(f.Sources) == 0 {
		return errors.New("fragment without sources")
	}
	for i, s := range f.Sources {
		if s.File == nil {
			return fmt.Errorf("source %d is not a file", i)
		}
		if err := objstore.CheckKey(s.File.Path); err != nil {
			return fmt.Errorf("source %d: %w", i, err)
		}
		for j, g := range s.File.RowGroups {
			if g < 0 || (j > 0 && g <= s.File.RowGroups[j-1]) {
				return fmt.Errorf("source %d: row groups not ascending and non-negative", i)
			}
		}
		for j, c := range s.File.Candidates {
			if c.RowGroup < 0 || (j > 0 && c.RowGroup <= s.File.Candidates[j-1].RowGroup) {
				return fmt.Errorf("source %d: candidate row groups not ascending and non-negative", i)
			}
		}
	}
	if f.Limit < 0 {
		return fmt.Errorf("negative limit %d", f.Limit)
	}
	if f.Filter != nil {
		if err := checkExpr(f.Filter, 0); err != nil {
			return fmt.Errorf("filter: %w", err)
		}
	}
	if a := f.Agg; a != nil {
		for _, k := range a.Keys {
			if err := checkExpr(k, 0); err != nil {
				return fmt.Errorf("group key: %w", err)
			}
		}
		for _, g := range a.Aggs {
			if g.Func == exec.AggCountStar {
				continue
			}
			if g.Arg == nil {
				return fmt.Errorf("%s without an argument", g.Func)
			}
			if err := checkExpr(g.Arg, 0); err != nil {
				return fmt.Errorf("%s: %w", g.Func, err)
			}
		}
	}
	if t := f.TopK; t != nil && len(t.Keys) == 0 {
		return errors.New("top-k without sort keys")
	}
	return nil
}

// arity is the number of arguments of each expression operator (-1: one
// or more).
var arity = map[exec.Op]int{
	exec.OpCol: 0, exec.OpLit: 0,
	exec.OpEq: 2, exec.OpNe: 2, exec.OpLt: 2, exec.OpLe: 2, exec.OpGt: 2, exec.OpGe: 2,
	exec.OpAnd: -1, exec.OpOr: -1,
	exec.OpNot: 1, exec.OpIsNull: 1, exec.OpIsNotNull: 1, exec.OpLike: 1, exec.OpDateTrunc: 1, exec.OpMatch: 1, exec.OpRTrim: 1,
	exec.OpJSONGet: 1, exec.OpJSONHas: 1, exec.OpJSONContains: 1, exec.OpCast: 1,
}

var litKinds = map[exec.LitKind]bool{
	exec.LitNull: true, exec.LitInt: true, exec.LitFloat: true, exec.LitString: true, exec.LitBool: true, exec.LitTimestamp: true,
}

func checkExpr(e *exec.Expr, depth int) error {
	if e == nil {
		return errors.New("missing expression")
	}
	if depth > maxExprDepth {
		return fmt.Errorf("expression nested deeper than %d", maxExprDepth)
	}
	n, ok := arity[e.Op]
	if !ok {
		return fmt.Errorf("unknown operator %q", e.Op)
	}
	switch {
	case n >= 0 && len(e.Args) != n:
		return fmt.Errorf("%s takes %d arguments, not %d", e.Op, n, len(e.Args))
	case n < 0 && len(e.Args) == 0:
		return fmt.Errorf("%s without arguments", e.Op)
	}
	switch e.Op {
	case exec.OpLit:
		if e.Lit == nil || !litKinds[e.Lit.Kind] {
			return errors.New("literal without a known kind")
		}
	case exec.OpCol:
		if e.Col < 0 {
			return fmt.Errorf("column %d", e.Col)
		}
	}
	for _, a := range e.Args {
		if err := checkExpr(a, depth+1); err != nil {
			return err
		}
	}
	return nil
}

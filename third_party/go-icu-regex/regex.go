// Package regex stands in for github.com/dolthub/go-icu-regex, which
// go-mysql-server imports for its MySQL regexp_like, regexp_instr and
// regexp_substr functions. The real package compiles a WebAssembly build of
// ICU when the process starts: about 0.3 s of CPU and 20 MB of memory in
// every openwit process (3 s under the race detector, paid by every server
// a test starts), for functions OpenWit never runs: its planner answers
// those names with PostgreSQL's functions (planner/pgexpr). go.mod replaces
// the module with this package; docs/design/057 says why.
//
// The API is the subset go-mysql-server uses. Every Regex reports that
// MySQL regular expressions are not available.
package regex

import (
	"context"
	"errors"
)

// ErrNotAvailable is what every Regex method returns.
var ErrNotAvailable = errors.New("MySQL (ICU) regular expressions are not available in OpenWit: use PostgreSQL's regular expression functions and operators")

// RegexFlags mirrors the flag type of the replaced package.
type RegexFlags uint32

// The flag values go-mysql-server passes.
const (
	RegexFlags_None             RegexFlags = 0
	RegexFlags_Unix_Lines       RegexFlags = 1
	RegexFlags_Case_Insensitive RegexFlags = 2
	RegexFlags_Multiline        RegexFlags = 8
	RegexFlags_Dot_All          RegexFlags = 32
)

// Regex is the replaced package's regular expression handle.
type Regex interface {
	SetRegexString(ctx context.Context, regexStr string, flags RegexFlags) error
	SetMatchString(ctx context.Context, matchStr string) error
	IndexOf(ctx context.Context, start int, occurrence int, endIndex bool) (int, error)
	Matches(ctx context.Context, start int, occurrence int) (bool, error)
	Replace(ctx context.Context, replacementStr string, position int, occurrence int) (string, error)
	Substring(ctx context.Context, start int, occurrence int) (string, bool, error)
	StringBufferSize() uint32
	Close() error
}

// CreateRegex returns a Regex whose every operation fails with
// ErrNotAvailable.
func CreateRegex(uint32) Regex { return unavailable{} }

// SetRegexLeakHandler accepts the handler and never calls it: nothing here
// holds resources that could leak.
func SetRegexLeakHandler(func()) {}

type unavailable struct{}

func (unavailable) SetRegexString(context.Context, string, RegexFlags) error { return ErrNotAvailable }
func (unavailable) SetMatchString(context.Context, string) error             { return ErrNotAvailable }
func (unavailable) IndexOf(context.Context, int, int, bool) (int, error)     { return 0, ErrNotAvailable }
func (unavailable) Matches(context.Context, int, int) (bool, error)          { return false, ErrNotAvailable }
func (unavailable) Replace(context.Context, string, int, int) (string, error) {
	return "", ErrNotAvailable
}
func (unavailable) Substring(context.Context, int, int) (string, bool, error) {
	return "", false, ErrNotAvailable
}
func (unavailable) StringBufferSize() uint32 { return 0 }
func (unavailable) Close() error             { return nil }

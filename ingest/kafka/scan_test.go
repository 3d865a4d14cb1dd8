package kafka

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// scanSeeds are records for TestScanObjectStrings and FuzzScanStrings: plain,
// escaped, non-ASCII and broken strings in keys and values.
var scanSeeds = []string{
	`{"a":"plain","b":"x"}`,
	`{"a":"","b":"\"q\"","c":"tab\there","d":"\u00e9\u4e2d","e":"\\"}`,
	`{"été":"中文 ok","k":"emoji 😀"}`,
	"{\"a\":\"\xff\"}",
	"{\"a\":\"\xc3\"}",
	"{\"a\":\"ok\xe2\x82\xacok\"}",
	"{\"a\":\"\x1f\"}",
	`{"a":"unterminated`,
	`{"a":"ends in a backslash\`,
	`{"a":"\ud800"}`,
	`{"a":"\x"}`,
	`{"a":1,"b":[1,"x",{"c":"\""}],"d":{"e":null}}`,
	`{"a":"x"} trailing`,
	` { "a" : "spaced" } `,
}

// TestScanObjectStrings checks the scanner's strings against
// encoding/json on the seeds (see checkScan).
func TestScanObjectStrings(t *testing.T) {
	for _, s := range scanSeeds {
		checkScan(t, []byte(s))
	}
}

// FuzzScanStrings compares scanObject with encoding/json:
//
//	go test ./ingest/kafka -run '^$' -fuzz FuzzScanStrings -fuzztime 30s
func FuzzScanStrings(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkScan(t, b) })
}

// checkScan: what the scanner accepts is a valid JSON object whose
// member names and string values are what encoding/json decodes; a valid
// JSON object of valid UTF-8 is accepted.
func checkScan(t *testing.T, b []byte) {
	t.Helper()
	fields, err := scanObject(b, nil)
	trimmed := bytes.TrimSpace(b)
	isObject := json.Valid(b) && len(trimmed) > 0 && trimmed[0] == '{'
	if err != nil {
		if isObject && utf8.Valid(b) {
			t.Fatalf("%q: scanner rejected a valid object: %v", b, err)
		}
		return
	}
	if !isObject {
		t.Fatalf("%q: scanner accepted what encoding/json rejects", b)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	for i := 0; dec.More(); i++ {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if i >= len(fields) {
			t.Fatalf("%q: scanner found %d members, encoding/json more", b, len(fields))
		}
		f := fields[i]
		if string(f.key) != k.(string) {
			t.Fatalf("%q: member %d named %q, encoding/json %q", b, i, f.key, k)
		}
		if f.kind != kindString {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			t.Fatalf("%q: member %q is a string to the scanner: %v", b, k, err)
		}
		if string(f.str) != s && !strings.ContainsRune(s, utf8.RuneError) {
			t.Fatalf("%q: member %q is %q, encoding/json %q", b, k, f.str, s)
		}
	}
}

package planner

import "strings"

// knownFunction reports whether a function of that name exists for a cast
// to regproc or regprocedure (PostgreSQL: 42883 otherwise): one listed in
// pg_proc, or a type's input/output function (array_in, int4out,
// record_recv, ...), which pg_proc does not list but drivers name: pgjdbc
// compares pg_type.typinput with 'array_in'::regproc.
func knownFunction(name string) bool {
	for _, suffix := range []string{"in", "out", "recv", "send"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		base = strings.TrimSuffix(base, "_")
		if _, isType := typeOID(base); isType || base == "array" || base == "record" {
			return true
		}
	}
	for _, p := range procs() {
		if p.name == name {
			return true
		}
	}
	return false
}

package planner

// knownFunction reports whether a function of that name is listed in
// pg_proc, as a name cast to regproc or regprocedure must be (PostgreSQL:
// 42883 otherwise).
func knownFunction(name string) bool {
	for _, p := range procs() {
		if p.name == name {
			return true
		}
	}
	return false
}

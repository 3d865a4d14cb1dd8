package flightsql

// Functions are the function lists GetSqlInfo advertises, for the test
// that runs each of them.
var Functions = map[string][]string{
	"numeric":  numericFunctions,
	"string":   stringFunctions,
	"system":   systemFunctions,
	"datetime": datetimeFunctions,
}

// RunningCalls is the number of DoGet calls CancelFlightInfo can reach.
func (s *Server) RunningCalls() int { return s.running.runningCalls() }

package flightsql

// Functions are the function lists GetSqlInfo advertises, for the test
// that runs each of them.
var Functions = map[string][]string{
	"numeric":  numericFunctions,
	"string":   stringFunctions,
	"system":   systemFunctions,
	"datetime": datetimeFunctions,
}

package pgparse

import "fmt"

func typeString(v any) string { return fmt.Sprintf("%T", v) }

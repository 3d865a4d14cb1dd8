package pgparse

import "fmt"

func typeString(v any) string { return fmt.Sprintf("%T", v) }

func itoa(i int64) string { return fmt.Sprint(i) }

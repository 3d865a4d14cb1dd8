package planner

import (
	"fmt"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgexpr"
	"openwit/storage"
)

// TestFastElemAgreesWithCast checks that every element fastElem reads
// directly gets the value the cast machinery (pgexpr.CastValue) gives it,
// and that what it declines the cast reads or rejects.
func TestFastElemAgreesWithCast(t *testing.T) {
	ctx := sql.NewEmptyContext()
	inputs := []string{"0", "1", "-1", "+7", " 5", "5 ", "007", "32767", "32768", "-32768", "2147483648",
		"9223372036854775807", "9223372036854775808", "1.5", "-0", "1e20", "1E-5", ".5", "5.", "1e400", "1e-400",
		"NaN", "Infinity", "-inf", "0x10", "1_000", "t", "f", "true", "false", "TRUE", "yes", "on", "1.5.5", "", "a b"}
	for _, elem := range []string{storage.TypeText, storage.TypeInt2, storage.TypeInt4, storage.TypeInt8,
		storage.TypeFloat4, storage.TypeFloat8, storage.TypeBool} {
		for _, in := range inputs {
			fast, ok := fastElem(elem, in)
			slow, err := pgexpr.CastValue(ctx, in, types.LongText, elem)
			if !ok {
				continue
			}
			if err != nil {
				t.Errorf("%s %q: fastElem read %v, the cast fails: %v", elem, in, fast, err)
				continue
			}
			if fmt.Sprintf("%T %v", fast, fast) != fmt.Sprintf("%T %v", slow, slow) {
				t.Errorf("%s %q: fastElem %T %v, cast %T %v", elem, in, fast, fast, slow, slow)
			}
		}
	}
}

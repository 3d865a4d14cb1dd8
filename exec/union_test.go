package exec

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// panicOp is an operator whose Next panics.
type panicOp struct{ schema *arrow.Schema }

func (p panicOp) Schema() *arrow.Schema                         { return p.schema }
func (panicOp) Open(context.Context) error                      { return nil }
func (panicOp) Next(context.Context) (arrow.RecordBatch, error) { panic("input bug") }
func (panicOp) Close() error                                    { return nil }

// TestUnionInputPanic: a panic in one of a union's inputs fails the
// union with an error instead of taking the process down.
func TestUnionInputPanic(t *testing.T) {
	schema := schemaOf(field("n", arrow.PrimitiveTypes.Int64))
	u := NewUnion(schema, []Input{func(context.Context) (Operator, error) { return panicOp{schema}, nil }}, 1, 0)
	defer u.Close()
	_, err := tryDrain(t.Context(), u)
	if err == nil || !strings.Contains(err.Error(), "panic: input bug") {
		t.Errorf("got %v, want the input's panic as an error", err)
	}
}

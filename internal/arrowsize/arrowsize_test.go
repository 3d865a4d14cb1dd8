package arrowsize

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestRecordCountsEveryBuffer(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)

	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{1, 2, 3, 4}, nil)
	ints := ib.NewArray()
	defer ints.Release()

	db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	for _, s := range []string{"a", "bb", "a", "ccc"} {
		if err := db.AppendString(s); err != nil {
			t.Fatal(err)
		}
	}
	dict := db.NewArray()
	defer dict.Release()
	db.Release()
	ib.Release()

	schema := arrow.NewSchema([]arrow.Field{{Name: "i", Type: ints.DataType()}, {Name: "d", Type: dict.DataType()}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{ints, dict}, 4)
	defer rec.Release()

	want := Data(ints.Data()) + Data(dict.Data())
	if got := Record(rec); got != want || got <= 0 {
		t.Fatalf("Record = %d, want %d (> 0)", got, want)
	}
	values := dict.(*array.Dictionary).Dictionary()
	if Data(dict.Data()) <= Data(values.Data()) {
		t.Fatalf("a dictionary array's size %d does not exceed its dictionary's %d: indices not counted", Data(dict.Data()), Data(values.Data()))
	}
	if int64(ints.Data().Buffers()[1].Len()) > Data(ints.Data()) {
		t.Fatal("the value buffer is not counted")
	}
}

package pqfile

import (
	"fmt"
	"hash/crc32"

	"github.com/apache/arrow-go/v18/parquet/metadata"
)

const (
	// arrowSchemaKey is the key-value metadata key under which pqarrow
	// stores the serialized Arrow schema.
	arrowSchemaKey = "ARROW:schema"
	// schemaChecksumKey holds the CRC-32C, as 8 hex digits, of the value
	// stored under arrowSchemaKey. The Arrow IPC schema decoder trusts the
	// lengths inside the bytes it decodes, and a damaged schema can make it
	// allocate without bound, which no recover catches. Readers therefore
	// check the checksum before the schema is decoded.
	schemaChecksumKey = "openwit:arrow_schema_crc32c"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func schemaChecksum(stored string) string {
	return fmt.Sprintf("%08x", crc32.Checksum([]byte(stored), castagnoli))
}

// checkStoredSchema verifies the stored Arrow schema of md against its
// checksum before anything decodes it. A file without the checksum (not
// written by this package) has its stored Arrow schema dropped from md, so
// that it is read with the schema derived from the Parquet one.
func checkStoredSchema(md *metadata.FileMetaData) error {
	kv := md.KeyValueMetadata()
	stored := kv.FindValue(arrowSchemaKey)
	if stored == nil {
		return nil
	}
	sum := kv.FindValue(schemaChecksumKey)
	if sum == nil {
		kept := md.FileMetaData.KeyValueMetadata[:0:0]
		for _, e := range md.FileMetaData.KeyValueMetadata {
			if e.Key != arrowSchemaKey {
				kept = append(kept, e)
			}
		}
		md.FileMetaData.KeyValueMetadata = kept
		return nil
	}
	if got := schemaChecksum(*stored); got != *sum {
		return fmt.Errorf("%w: stored Arrow schema checksum %s, want %s", ErrCorrupt, got, *sum)
	}
	return nil
}

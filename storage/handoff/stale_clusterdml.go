package handoff

import "errors"

// ErrStaleSchema is a hand-off refused because the writer's schema id
// (Descriptor.Schema) is not the catalog's: the writer has not yet taken
// a column change made on another node. The writer should reload the
// table's definition and hand the rows off again
// (docs/design/078-cluster-dml.md). It travels as InvalidArgument whose
// message holds staleSchemaText; the client gives it back wrapped
// together with ErrInvalid.
var ErrStaleSchema = errors.New("stale schema")

// staleSchemaText is in the message of every ErrStaleSchema refusal.
const staleSchemaText = "is not the catalog's"

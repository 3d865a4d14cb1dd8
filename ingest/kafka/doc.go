// Package kafka ingests JSON records from Kafka topics (franz-go) into
// OpenWit tables, exactly once in effect, without the write-ahead log:
// Kafka is the log (docs/design/009-kafka-exactly-once.md).
//
// # Consuming
//
// Every process with the ingest role and a Kafka configuration joins one
// consumer group (Config.Group, default "openwit"); Kafka spreads the
// topics' partitions over the members and moves them when members join or
// leave. Each topic maps to one table (Topic.Table, default the topic's
// name), which must exist: the consumer waits for it before joining,
// looking again after 25 ms, then at doubling intervals up to the commit
// interval.
//
// # Records
//
// A record's value is one JSON object. Its members are matched to columns
// by name (exactly, else lowercased). Conversions, by column type:
//
//	text        string as is; numbers and nested values as their JSON text; true/false
//	jsonb       the member's JSON text (a string keeps its quotes)
//	int2/4/8    integer number (or a whole one such as 1e3), or a string of one; range-checked
//	float4/8    number, or a string strconv.ParseFloat accepts (NaN, Inf)
//	bool        true/false, or a string t/true/yes/y/on/1 or f/false/no/n/off/0
//	numeric     number or string, rounded to the scale; overflow is an error
//	bytea       string: \x-prefixed hex, else standard base64
//	uuid, inet, cidr
//	            string in any spelling PostgreSQL accepts, stored in its
//	            canonical output ("A0EE...-0A11" as "a0ee...-0a11")
//	timestamptz, timestamp, date
//	            a string in RFC 3339 (also with a space for T, or without a
//	            zone: UTC), or an epoch number (or a string of digits) whose
//	            unit follows from its magnitude |n|: below 1e11 seconds
//	            (fractions allowed), below 1e14 milliseconds, below 1e17
//	            microseconds, else nanoseconds. timestamptz must lie within
//	            0001-01-01 .. 9999-12-31 UTC (the planner's range, as for
//	            COPY; internal/pgtime).
//
// null and absent members are NULL. A member that is not a column is, by
// Topic.UnknownFields, an error ("reject", the default), dropped
// ("ignore"), or a new column ("add").
//
// # Schema evolution (unknown_fields: add)
//
// A record that is valid but for members the table lacks first adds a
// nullable column for each, then becomes a row like any other
// (docs/design/022-kafka-schema-evolution.md). The column's name is the
// member's, folded to lower case as PostgreSQL folds an unquoted
// identifier (members are then matched exactly, else lowercased, as
// before); its type follows the value:
//
//	string                                   text
//	number written as an integer, fits int8  bigint (int8)
//	any other number (1.5, 1e3, 2.0, huge)   double precision (float8)
//	true/false                               boolean
//	object or array                          jsonb (its JSON text)
//	null                                     no column (wait for a non-null value)
//
// A member whose name is empty, longer than 63 bytes (NAMEDATALEN-1),
// holds NUL, or differs only in case from an existing column that it does
// not match (a column created as "Region" and a member "REGION") cannot
// become a column: the record is a dead letter. So is a record that is
// invalid anyway (it adds nothing), and one whose table already has 1600
// columns. Once a column exists its type is fixed: a later value it cannot
// hold (1.5 for a bigint, "maybe" for a boolean) makes a dead letter, not a
// schema change; the conversions are the table above's (a text column
// takes a number as its JSON text).
//
// The column is added with catalog.AddColumns under Config.SchemaLock (the
// cluster-wide etcd schema lock when a control plane runs, as for DDL over
// SQL); AddColumns runs under the table row's lock and keeps a column
// already present, so two nodes adding one field at once end with ONE
// column, and the one whose type lost converts with the winner's. The
// catalog change commits before the record is buffered, so before its
// offset can be published: a crash after it re-reads the record, finds the
// column, and publishes the row once. The local ingester is told at once
// (Sink.AddTable); other nodes see the column in the catalog views at once
// and in queries after their catalog refresh (a second, PostgreSQL
// catalog). Rows written before read NULL for it. When the catalog or the
// schema lock cannot be reached, the partition stops at the record, seeks
// back to it and tries again a second later; nothing after it is taken.
// openwit_kafka_columns_added_total counts added columns by table.
//
// # Backpressure
//
// Config.BufferLimit (the node's --ingest-buffer-limit) bounds the bytes of
// record values a consumer holds unpublished. A poll takes at most the
// records that fit under it at the average record size; reaching it
// publishes every partition at once. While the buffers stay at the limit
// after a publish (publishes failing: object store or catalog down) or the
// node's ingester is at half its buffer or WAL limit (Config.Pressure,
// ingest.Ingester.Overloaded: INSERT and COPY keep the rest), fetching is
// paused (franz-go PauseFetchTopics); records the client had fetched are
// dropped by the client and fetched again after the resume from the next
// offset not yet taken, so a pause neither loses nor repeats a record. The
// pressure is checked every 100 ms while paused. Metrics:
// openwit_kafka_paused (1 while paused), openwit_kafka_pauses_total{reason}
// (buffer_limit or ingest), openwit_kafka_buffered_bytes. The client's own
// fetch buffer (up to 8 MiB per partition) comes on top of the limit.
//
// # Dead letters
//
// A record that cannot become a row (not one JSON object, a value its
// column cannot hold, a missing or unparseable time column, a NULL in a
// NOT NULL column, an unknown member under "reject", a member that cannot
// become a column under "add") becomes a row of the
// table openwit_errors instead, created on first start:
//
//	ts         timestamptz  the record's Kafka timestamp (clamped to the timestamptz range)
//	topic      text
//	partition  int4
//	offset     int8         (quote it in SQL: "offset")
//	error      text         why
//	raw        text         the record's value, at most 64 KiB, invalid UTF-8 replaced
//
// Dead letters are published with the partition's other files in the same
// catalog transaction, so they are exactly-once too, and a bad record
// never holds a partition up. openwit_kafka_dead_letters_total counts them
// by topic.
//
// # Publishing (exactly once)
//
// Each assigned partition buffers its rows (per table and time shard) and
// dead letters. Every Config.CommitInterval (or at Config.CommitRecords
// buffered records, or when the partition is revoked, or at shutdown, or
// while it catches up on a backlog: below) the buffer becomes Parquet files, uploaded to the object store, and then ONE
// catalog transaction (catalog.PublishFilesAt) inserts the file rows and
// moves the partition's stored offset from the one this consumer started
// from to the offset after its last record, with a compare-and-set. If the
// stored offset moved meanwhile (another member owned the partition and
// published the range), the transaction writes nothing: the buffer is
// dropped and the partition re-seeks to the stored offset. On assignment a
// partition starts at the catalog's offset; Kafka's committed group
// offset (committed after each publish) is only used when the catalog has
// none. File ids name their records, t<table>-s<shard>-k<hash of group and
// topic>-p<partition>-o<first offset>-<next offset>, so two members racing
// for one range upload the same object with the same rows. Objects whose
// publish lost stay unreferenced: orphans, deleted by the garbage job after
// the grace, as with the WAL path.
//
// A partition's publish runs in the background (a flight) while the poll
// loop converts the records after it into fresh builders; the flight's
// files are staged several at once (at most GOMAXPROCS stages across the
// consumer). A partition has at most one flight: its next publish starts
// once the flight is settled, so its offset deltas stay contiguous and in
// order. A flight whose compare-and-set fails drops the records buffered
// after it too (the partition re-seeks); one that fails otherwise puts its
// rows back in front of the buffer (widened if columns were added
// meanwhile), and they are published with the next publish. A revoke, the
// buffer limit and shutdown wait for the flights
// (docs/design/055-kafka-publish-pipeline.md).
//
// A partition catching up on a backlog does not wait for the interval: when
// a fetch shows at least Config.CommitRecords/4 records in Kafka after those
// taken, the partition is behind; a behind partition publishes once it
// holds CommitRecords/4 records (back to back, one flight at a time), and
// once it has taken every record below the last high watermark it
// publishes what it holds at once and is no longer behind
// (docs/design/068-kafka-backlog-publishes.md). Only when a publish starts
// changes; each is the same catalog transaction with its offset delta.
//
// Rows are visible to queries once published: freshness is the commit
// interval. A crash loses only unpublished buffers, which are read from
// Kafka again.
//
// # Through the storage service
//
// Writing the files and the catalog transaction go through
// Config.Publisher: Stage writes one file (one table and shard) and
// uploads it unpublished, PublishAt publishes a partition's staged files
// with its offset delta (catalog.PublishFilesAt semantics: ErrConflict
// when the stored offset moved). Without a Publisher the consumer does
// both itself (Config.Bucket, Config.Catalog) with storage.Publisher's
// Stage: each file's index artifact is built from its batches while the
// file uploads, as on a storage node, unless Config.DeferIndex leaves it
// to the indexer role. A node without the storage
// role (--roles ingest --storage-nodes) passes the storage service's
// client (storage/handoff): the storage node owning each (table, shard)
// encodes and uploads the file and builds its index artifact, and a
// storage node runs the catalog transaction, so the ingest node never
// writes Parquet (docs/design/027-kafka-through-storage.md). A failure
// between the steps leaves staged objects no catalog row names; the
// partition's next publish stages again (the same ids when no record came
// since) and the garbage job deletes the leftovers after the grace.
package kafka

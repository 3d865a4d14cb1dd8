package pgerror

// StringDataRightTruncation is SQLSTATE 22001: a value too long for its
// varchar(n) or char(n) column.
const StringDataRightTruncation = "22001"

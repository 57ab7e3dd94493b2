package engine

import (
	"fmt"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ascetl/etl/schemas"
)

// Arrow and Parquet strings must be valid UTF-8: DuckDB refuses a whole table over one
// invalid string, so every curated query over it would fail. The parsers make their text
// valid where they read it (TSV and CSV lines that are not UTF-8 are read as Windows-1252,
// transform/encoding.go; JSON strings decode invalid bytes to U+FFFD, as encoding/json
// does). checkUTF8 is the net under them for the outputs held in memory: a string that is
// still invalid fails the version, naming the payload key, line and column from the row's
// lineage, instead of being written. A streamed output (a sales report) comes from the TSV
// reader, whose every line is valid UTF-8 by construction, and is not re-read.
func checkUTF8(parsed *Parsed) error {
	for _, out := range parsed.Outputs {
		for _, rec := range out.Records {
			if err := recordUTF8(out.Table, rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordUTF8 checks every string column of rec.
func recordUTF8(t *schemas.Table, rec arrow.RecordBatch) error {
	for c := 0; c < int(rec.NumCols()); c++ {
		bad, val := -1, ""
		switch a := rec.Column(c).(type) {
		case *array.String:
			bad, val = firstInvalid(a.Len(), a.IsNull, a.Value)
		case *array.LargeString:
			bad, val = firstInvalid(a.Len(), a.IsNull, a.Value)
		default:
			continue
		}
		if bad < 0 {
			continue
		}
		return &UTF8Error{Table: t.Name, Key: lineageString(rec, schemas.LineageSourceKey, bad),
			Line: lineageInt(rec, schemas.LineageSourceLine, bad), Column: rec.ColumnName(c), Row: bad, Value: val}
	}
	return nil
}

// firstInvalid checks value by value: a buffer valid as a whole may still hold two invalid
// values whose bytes straddle their boundary.
func firstInvalid(n int, null func(int) bool, value func(int) string) (int, string) {
	for i := 0; i < n; i++ {
		if !null(i) && !utf8.ValidString(value(i)) {
			return i, value(i)
		}
	}
	return -1, ""
}

func lineageString(rec arrow.RecordBatch, name string, row int) string {
	if idx := rec.Schema().FieldIndices(name); len(idx) == 1 {
		if a, ok := rec.Column(idx[0]).(*array.String); ok && a.IsValid(row) {
			return a.Value(row)
		}
	}
	return ""
}

func lineageInt(rec arrow.RecordBatch, name string, row int) int64 {
	if idx := rec.Schema().FieldIndices(name); len(idx) == 1 {
		if a, ok := rec.Column(idx[0]).(*array.Int64); ok && a.IsValid(row) {
			return a.Value(row)
		}
	}
	return 0
}

// UTF8Error is a string that is not valid UTF-8 in a parsed output.
type UTF8Error struct {
	Table  string
	Key    string // the payload the row came from (_source_key), if known
	Line   int64  // its line (_source_line), if known
	Column string
	Row    int // row in the batch, when there is no lineage
	Value  string
}

func (e *UTF8Error) Error() string {
	v := e.Value
	if len(v) > 40 {
		v = v[:40]
	}
	switch {
	case e.Key != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: column %q: not valid UTF-8 %q (table %s)", e.Key, e.Line, e.Column, v, e.Table)
	case e.Key != "":
		return fmt.Sprintf("%s: column %q: not valid UTF-8 %q (table %s)", e.Key, e.Column, v, e.Table)
	}
	return fmt.Sprintf("table %s: row %d: column %q: not valid UTF-8 %q", e.Table, e.Row+1, e.Column, v)
}

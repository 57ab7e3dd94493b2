package transform

// The header line of a report (reader.go): found past a preamble, and recognised again
// when a file repeats it.

import (
	"errors"
	"fmt"
	"io"

	"github.com/ascetl/etl/schemas"
)

// readHeader returns the header line, collecting a FINANCE_DETAIL preamble on the way.
func (r *Reader) readHeader() ([]byte, error) {
	for {
		line, err := r.readLine()
		if err == io.EOF {
			return nil, &ParseError{Key: r.opt.Key, Line: r.line + 1, Err: fmt.Errorf("no header line for table %s", r.t.Name)}
		}
		if err != nil {
			return nil, err
		}
		if blank(line) {
			continue
		}
		if r.t.Layout != schemas.FinanceDetail {
			return line, nil
		}
		fs := splitTabs(r.fields, line)
		r.fields = fs
		for _, f := range fs {
			if schemas.ColumnName(string(f)) == "transaction_date" {
				return line, nil
			}
		}
		if r.line > maxPreambleLines {
			return nil, &ParseError{Key: r.opt.Key, Line: r.line, Err: errors.New("no \"Transaction Date\" header line found")}
		}
		if r.preamble == nil {
			r.preamble = map[string]string{}
		}
		if len(fs) >= 2 {
			r.preamble[string(trimSpaces(fs[0]))] = string(trimSpaces(fs[1]))
		}
	}
}

// isHeader reports whether line repeats the header (compared normalized).
func (r *Reader) isHeader(line []byte) bool {
	fs := splitTabs(r.fields, line)
	r.fields = fs
	for len(fs) > 0 && len(trimSpaces(fs[len(fs)-1])) == 0 {
		fs = fs[:len(fs)-1]
	}
	if len(fs) != len(r.headerNorm) {
		return false
	}
	for i, f := range fs {
		if schemas.ColumnName(string(f)) != r.headerNorm[i] {
			return false
		}
	}
	return true
}

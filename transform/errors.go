package transform

import (
	"errors"
	"fmt"
)

// ParseError is a problem with one line of a report file. Column is the header text of the
// offending cell ("" for problems with the whole row, the header or the input stream).
type ParseError struct {
	Key    string // raw object key (Options.Key)
	Line   int    // 1-based physical line number in the decompressed file
	Column string // header text of the cell, if any
	Value  string // offending value, if any
	Err    error  // what is wrong
}

func (e *ParseError) Error() string {
	switch {
	case e.Column != "":
		return fmt.Sprintf("%s:%d: column %q: %v %q", e.Key, e.Line, e.Column, e.Err, e.Value)
	case e.Value != "":
		return fmt.Sprintf("%s:%d: %v %q", e.Key, e.Line, e.Err, e.Value)
	default:
		return fmt.Sprintf("%s:%d: %v", e.Key, e.Line, e.Err)
	}
}

func (e *ParseError) Unwrap() error { return e.Err }

// Reasons used as ParseError.Err; tests and callers may match them with errors.Is.
var (
	ErrInvalidInt     = errors.New("invalid integer")
	ErrInvalidDecimal = errors.New("invalid decimal")
	ErrTooManyDigits  = errors.New("more decimal places than the scale allows")
	ErrOutOfRange     = errors.New("value out of range")
	ErrInvalidDate    = errors.New("invalid date")
	ErrFooterMismatch = errors.New("footer does not match the rows")
	ErrSummary        = errors.New("summary does not match the rows") // unused since summary differences became Reader.Checks notes
	ErrHeader         = errors.New("bad header")
	ErrRowShape       = errors.New("wrong number of fields")
)

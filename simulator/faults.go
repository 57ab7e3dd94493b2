package simulator

import (
	"bytes"
	"compress/gzip"
	"strings"
)

// Fault is a misbehaviour injected for one unit (see Inject).
type Fault int

const (
	faultNone Fault = iota
	// FaultServerError answers 500 UNEXPECTED_ERROR to every request for the unit.
	FaultServerError
	// FaultTransient answers 500 to the first N requests (default 2), then behaves normally.
	FaultTransient
	// FaultTruncated serves the gzip body cut in half (status 200).
	FaultTruncated
	// FaultBadValue replaces one data cell (the units/quantity cell of the first data row)
	// with an unparseable value such as "12x".
	FaultBadValue
	// FaultExtraColumn appends an unknown column "Surprise Column" to the header and rows.
	FaultExtraColumn
	// FaultRateLimited answers 429 RATE_LIMIT_EXCEEDED to the first N requests (default 1).
	FaultRateLimited
)

func (f Fault) String() string {
	switch f {
	case FaultServerError:
		return "server-error"
	case FaultTransient:
		return "transient"
	case FaultTruncated:
		return "truncated"
	case FaultBadValue:
		return "bad-value"
	case FaultExtraColumn:
		return "extra-column"
	case FaultRateLimited:
		return "rate-limited"
	}
	return "none"
}

// SurpriseColumn is the header FaultExtraColumn appends.
const SurpriseColumn = "Surprise Column"

type faultState struct {
	f    Fault
	left int // for FaultTransient and FaultRateLimited: requests still to fail
}

// Inject arms a fault for the unit with id unitID (report.Unit.ID()), replacing any
// earlier one. FaultTransient fails 2 requests and FaultRateLimited 1; use InjectN to
// choose. Content faults (truncated, bad value, extra column) apply to every 200 answer.
func (s *Server) Inject(unitID string, f Fault) {
	n := 0
	switch f {
	case FaultTransient:
		n = 2
	case FaultRateLimited:
		n = 1
	}
	s.InjectN(unitID, f, n)
}

// InjectN is Inject with the number of failing requests for FaultTransient and
// FaultRateLimited (ignored for the other faults).
func (s *Server) InjectN(unitID string, f Fault, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[unitID] = &faultState{f: f, left: n}
}

// Clear removes all injected faults.
func (s *Server) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string]*faultState{}
}

// consumeFault returns the fault that applies to this request for the unit.
func (s *Server) consumeFault(unitID string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.faults[unitID]
	if st == nil {
		return faultNone
	}
	switch st.f {
	case FaultTransient, FaultRateLimited:
		if st.left <= 0 {
			return faultNone
		}
		st.left--
	}
	return st.f
}

// applyContentFault renders a damaged copy of the report and returns its gzip body.
//
// Decision: FaultBadValue appends "x" to the units cell of the first data row (e.g. "12x");
// FaultExtraColumn adds "Surprise Column" with value "surprise" (finance footers and summaries
// untouched); FaultTruncated serves the first half of the gzip bytes with a matching
// Content-Length.
func applyContentFault(d *doc, f Fault, typ string) []byte {
	switch f {
	case FaultTruncated:
		gz := gzipBytes(d.render())
		return gz[:len(gz)/2]
	case FaultBadValue:
		c := *d
		c.rows = append([][]string(nil), d.rows...)
		r0 := append([]string(nil), c.rows[0]...)
		col := indexOf(c.header, truthSpecs[typ].units)
		if col < 0 {
			col = 0
		}
		r0[col] = strings.TrimSpace(r0[col]) + "x"
		c.rows[0] = r0
		return gzipBytes(c.render())
	case FaultExtraColumn:
		c := *d
		c.header = append(append([]string(nil), d.header...), SurpriseColumn)
		c.rows = make([][]string, len(d.rows))
		for i, r := range d.rows {
			c.rows[i] = append(append([]string(nil), r...), "surprise")
		}
		return gzipBytes(c.render())
	}
	return gzipBytes(d.render())
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// gzipBytes compresses deterministically (no name, no modification time).
func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

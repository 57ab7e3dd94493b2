package simulator

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/ascetl/etl/report"
)

// Truth is what the simulator serves for one unit, for tests to compare loaded data with.
type Truth struct {
	// Rows is the number of data rows (not header, preamble, footer or summary lines).
	Rows int64
	// Units is the sum of the report's units column (see the package doc for the column).
	Units int64
	// Proceeds maps currency to the sum of proceeds in micro-units (scale 6: 1.23 →
	// 1230000); nil when the report type carries no proceeds.
	Proceeds map[string]int64
	// Status is what a request for the unit gets now: 200, 404 or 410, or 400 ("Invalid
	// vendor number.") for a subscription-family day without data (nodata.go).
	Status int
}

// Truth returns the ground truth of a unit as it would be served now (ignoring injected
// faults). version "" means the latest; finance units ignore version.
func (s *Server) Truth(u report.Unit, version string) (Truth, error) {
	if err := u.Validate(); err != nil {
		return Truth{}, fmt.Errorf("truth: %w", err)
	}
	if !s.hasVendor(u.Vendor) {
		return Truth{}, fmt.Errorf("truth: vendor %s is not a simulated vendor (%s)", u.Vendor, strings.Join(s.opt.Vendors, ", "))
	}
	if u.Family == report.Sales {
		c, _ := report.LookupCombo(u.Type, u.SubType, u.Frequency)
		v, ok := s.resolveVersion(c, version)
		if !ok {
			return Truth{}, fmt.Errorf("truth: version %q is not served for %s", version, u.ID())
		}
		version = v
	} else {
		version = ""
	}
	if e := s.availability(u); e != nil {
		return Truth{Status: e.status}, nil
	}
	rep := s.report(u, version)
	if len(rep.doc.rows) == 0 {
		return Truth{Status: noDataError(u).status}, nil
	}
	t := rep.truth
	t.Proceeds = maps.Clone(t.Proceeds)
	t.Status = 200
	return t, nil
}

// truthOf sums a generated report by the columns truthSpecs names.
func truthOf(typ string, d *doc) Truth {
	spec := truthSpecs[typ]
	t := Truth{Rows: int64(len(d.rows))}
	ui := indexOf(d.header, spec.units)
	pi, ci := -1, -1
	if spec.proceeds != "" {
		t.Proceeds = map[string]int64{}
		pi, ci = indexOf(d.header, spec.proceeds), indexOf(d.header, spec.currency)
	}
	for _, r := range d.rows {
		units, err := strconv.ParseInt(strings.TrimSpace(r[ui]), 10, 64)
		if err != nil {
			panic(fmt.Sprintf("simulator: generated %s units %q: %v", typ, r[ui], err))
		}
		t.Units += units
		if pi < 0 {
			continue
		}
		cur := strings.TrimSpace(r[ci])
		if cur == "" {
			continue // zero-proceeds rows may leave the currency blank
		}
		amt, err := parseMicro(r[pi])
		if err != nil {
			panic(fmt.Sprintf("simulator: generated %s proceeds %q: %v", typ, r[pi], err))
		}
		if !spec.extended {
			amt *= units
		}
		t.Proceeds[cur] += amt
	}
	return t
}

// parseMicro parses a plain decimal ("-12.34") into micro-units.
func parseMicro(s string) (int64, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	if ip == "" || len(fp) > 6 {
		return 0, errors.New("not a decimal")
	}
	fp += strings.Repeat("0", 6-len(fp))
	i, err := strconv.ParseUint(ip, 10, 63)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseUint(fp, 10, 63)
	if err != nil {
		return 0, err
	}
	v := int64(i)*1_000_000 + int64(f)
	if neg {
		v = -v
	}
	return v, nil
}

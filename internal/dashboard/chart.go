// Package dashboard draws the marts as one self-contained HTML page: every chart is SVG
// drawn here, in Go, with its data inline; the page has no script and loads nothing (its
// Content-Security-Policy forbids it), so it opens offline from a file or from
// `etl schedule`'s /dashboard. It does not link DuckDB: Load reads the marts through a
// Querier the caller gives (internal/warehouse's DB.PlainRows).
package dashboard

import (
	"math"
	"strconv"
	"strings"
)

// Layout is how a chart lays out its categories.
type Layout int

const (
	// Columns puts the categories along the x axis (days, months, weeks): bars stacked
	// (positive values up, negative down) and lines.
	Columns Layout = iota
	// Rows puts the categories down the left (countries, versions, families): stacked
	// horizontal bars.
	Rows
)

// Mark is how a series is drawn.
type Mark int

const (
	Bar Mark = iota
	Line
)

// Series is one named set of values, one per category of its chart.
type Series struct {
	Name   string
	Values []float64 // NaN: no value for the category
	Mark   Mark      // Line only in the Columns layout
	Right  bool      // a line measured on the right-hand axis
	Color  string    // CSS colour; "" takes the palette's next one
	// Zero draws a zero value as a dot (Rows): "0 days behind" is a value, not a gap.
	Zero bool
}

// Chart is one chart. The zero value of every optional field is a sensible default.
type Chart struct {
	ID         string   // element id stem: lower-case letters, digits and '-'
	Title      string   // heading of the card
	Note       string   // one line under the title
	Layout     Layout   // Columns or Rows
	Categories []string // full names: tooltips and the data table
	Labels     []string // short axis labels (nil: Categories)
	Series     []Series
	Unit       string // of the left (or, for Rows, the bottom) axis: "USD", "units", …
	Decimals   int    // decimals of the values in tooltips and the table
	RightUnit  string
	RightDec   int
	// RightMin..RightMax fixes the right axis (e.g. ratings 1–5) when RightMax > RightMin.
	RightMin, RightMax float64
	// Empty says why there is nothing to draw; set, or found by Render when no value
	// would draw a mark, it is shown instead of the chart.
	Empty string
	Wide  bool // spans the page's two columns
	// RowNotes, for Rows, replace the total printed at the end of each bar.
	RowNotes []string
}

// palette is Tableau 10: distinct hues that stay apart for the common colour blindnesses.
var palette = []string{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// colors returns each series' colour: its own, else the palette in order.
func (c *Chart) colors() []string {
	out := make([]string, len(c.Series))
	n := 0
	for i, s := range c.Series {
		if s.Color != "" {
			out[i] = s.Color
			continue
		}
		out[i] = palette[n%len(palette)]
		n++
	}
	return out
}

// label is the axis label of category i.
func (c *Chart) label(i int) string {
	if i < len(c.Labels) && c.Labels[i] != "" {
		return c.Labels[i]
	}
	return c.Categories[i]
}

// value is series s's value at category i (NaN when it has none).
func (s Series) value(i int) float64 {
	if i < len(s.Values) {
		return s.Values[i]
	}
	return math.NaN()
}

// drawable reports whether the chart has a value that draws a mark: a bar that is not
// zero, or a point of a line.
func (c *Chart) drawable() bool {
	for _, s := range c.Series {
		for i := range c.Categories {
			v := s.value(i)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			if s.Mark == Line && c.Layout == Columns || v != 0 || s.Zero && c.Layout == Rows {
				return true
			}
		}
	}
	return false
}

// scale is a linear axis from lo to hi with "nice" ticks.
type scale struct {
	lo, hi float64
	ticks  []float64
	step   float64
}

// niceScale covers [lo, hi] with about n ticks at 1, 2 or 5 times a power of ten.
func niceScale(lo, hi float64, n int) scale {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		lo, hi = 0, 1
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	if hi == lo {
		if hi == 0 {
			hi = 1
		} else {
			d := math.Abs(hi) * 0.1
			lo, hi = lo-d, hi+d
		}
	}
	step := niceStep((hi - lo) / float64(max(n, 1)))
	s := scale{lo: math.Floor(lo/step) * step, hi: math.Ceil(hi/step) * step, step: step}
	for v := s.lo; v <= s.hi+step/2; v += step {
		s.ticks = append(s.ticks, math.Round(v/step)*step)
	}
	return s
}

func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	switch f := x / p; {
	case f < 1.5:
		return p
	case f < 3:
		return 2 * p
	case f < 7:
		return 5 * p
	default:
		return 10 * p
	}
}

// at maps v to [a, b] (a at lo, b at hi).
func (s scale) at(v, a, b float64) float64 {
	return a + (v-s.lo)/(s.hi-s.lo)*(b-a)
}

// tickText formats a tick: the scale's extent picks one suffix for all ticks.
func (s scale) tickText(v float64) string {
	return compact(v, s.step, math.Max(math.Abs(s.lo), math.Abs(s.hi)))
}

// compact formats v for an axis whose values reach ref: up to 10,000 as a plain number
// with separators, above with a k, M or B suffix; with as many decimals as tell values
// step apart.
func compact(v, step, ref float64) string {
	div, suf := 1.0, ""
	switch {
	case ref >= 1e10:
		div, suf = 1e9, "B"
	case ref >= 1e7:
		div, suf = 1e6, "M"
	case ref >= 1e4:
		div, suf = 1e3, "k"
	}
	if v == 0 {
		return "0"
	}
	dec := 0
	if st := step / div; st > 0 && st < 1 {
		dec = int(math.Ceil(-math.Log10(st) - 1e-9))
	}
	return exact(v/div, min(dec, 6)) + suf
}

// exact formats v with dec decimals and thousands separators: 12,345.67.
func exact(v float64, dec int) string {
	if math.IsNaN(v) {
		return "–"
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', dec, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 && strings.Trim(s, "0.") != "" {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// withUnit is "12,345.67 USD" (the unit left out when empty).
func withUnit(v float64, dec int, unit string) string {
	if unit == "" {
		return exact(v, dec)
	}
	return exact(v, dec) + " " + unit
}

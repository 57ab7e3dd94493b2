package dashboard

import (
	"fmt"
	"math"
	"strings"
)

// Sizes of a chart, in SVG user units (the SVG scales to its card's width).
const (
	chartWidth = 600.0
	wideWidth  = 1240.0
	plotHeight = 210.0
	rowHeight  = 20.0
)

// svg accumulates markup; every string from data goes through esc before it is added.
type svg struct{ strings.Builder }

func (b *svg) f(format string, args ...any) { fmt.Fprintf(b, format, args...) }

// num formats a coordinate: at most one decimal, no trailing zero.
func num(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}

// Render returns the chart as an <svg> element (or its "no data" state) with its title,
// description and, for a chart with data, marks whose <title> is their tooltip. Every
// mark has the class "mark"; the <svg> carries data-marks (how many it drew) and, when
// empty, data-empty (why).
func (c *Chart) Render() string {
	if c.Empty == "" && (len(c.Categories) == 0 || !c.drawable()) {
		c.Empty = "nothing to show: every value is zero or missing"
		if len(c.Categories) == 0 {
			c.Empty = "no rows"
		}
	}
	if c.Empty != "" {
		return c.renderEmpty()
	}
	if c.Layout == Rows {
		return c.renderRows()
	}
	return c.renderColumns()
}

func (c *Chart) width() float64 {
	if c.Wide {
		return wideWidth
	}
	return chartWidth
}

// open writes the <svg> start tag with its accessible title and description.
func (c *Chart) open(b *svg, w, h float64, marks int, class string) {
	id := esc(c.ID)
	b.f(`<svg class="chart %s" id="%s" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="%s-t %s-d" data-marks="%d" preserveAspectRatio="xMinYMin meet">`,
		class, id, num(w), num(h), num(w), num(h), id, id, marks)
	b.f(`<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(c.Title), id, esc(c.describe()))
}

func (c *Chart) renderEmpty() string {
	var b svg
	w := c.width()
	id := esc(c.ID)
	b.f(`<svg class="chart empty" id="%s" viewBox="0 0 %s 150" width="%s" height="150" role="img" aria-labelledby="%s-t" data-marks="0" data-empty="%s" preserveAspectRatio="xMinYMin meet">`,
		id, num(w), num(w), id, esc(c.Empty))
	b.f(`<title id="%s-t">%s: no data (%s)</title>`, id, esc(c.Title), esc(c.Empty))
	b.f(`<rect class="nodata-bg" x="1" y="1" width="%s" height="148" rx="8"/>`, num(w-2))
	// A small empty-axes icon above the words.
	cx := w / 2
	b.f(`<path class="nodata-icon" d="M%s 30 V70 H%s M%s 62 l10 -12 l10 6 l12 -18"/>`, num(cx-22), num(cx+22), num(cx-16))
	b.f(`<text class="nodata" x="%s" y="98" text-anchor="middle">No data</text>`, num(cx))
	b.f(`<text class="nodata-reason" x="%s" y="120" text-anchor="middle">%s</text>`, num(cx), esc(fit(c.Empty, w-40, 12)))
	b.WriteString(`</svg>`)
	return b.String()
}

// describe is the chart's text alternative: what it covers and its largest value.
func (c *Chart) describe() string {
	n := len(c.Categories)
	if n == 0 {
		return "No data."
	}
	names := make([]string, len(c.Series))
	best, bestCat, bestSer := math.Inf(-1), 0, 0
	for i, s := range c.Series {
		names[i] = s.Name
		for j := range c.Categories {
			if v := s.value(j); !math.IsNaN(v) && v > best {
				best, bestCat, bestSer = v, j, i
			}
		}
	}
	d := fmt.Sprintf("%d categories, %s to %s; series: %s.", n, c.Categories[0], c.Categories[n-1], strings.Join(names, ", "))
	if !math.IsInf(best, 0) {
		s := c.Series[bestSer]
		unit, dec := c.Unit, c.Decimals
		if s.Right {
			unit, dec = c.RightUnit, c.RightDec
		}
		d += fmt.Sprintf(" Largest: %s, %s at %s.", withUnit(best, dec, unit), s.Name, c.Categories[bestCat])
	}
	return d
}

// legend draws the series' swatches from (x, y), wrapping at width; it returns its height.
func (c *Chart) legend(b *svg, colors []string, x, y, width float64) float64 {
	if len(c.Series) < 2 && !(len(c.Series) == 1 && c.Series[0].Mark == Line) {
		return 0
	}
	cx, cy := x, y
	b.WriteString(`<g class="legend">`)
	for i, s := range c.Series {
		name := fit(s.Name, 200, fontSize)
		w := 16 + textWidth(name, fontSize) + 14
		if cx > x && cx+w > x+width {
			cx, cy = x, cy+16
		}
		if s.Mark == Line && c.Layout == Columns {
			b.f(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2.5"/>`, num(cx), num(cy+5), num(cx+12), num(cy+5), colors[i])
		} else {
			b.f(`<rect x="%s" y="%s" width="11" height="11" rx="2" fill="%s"/>`, num(cx), num(cy), colors[i])
		}
		b.f(`<text x="%s" y="%s">%s<title>%s</title></text>`, num(cx+16), num(cy+9.5), esc(name), esc(s.Name))
		cx += w
	}
	b.WriteString(`</g>`)
	return cy - y + 16
}

// tooltip is the text of a mark's <title>.
func (c *Chart) tooltip(cat int, s Series, v float64) string {
	unit, dec := c.Unit, c.Decimals
	if s.Right {
		unit, dec = c.RightUnit, c.RightDec
	}
	if len(c.Series) == 1 && s.Name == "" {
		return c.Categories[cat] + ": " + withUnit(v, dec, unit)
	}
	return c.Categories[cat] + " · " + s.Name + ": " + withUnit(v, dec, unit)
}

// stacks returns, per category, the sums of the positive and of the negative bar values.
func (c *Chart) stacks() (pos, neg []float64) {
	pos, neg = make([]float64, len(c.Categories)), make([]float64, len(c.Categories))
	for _, s := range c.Series {
		if s.Mark != Bar && c.Layout == Columns {
			continue
		}
		for i := range c.Categories {
			v := s.value(i)
			switch {
			case math.IsNaN(v) || math.IsInf(v, 0):
			case v > 0:
				pos[i] += v
			default:
				neg[i] += v
			}
		}
	}
	return pos, neg
}

// domain is the range of the values on one axis: stacked bars and (for Columns) lines;
// zero is always inside it.
func (c *Chart) domain(right bool) (lo, hi float64) {
	if !right {
		pos, neg := c.stacks()
		for i := range pos {
			hi, lo = math.Max(hi, pos[i]), math.Min(lo, neg[i])
		}
	}
	for _, s := range c.Series {
		if s.Mark != Line || s.Right != right {
			continue
		}
		for i := range c.Categories {
			if v := s.value(i); !math.IsNaN(v) && !math.IsInf(v, 0) {
				hi, lo = math.Max(hi, v), math.Min(lo, v)
			}
		}
	}
	return lo, hi
}

func (c *Chart) hasRight() bool {
	for _, s := range c.Series {
		if s.Right && s.Mark == Line {
			return true
		}
	}
	return false
}

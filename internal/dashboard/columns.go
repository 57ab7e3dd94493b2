package dashboard

import (
	"math"
	"strings"
)

// renderColumns draws categories along x: stacked bars (negative values below zero) and
// lines, the lines marked Right on their own axis.
func (c *Chart) renderColumns() string {
	w := c.width()
	colors := c.colors()
	var body svg
	lh := c.legend(&body, colors, 12, 6, w-24)
	right := c.hasRight()
	left, rightM, top := 58.0, 18.0, lh+30
	if right {
		rightM = 50
	}
	pw, ph := w-left-rightM, plotHeight
	bottom := top + ph
	h := bottom + 30
	lo, hi := c.domain(false)
	ys := niceScale(lo, hi, 5)
	var rs scale
	if right {
		if c.RightMax > c.RightMin {
			rs = niceScale(c.RightMin, c.RightMax, 4)
		} else {
			rlo, rhi := c.domain(true)
			rs = niceScale(rlo, rhi, 5)
		}
	}
	// Grid, ticks and axis units.
	body.WriteString(`<g class="grid">`)
	for _, t := range ys.ticks {
		y := ys.at(t, bottom, top)
		cls := "gridline"
		if t == 0 {
			cls = "zeroline"
		}
		body.f(`<line class="%s" x1="%s" x2="%s" y1="%s" y2="%s"/>`, cls, num(left), num(left+pw), num(y), num(y))
		body.f(`<text class="tick" x="%s" y="%s" text-anchor="end">%s</text>`, num(left-6), num(y+3.5), esc(ys.tickText(t)))
	}
	for _, t := range rs.ticks {
		y := rs.at(t, bottom, top)
		body.f(`<text class="tick" x="%s" y="%s">%s</text>`, num(left+pw+6), num(y+3.5), esc(rs.tickText(t)))
	}
	if c.Unit != "" {
		body.f(`<text class="unit" x="%s" y="%s" text-anchor="end">%s</text>`, num(left-6), num(top-13), esc(c.Unit))
	}
	if right && c.RightUnit != "" {
		body.f(`<text class="unit" x="%s" y="%s">%s</text>`, num(left+pw+6), num(top-13), esc(fit(c.RightUnit, rightM-8, 10)))
	}
	body.WriteString(`</g>`)
	n := len(c.Categories)
	band := pw / float64(n)
	c.xLabels(&body, left, bottom, band)
	marks := c.columnBars(&body, colors, left, band, ys, top, bottom)
	for i, s := range c.Series {
		if s.Mark != Line {
			continue
		}
		sc := ys
		if s.Right {
			sc = rs
		}
		marks += c.line(&body, s, colors[i], left, band, sc, top, bottom)
	}
	var b svg
	c.open(&b, w, h, marks, "columns")
	b.WriteString(body.String())
	b.WriteString(`</svg>`)
	return b.String()
}

// xLabels writes as many category labels as fit, evenly spaced, with small ticks.
func (c *Chart) xLabels(b *svg, left, bottom, band float64) {
	n := len(c.Categories)
	widest := 0.0
	for i := range n {
		widest = math.Max(widest, textWidth(c.label(i), fontSize))
	}
	every := int(math.Ceil((widest + 12) / band))
	every = max(every, 1)
	b.WriteString(`<g class="xaxis">`)
	for i := 0; i < n; i += every {
		x := left + (float64(i)+0.5)*band
		b.f(`<line class="xtick" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(x), num(x), num(bottom), num(bottom+4))
		b.f(`<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`, num(x), num(bottom+16), esc(fit(c.label(i), band*float64(every)-4, fontSize)))
	}
	b.WriteString(`</g>`)
}

// columnBars draws the bar series stacked per category; it returns the marks drawn.
func (c *Chart) columnBars(b *svg, colors []string, left, band float64, ys scale, top, bottom float64) int {
	bw := band * 0.78
	if band < 4 {
		bw = band
	}
	bw = math.Min(math.Max(bw, 0.8), 64)
	marks := 0
	b.WriteString(`<g class="bars">`)
	for i := range c.Categories {
		x := left + float64(i)*band + (band-bw)/2
		up, down := 0.0, 0.0
		for si, s := range c.Series {
			v := s.value(i)
			if s.Mark != Bar || math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
				continue
			}
			var from, to float64
			if v > 0 {
				from, to = up, up+v
				up = to
			} else {
				from, to = down, down+v
				down = to
			}
			y0, y1 := ys.at(from, bottom, top), ys.at(to, bottom, top)
			y, hgt := math.Min(y0, y1), math.Max(math.Abs(y1-y0), 0.6)
			b.f(`<rect class="mark" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
				num(x), num(y), num(bw), num(hgt), colors[si], esc(c.tooltip(i, s, v)))
			marks++
		}
	}
	b.WriteString(`</g>`)
	return marks
}

// line draws one line series, broken where a value is missing, with a dot per point
// carrying its tooltip (visible when points are few); it returns the marks drawn.
func (c *Chart) line(b *svg, s Series, color string, left, band float64, sc scale, top, bottom float64) int {
	var d strings.Builder
	pen := false
	var dots svg
	points := 0
	visible := len(c.Categories) <= 60
	for i := range c.Categories {
		v := s.value(i)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			pen = false
			continue
		}
		x, y := left+(float64(i)+0.5)*band, sc.at(v, bottom, top)
		if pen {
			d.WriteString(" L" + num(x) + " " + num(y))
		} else {
			d.WriteString(" M" + num(x) + " " + num(y))
			pen = true
		}
		r, op := "2.5", "1"
		if !visible {
			r, op = "3", "0"
		}
		dots.f(`<circle class="mark dot" cx="%s" cy="%s" r="%s" fill="%s" fill-opacity="%s"><title>%s</title></circle>`,
			num(x), num(y), r, color, op, esc(c.tooltip(i, s, v)))
		points++
	}
	if points == 0 {
		return 0
	}
	b.f(`<g class="line"><path class="mark" d="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"><title>%s</title></path>%s</g>`,
		strings.TrimSpace(d.String()), color, esc(s.Name), dots.String())
	return points + 1
}

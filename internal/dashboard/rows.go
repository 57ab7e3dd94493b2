package dashboard

import (
	"math"
)

// renderRows draws one horizontal stacked bar per category, its label on the left and its
// total at its end.
func (c *Chart) renderRows() string {
	w := c.width()
	colors := c.colors()
	var body svg
	lh := c.legend(&body, colors, 12, 6, w-24)
	labelW := 0.0
	for i := range c.Categories {
		labelW = math.Max(labelW, textWidth(c.label(i), fontSize))
	}
	labelW = math.Min(labelW*1.08+16, w*0.38) // the estimate is a little short for some fonts
	rightM := 58.0
	for _, n := range c.RowNotes {
		rightM = math.Max(rightM, textWidth(n, 10)+16)
	}
	rightM = math.Min(rightM, w*0.4)
	left, top := labelW, lh+14
	if lh > 0 {
		top += 4
	}
	pw := w - left - rightM
	n := len(c.Categories)
	bottom := top + float64(n)*rowHeight
	h := bottom + 34
	pos, neg := c.stacks()
	lo, hi := c.domain(false)
	xs := niceScale(lo, hi, 5)
	body.WriteString(`<g class="grid">`)
	for _, t := range xs.ticks {
		x := xs.at(t, left, left+pw)
		cls := "gridline"
		if t == 0 {
			cls = "zeroline"
		}
		body.f(`<line class="%s" x1="%s" x2="%s" y1="%s" y2="%s"/>`, cls, num(x), num(x), num(top), num(bottom))
		body.f(`<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`, num(x), num(bottom+15), esc(xs.tickText(t)))
	}
	if c.Unit != "" {
		body.f(`<text class="unit" x="%s" y="%s" text-anchor="end">%s</text>`, num(left+pw), num(bottom+29), esc(c.Unit))
	}
	body.WriteString(`</g>`)
	marks := 0
	body.WriteString(`<g class="bars">`)
	for i := range c.Categories {
		y := top + float64(i)*rowHeight
		label := c.label(i)
		body.f(`<text class="rowlabel" x="%s" y="%s" text-anchor="end">%s<title>%s</title></text>`,
			num(left-8), num(y+rowHeight/2+4), esc(fit(label, (labelW-16)/1.08+0.5, fontSize)), esc(c.Categories[i]))
		right, leftEnd := 0.0, 0.0
		for si, s := range c.Series {
			v := s.value(i)
			if v == 0 && s.Zero {
				body.f(`<circle class="mark" cx="%s" cy="%s" r="4" fill="%s"><title>%s</title></circle>`,
					num(xs.at(0, left, left+pw)), num(y+rowHeight/2), colors[si], esc(c.tooltip(i, s, v)))
				marks++
				continue
			}
			if math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
				continue
			}
			var from, to float64
			if v > 0 {
				from, to = right, right+v
				right = to
			} else {
				from, to = leftEnd, leftEnd+v
				leftEnd = to
			}
			x0, x1 := xs.at(from, left, left+pw), xs.at(to, left, left+pw)
			body.f(`<rect class="mark" x="%s" y="%s" width="%s" height="%s" rx="1.5" fill="%s"><title>%s</title></rect>`,
				num(math.Min(x0, x1)), num(y+3), num(math.Max(math.Abs(x1-x0), 0.8)), num(rowHeight-6), colors[si], esc(c.tooltip(i, s, v)))
			marks++
		}
		if i < len(c.RowNotes) {
			body.f(`<text class="total" x="%s" y="%s">%s</text>`, num(xs.at(pos[i], left, left+pw)+7), num(y+rowHeight/2+4), esc(c.RowNotes[i]))
		} else if total := pos[i] + neg[i]; total != 0 {
			step := math.Abs(total) / 100 // three significant digits
			if total == math.Trunc(total) {
				step = math.Max(step, 1) // a count: "6", not "6.00"
			}
			body.f(`<text class="total" x="%s" y="%s">%s</text>`, num(xs.at(pos[i], left, left+pw)+4), num(y+rowHeight/2+4), esc(compact(total, step, math.Abs(total))))
		}
	}
	body.WriteString(`</g>`)
	var b svg
	c.open(&b, w, h, marks, "rows")
	b.WriteString(body.String())
	b.WriteString(`</svg>`)
	return b.String()
}

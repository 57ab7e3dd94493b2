package dashboard

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Report is a whole page: a header with headline tiles, then panels in a two-column grid.
type Report struct {
	Title    string
	Subtitle string // e.g. "built 2026-12-03 15:55 UTC · reporting currency USD"
	Tiles    []Tile
	Panels   []Panel
	Warnings []string // shown at the top (queries that failed)
	Footer   string
}

// Tile is one headline figure.
type Tile struct {
	Label, Value, Note string
	Alert              bool // drawn in the warning colour
}

// Panel is one card: a chart, a table, or a chart with a table under it.
type Panel struct {
	Chart *Chart
	Table *Table
	Wide  bool // spans both columns (a wide chart makes its panel wide)
}

// Table is an HTML table; a Cell's Class styles it (e.g. "bad", "ok", "num").
type Table struct {
	Title   string
	Note    string
	Columns []string
	Rows    [][]Cell
	Empty   string // shown instead of the table when it has no row
	Open    bool   // shown, not folded in a <details>
}

// Cell is one table cell.
type Cell struct {
	Text, Class string
}

// Write writes the report as one self-contained HTML document: styles inline, no script,
// nothing loaded from anywhere (the Content-Security-Policy forbids it).
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` + "\n")
	b.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n", esc(r.Title), css)
	fmt.Fprintf(&b, "<header><h1>%s</h1><p class=\"sub\">%s</p></header>\n", esc(r.Title), esc(r.Subtitle))
	if len(r.Warnings) > 0 {
		b.WriteString(`<div class="warnings" role="alert"><strong>Some figures could not be read:</strong><ul>`)
		for _, m := range r.Warnings {
			fmt.Fprintf(&b, "<li>%s</li>", esc(m))
		}
		b.WriteString("</ul></div>\n")
	}
	if len(r.Tiles) > 0 {
		b.WriteString(`<section class="tiles" aria-label="Headline figures">`)
		for _, t := range r.Tiles {
			cls := "tile"
			if t.Alert {
				cls += " alert"
			}
			fmt.Fprintf(&b, `<div class="%s"><div class="label">%s</div><div class="value"><bdi>%s</bdi></div><div class="note">%s</div></div>`,
				cls, esc(t.Label), esc(t.Value), esc(t.Note))
		}
		b.WriteString("</section>\n")
	}
	b.WriteString("<main class=\"grid\">\n")
	for _, p := range r.Panels {
		writePanel(&b, p)
	}
	b.WriteString("</main>\n")
	fmt.Fprintf(&b, "<footer>%s</footer>\n</body>\n</html>\n", esc(r.Footer))
	_, err := io.WriteString(w, b.String())
	return err
}

func writePanel(b *strings.Builder, p Panel) {
	cls := "card"
	if p.Wide || p.Chart != nil && p.Chart.Wide {
		cls += " wide"
	}
	title, note := "", ""
	if p.Chart != nil {
		title, note = p.Chart.Title, p.Chart.Note
	} else if p.Table != nil {
		title, note = p.Table.Title, p.Table.Note
	}
	fmt.Fprintf(b, `<section class="%s"><h2>%s</h2>`, cls, esc(title))
	if note != "" {
		fmt.Fprintf(b, `<p class="note">%s</p>`, esc(note))
	}
	if c := p.Chart; c != nil {
		b.WriteString(`<figure>`)
		b.WriteString(c.Render())
		if c.Empty != "" {
			fmt.Fprintf(b, `<figcaption class="nodata-reason">No data: %s</figcaption>`, esc(c.Empty))
		}
		b.WriteString(`</figure>`)
		if c.Empty == "" && p.Table == nil {
			writeTable(b, c.dataTable(), false)
		}
	}
	if p.Table != nil {
		writeTable(b, p.Table, p.Chart == nil)
	}
	b.WriteString("</section>\n")
}

func writeTable(b *strings.Builder, t *Table, open bool) {
	if len(t.Rows) == 0 {
		if t.Empty != "" {
			fmt.Fprintf(b, `<p class="nodata-reason">%s</p>`, esc(t.Empty))
		}
		return
	}
	open = open || t.Open
	if !open {
		summary := "Data table"
		if t.Title != "" {
			summary = t.Title
		}
		fmt.Fprintf(b, `<details><summary>%s (%d rows)</summary>`, esc(summary), len(t.Rows))
	}
	b.WriteString(`<div class="tablewrap"><table><thead><tr>`)
	for _, c := range t.Columns {
		fmt.Fprintf(b, "<th>%s</th>", esc(c))
	}
	b.WriteString("</tr></thead><tbody>")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for _, c := range r {
			if c.Class != "" {
				fmt.Fprintf(b, `<td class="%s"><bdi>%s</bdi></td>`, esc(c.Class), esc(c.Text))
			} else {
				fmt.Fprintf(b, "<td><bdi>%s</bdi></td>", esc(c.Text))
			}
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table></div>")
	if !open {
		b.WriteString("</details>")
	}
}

// dataTable is the chart's values as a table: one row per category, one column per series.
func (c *Chart) dataTable() *Table {
	t := &Table{Columns: []string{""}}
	for _, s := range c.Series {
		name := s.Name
		if name == "" {
			name = c.Unit
		}
		t.Columns = append(t.Columns, name)
	}
	for i, cat := range c.Categories {
		row := []Cell{{Text: cat}}
		for _, s := range c.Series {
			dec := c.Decimals
			if s.Right {
				dec = c.RightDec
			}
			v := s.value(i)
			text := ""
			if !math.IsNaN(v) {
				text = exact(v, dec)
			}
			row = append(row, Cell{Text: text, Class: "num"})
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// css is the page's only style sheet.
const css = `
:root{--fg:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;--bad:#c62828;--ok:#2e7d32;--warn:#b26a00}
*{box-sizing:border-box}
body{margin:0;padding:24px 28px 40px;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK JP","Noto Color Emoji",sans-serif}
header h1{margin:0 0 2px;font-size:22px;font-weight:650}
header .sub{margin:0 0 16px;color:var(--muted)}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin-bottom:16px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 14px}
.tile .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tile .value{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tile .note{color:var(--muted);font-size:12px}
.tile.alert .value{color:var(--bad)}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px}
@media (max-width:1000px){.grid{grid-template-columns:minmax(0,1fr)}}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px 10px;min-width:0}
.card.wide{grid-column:1/-1}
.card h2{margin:0;font-size:16px;font-weight:620}
.card .note{margin:2px 0 6px;color:var(--muted);font-size:12.5px}
figure{margin:0}
svg.chart{display:block;width:100%;height:auto;font-family:inherit;font-size:11px}
svg.chart text{fill:#3e4c59;unicode-bidi:isolate}
svg.chart .tick{fill:#7b8794}
svg.chart .unit{fill:#7b8794;font-size:10px;font-weight:600}
svg.chart .gridline{stroke:#edf0f3}
svg.chart .zeroline{stroke:#9aa5b1}
svg.chart .xtick{stroke:#9aa5b1}
svg.chart .total{fill:#52606d;font-size:10px}
svg.chart .mark:hover{opacity:.8}
svg.chart circle.mark:hover{fill-opacity:1;opacity:1}
svg.chart .nodata-bg{fill:#f8f9fb;stroke:#d9dee4;stroke-dasharray:4 4}
svg.chart .nodata-icon{fill:none;stroke:#b8c0ca;stroke-width:2.5;stroke-linecap:round;stroke-linejoin:round}
svg.chart .nodata{fill:#7b8794;font-size:16px;font-weight:600}
svg.chart .nodata-reason{fill:#9aa5b1;font-size:12px}
.nodata-reason{color:var(--muted);font-size:12.5px;margin:4px 0}
details{margin-top:4px;font-size:12.5px}
summary{cursor:pointer;color:var(--muted)}
.tablewrap{max-height:320px;overflow:auto;margin-top:6px}
table{border-collapse:collapse;width:100%;font-size:12.5px;font-variant-numeric:tabular-nums}
th,td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{position:sticky;top:0;background:#fafbfc;font-weight:600}
td.num{text-align:right}
td.bad{color:var(--bad);font-weight:600}
td.warn{color:var(--warn);font-weight:600}
td.ok{color:var(--ok)}
.warnings{background:#fff4e5;border:1px solid #f0c36d;border-radius:10px;padding:8px 14px;margin-bottom:16px}
.warnings ul{margin:4px 0 0;padding-left:20px}
footer{margin-top:20px;color:var(--muted);font-size:12px}
`

package dashboard

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// tiles are the headline figures over the daily window.
func tiles(d *Data, cur string) []Tile {
	var out []Tile
	if len(d.RevenueDaily) > 0 {
		sum := 0.0
		var missing int64
		for _, v := range d.RevenueDaily {
			if !math.IsNaN(v.Value) {
				sum += v.Value
			}
			missing += v.MissingRate
		}
		note := fmt.Sprintf("%s to %s", d.RevenueDaily[0].Period, d.RevenueDaily[len(d.RevenueDaily)-1].Period)
		if missing > 0 {
			note += fmt.Sprintf(" · %s lines without a rate", exact(float64(missing), 0))
		}
		out = append(out, Tile{Label: fmt.Sprintf("Proceeds, %d days", d.Days), Value: exact(sum, 0) + " " + cur, Note: note})
	}
	if len(d.Units) > 0 {
		var paid, dl float64
		for _, u := range d.Units {
			dl += u.Downloads
			paid += u.InAppPurchases + u.Subscriptions
		}
		out = append(out, Tile{Label: fmt.Sprintf("Units, %d days", d.Days), Value: exact(dl+paid, 0),
			Note: fmt.Sprintf("%s downloads, %s purchases; no updates", exact(dl, 0), exact(paid, 0))})
	}
	for i := len(d.Subscriptions) - 1; i >= 0; i-- {
		if s := d.Subscriptions[i]; !math.IsNaN(s.Active) {
			out = append(out, Tile{Label: "Active subscriptions", Value: exact(s.Active, 0), Note: "on " + s.Day})
			break
		}
	}
	var reviews, stars float64
	for _, w := range d.Ratings {
		reviews += w.Reviews
		for i, n := range w.Stars {
			stars += float64(i+1) * n
		}
	}
	if reviews > 0 {
		out = append(out, Tile{Label: "Average rating", Value: fmt.Sprintf("%.2f ★", stars/reviews),
			Note: fmt.Sprintf("%s reviews in %d weeks", exact(reviews, 0), len(d.Ratings))})
	}
	if len(d.Freshness) > 0 {
		var late, failed int64
		lateSets := 0
		for _, f := range d.Freshness {
			late += f.Late
			failed += f.Failed
			if f.Late > 0 {
				lateSets++
			}
		}
		t := Tile{Label: "Datasets late", Value: strconv.Itoa(lateSets), Note: fmt.Sprintf("of %d; %d units late, %d failed", len(d.Freshness), late, failed)}
		t.Alert = lateSets > 0 || failed > 0
		out = append(out, t)
	}
	if rc := d.Reconcile; rc != nil {
		out = append(out, Tile{Label: "Reconciliation", Value: fmt.Sprintf("%d failed", len(rc.Failed)),
			Note: fmt.Sprintf("of %d checks", rc.Checks), Alert: len(rc.Failed) > 0})
	}
	return out
}

// freshGroup is one row of the freshness chart: a dataset, or a family's datasets taken
// together when it has many (analytics has one per report).
type freshGroup struct {
	name                  string
	through               string // the oldest data_through of the group
	sets                  int
	late, failed, pending int64
	behind                float64 // days from data_through to the views' build day
	missing               bool    // no data_through: nothing loaded yet
}

// groupFreshness keeps a dataset per row unless its family has more than 4.
func groupFreshness(d *Data) []freshGroup {
	perFamily := map[string]int{}
	for _, f := range d.Freshness {
		perFamily[f.Family]++
	}
	ref := d.BuiltAt.UTC()
	if ref.IsZero() {
		ref = time.Now().UTC()
	}
	day := time.Date(ref.Year(), ref.Month(), ref.Day(), 0, 0, 0, 0, time.UTC)
	var out []freshGroup
	at := map[string]int{}
	for _, f := range d.Freshness {
		name := f.Dataset
		if perFamily[f.Family] > 4 {
			name = fmt.Sprintf("%s (%d datasets)", f.Family, perFamily[f.Family])
		}
		i, ok := at[name]
		if !ok {
			i = len(out)
			at[name] = i
			out = append(out, freshGroup{name: name, through: f.DataThrough})
		}
		g := &out[i]
		g.sets++
		g.late += f.Late
		g.failed += f.Failed
		g.pending += f.Pending
		if f.DataThrough == "" {
			g.missing = true
		} else if g.through == "" || f.DataThrough < g.through {
			g.through = f.DataThrough
		}
	}
	for i := range out {
		g := &out[i]
		t, err := time.Parse(time.DateOnly, g.through)
		if err != nil {
			g.missing = true
			continue
		}
		g.behind = math.Max(0, day.Sub(t).Hours()/24)
	}
	return out
}

func freshness(d *Data) *Chart {
	c := &Chart{ID: IDFreshness, Title: "Data freshness", Layout: Rows, Unit: "days behind",
		Note:  "Days from each dataset's \"data through\" to the day the views were built; red: units late or failed.",
		Empty: emptyUnless(len(d.Freshness), "mart_freshness", " (no run yet)")}
	if c.Empty != "" {
		return c
	}
	gs := groupFreshness(d)
	ok := Series{Name: "on time", Color: "#59a14f", Zero: true}
	waiting := Series{Name: "units pending", Color: "#edc948", Zero: true}
	bad := Series{Name: "late or failed", Color: "#e15759", Zero: true}
	for _, g := range gs {
		c.Categories = append(c.Categories, g.name)
		v := g.behind
		if g.missing {
			v = math.NaN()
		}
		o, w, b := math.NaN(), math.NaN(), math.NaN()
		switch {
		case g.late > 0 || g.failed > 0:
			b = v
		case g.pending > 0:
			w = v
		default:
			o = v
		}
		ok.Values, waiting.Values, bad.Values = append(ok.Values, o), append(waiting.Values, w), append(bad.Values, b)
		note := "through " + g.through
		if g.missing {
			note = "nothing loaded"
		}
		var parts []string
		for _, p := range []struct {
			n    int64
			what string
		}{{g.late, "late"}, {g.failed, "failed"}, {g.pending, "pending"}} {
			if p.n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
			}
		}
		if len(parts) > 0 {
			note += " · " + strings.Join(parts, ", ")
		}
		c.RowNotes = append(c.RowNotes, note)
	}
	c.Series = []Series{ok, waiting, bad}
	return c
}

// freshnessTable lists every dataset of mart_freshness, the late and failed first.
func freshnessTable(d *Data) *Table {
	t := &Table{Title: "Every dataset", Columns: []string{"dataset", "family", "data through", "newest period", "last loaded", "loaded", "empty",
		"pending", "failed", "expired", "late", "oldest waiting"}}
	fs := append([]Freshness(nil), d.Freshness...)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Late+fs[i].Failed > fs[j].Late+fs[j].Failed })
	count := func(n int64, bad string) Cell {
		c := Cell{Text: strconv.FormatInt(n, 10), Class: "num"}
		if n > 0 && bad != "" {
			c.Class = "num " + bad
		}
		return c
	}
	for _, f := range fs {
		t.Rows = append(t.Rows, []Cell{{Text: f.Dataset}, {Text: f.Family}, {Text: f.DataThrough}, {Text: f.NewestPeriod},
			{Text: f.LastLoaded}, count(f.Loaded, ""), count(f.Empty, ""), count(f.Pending, "warn"), count(f.Failed, "bad"),
			count(f.Expired, ""), count(f.Late, "bad"), {Text: f.OldestWaiting}})
	}
	return t
}

// reconcilePanel lists the failed checks of reconcile_results; no table, no panel.
func reconcilePanel(d *Data) (Panel, bool) {
	rc := d.Reconcile
	if rc == nil {
		return Panel{}, false
	}
	t := &Table{Title: "Reconciliation: failed checks", Columns: rc.Columns, Open: true,
		Note: fmt.Sprintf("reconcile_results (etl reconcile): %d checks, %d failed.", rc.Checks, len(rc.Failed))}
	if msg, ok := d.Errors[IDReconcile]; ok {
		t.Empty = "reconcile_results could not be read: " + msg
	} else if len(rc.Failed) == 0 {
		t.Empty = fmt.Sprintf("Every check passed (%d).", rc.Checks)
	}
	for _, f := range rc.Failed {
		row := make([]Cell, len(f))
		for i, v := range f {
			row[i] = Cell{Text: v}
		}
		t.Rows = append(t.Rows, row)
	}
	return Panel{Table: t, Wide: true}, true
}

// versionLess orders dotted versions numerically ("1.10" after "1.9"), else as text.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, err1 := strconv.Atoi(as[i])
		y, err2 := strconv.Atoi(bs[i])
		if err1 != nil || err2 != nil {
			if as[i] != bs[i] {
				return as[i] < bs[i]
			}
			continue
		}
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/report"
)

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// units feeds n units of a pass of planned: family a gets the first half, b the rest.
func feed(fn func(pipeline.UnitDone), clock *fakeClock, planned, from, to int, step time.Duration) {
	for i := from + 1; i <= to; i++ {
		clock.t = clock.t.Add(step)
		fam, fd, fp := report.Family("analytics"), i, planned/2
		if i > planned/2 {
			fam, fd, fp = report.Sales, i-planned/2, planned-planned/2
		}
		fn(pipeline.UnitDone{Unit: report.Unit{Family: fam}, FamilyDone: fd, FamilyPlanned: fp, Done: i, Planned: planned})
	}
}

// On a terminal: a bar with percentage, counts, families and ETA, never wider than 79
// columns, log records written above it intact, and erased at the end.
func TestStatusLineBar(t *testing.T) {
	var term bytes.Buffer
	clock := &fakeClock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	s := &statusLine{w: &term, now: clock.now} // no ticker
	feed(s.unit, clock, 600, 0, 150, time.Second)
	frames := strings.Split(term.String(), "\r\033[K")
	last := frames[len(frames)-1]
	// The clock starts at the first unit: 149 s for 149 more units, 450 to go.
	// sales 0/300 does not fit (nor does "· …").
	want := "[█████░░░░░░░░░░░░░░░]  25% 150/600 · analytics 150/300 · 2m29s, ETA 7m27s"
	if last != want {
		t.Errorf("line:\n%q\nwant\n%q", last, want)
	}
	s.Write([]byte("time=10:02:30 level=INFO msg=unit unit=sales/x\n"))
	feed(s.unit, clock, 600, 150, 600, 100*time.Millisecond)
	s.finish()
	out := term.String()
	if !strings.Contains(out, "\r\033[Ktime=10:02:30 level=INFO msg=unit unit=sales/x\n[") {
		t.Errorf("the log record is not written on its own line above the bar:\n%q", out)
	}
	if !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("the bar is not erased at the end: %q", out[max(0, len(out)-120):])
	}
	for _, f := range strings.Split(out, "\r\033[K") {
		f = strings.TrimPrefix(f, "time=10:02:30 level=INFO msg=unit unit=sales/x\n")
		if n := utf8.RuneCountInString(f); n > lineWidth {
			t.Errorf("line of %d columns: %q", n, f)
		}
		if f != "" && !strings.Contains(f, "%") {
			t.Errorf("line without a percentage: %q", f)
		}
	}
	if !strings.Contains(out, "[████████████████████] 100% 600/600 · 3m14s\r") {
		t.Errorf("no final 100%% line:\n%q", out[max(0, len(out)-300):])
	}
	// Drawn again after finish, nothing is left on the line.
	term.Reset()
	s.Write([]byte("after\n"))
	if term.String() != "after\n" {
		t.Errorf("after finish: %q", term.String())
	}
}

func TestProgressLine(t *testing.T) {
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	long := report.Family("subscription_offer_code_redemption")
	for _, c := range []struct {
		name string
		p    progress
		at   time.Duration
		want string
	}{
		{"no total", progress{start: start, done: 7, fams: map[report.Family]*famProgress{"reviews": {7, 0}}}, 5 * time.Second, "units 7 · 5s"},
		{"start", progress{start: start, done: 0, planned: 663, fams: map[report.Family]*famProgress{"sales": {0, 663}}}, 0,
			"[░░░░░░░░░░░░░░░░░░░░]   0% 0/663 · sales 0/663 · 0s"},
		{"hours", progress{start: start, done: 1, planned: 10000, fams: map[report.Family]*famProgress{"sales": {1, 10000}}}, 2 * time.Second,
			"[░░░░░░░░░░░░░░░░░░░░]   0% 1/10000 · sales 1/10000 · 2s, ETA 5h33m"},
		{"families cut", progress{start: start, done: 300, planned: 1000, fams: map[report.Family]*famProgress{
			long: {100, 200}, "analytics": {100, 400}, "sales": {100, 400}}}, 90 * time.Second,
			"[██████░░░░░░░░░░░░░░]  30% 300/1000 · analytics 100/400 · … · 1m30s, ETA 3m30s"},
		{"too many families", progress{start: start, done: 5000, planned: 10000, fams: map[report.Family]*famProgress{
			long: {1000, 2000}, "analytics": {2000, 4000}, "sales": {2000, 4000}}}, 90 * time.Second,
			"[██████████░░░░░░░░░░]  50% 5000/10000 · analytics 2000/4000 · 1m30s, ETA 1m30s"},
	} {
		got := c.p.line(start.Add(c.at))
		if got != c.want || utf8.RuneCountInString(got) > lineWidth {
			t.Errorf("%s:\n%q (%d columns)\nwant\n%q", c.name, got, utf8.RuneCountInString(got), c.want)
		}
	}
}

// Elsewhere: one INFO record per tenth of a long pass, and one at least every 30 s.
func TestProgressLogLines(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	l := newProgressLog(slog.New(slog.NewJSONHandler(&buf, nil)))
	l.now = clock.now
	feed(l.unit, clock, 200, 0, 200, 100*time.Millisecond)
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 10 {
		t.Fatalf("%d records for 200 units, want one per tenth:\n%s", len(recs), buf.String())
	}
	if r := recs[0]; r["msg"] != "progress" || r["done"] != 20.0 || r["planned"] != 200.0 || r["percent"] != 10.0 || r["eta"] != "17s" {
		t.Errorf("first record: %v", r)
	}
	if r := recs[9]; r["done"] != 200.0 || r["percent"] != 100.0 || r["eta"] != nil {
		t.Errorf("last record: %v", r)
	}

	// A short pass logs nothing per tenth, but a slow one logs every 30 s.
	buf.Reset()
	l = newProgressLog(slog.New(slog.NewJSONHandler(&buf, nil)))
	l.now = clock.now
	feed(l.unit, clock, 10, 0, 10, time.Second)
	if buf.Len() != 0 {
		t.Errorf("short pass: %s", buf.String())
	}
	feed(l.unit, clock, 10, 0, 4, 20*time.Second)
	if n := strings.Count(buf.String(), `"msg":"progress"`); n != 2 {
		t.Errorf("%d records over 80 s of a slow pass, want 2:\n%s", n, buf.String())
	}
}

package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/report"
)

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress is what a pass has done so far: units done of planned, overall and per family.
type progress struct {
	start         time.Time // when the first unit finished
	done, planned int
	fams          map[report.Family]*famProgress
}

type famProgress struct {
	done, planned int
}

func (p *progress) add(d pipeline.UnitDone, now time.Time) {
	if p.fams == nil {
		p.fams = map[report.Family]*famProgress{}
	}
	if p.start.IsZero() {
		p.start = now
	}
	f := p.fams[d.Unit.Family]
	if f == nil {
		f = &famProgress{}
		p.fams[d.Unit.Family] = f
	}
	f.done, f.planned = d.FamilyDone, d.FamilyPlanned
	p.done, p.planned = d.Done, max(d.Planned, d.Done)
	if d.Planned == 0 { // a caller that does not count the pass: add up the families
		p.done, p.planned = 0, 0
		for _, f := range p.fams {
			p.done, p.planned = p.done+f.done, p.planned+f.planned
		}
	}
}

// eta is the time left at the rate so far; ok is false until it means something (a
// known total, a unit done, a second gone).
func (p *progress) eta(now time.Time) (left time.Duration, ok bool) {
	el := now.Sub(p.start)
	if p.planned <= 0 || p.done <= 0 || el < time.Second {
		return 0, false
	}
	return time.Duration(float64(el) / float64(p.done) * float64(p.planned-p.done)), true
}

func (p *progress) percent() int {
	if p.planned <= 0 {
		return 0
	}
	return p.done * 100 / p.planned
}

// short formats a duration for the line: 5s, 1m05s, 2h03m.
func short(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// statusLine is the progress bar at the bottom of a terminal. Log records go through
// Write, which clears the line, writes the record and draws the line again, so the two
// never garble each other; a ticker redraws it every second (elapsed time and ETA move
// while a long unit runs).
type statusLine struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	p     progress
	shown bool
	stop  chan struct{} // the ticker's; nil when it is not running
	tick  time.Duration // 0: no ticker (tests)
}

func newStatusLine(w io.Writer) *statusLine {
	return &statusLine{w: w, now: time.Now, tick: time.Second}
}

// Write writes a log record above the progress line.
func (s *statusLine) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	n, err := s.w.Write(b)
	s.draw()
	return n, err
}

// unit is pipeline.Pipeline.OnUnit.
func (s *statusLine) unit(d pipeline.UnitDone) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p.add(d, s.now())
	if s.stop == nil && s.tick > 0 {
		s.stop = make(chan struct{})
		go s.ticker(s.stop, s.tick)
	}
	s.clear()
	s.draw()
}

func (s *statusLine) ticker(stop chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.mu.Lock()
			if s.p.fams != nil {
				s.clear()
				s.draw()
			}
			s.mu.Unlock()
		}
	}
}

// finish erases the progress line and stops drawing it, before anything else is printed
// (the views, the summary).
func (s *statusLine) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	if s.stop != nil {
		close(s.stop)
		s.stop = nil
	}
	s.p = progress{}
}

func (s *statusLine) clear() {
	if s.shown {
		fmt.Fprint(s.w, "\r\033[K")
		s.shown = false
	}
}

// lineWidth is the progress line's width: it must fit an 80-column terminal.
const lineWidth = 79

// barWidth is the cells of the bar itself.
const barWidth = 20

func (s *statusLine) draw() {
	if s.p.fams == nil {
		return
	}
	fmt.Fprint(s.w, s.p.line(s.now()))
	s.shown = true
}

// line is "[█████░░░░░░░░░░░░░░░]  27% 180/663 · analytics 40/200 · 1m05s, ETA 2m55s":
// the bar for the whole pass, then each family still in progress while they fit, then the
// time taken and the time left; at most lineWidth columns.
func (p *progress) line(now time.Time) string {
	var b strings.Builder
	if p.planned > 0 {
		fill := min(p.done*barWidth/p.planned, barWidth)
		fmt.Fprintf(&b, "[%s%s] %3d%% %d/%d", strings.Repeat("█", fill), strings.Repeat("░", barWidth-fill),
			p.percent(), p.done, p.planned)
	} else {
		fmt.Fprintf(&b, "units %d", p.done)
	}
	tail := " · " + short(now.Sub(p.start))
	if left, ok := p.eta(now); ok && p.done < p.planned {
		tail += ", ETA " + short(left)
	}
	names := make([]string, 0, len(p.fams))
	for f := range p.fams {
		names = append(names, string(f))
	}
	sort.Strings(names)
	width := utf8.RuneCountInString
	for _, n := range names {
		f := p.fams[report.Family(n)]
		if f.done >= f.planned {
			continue
		}
		part := fmt.Sprintf(" · %s %d/%d", n, f.done, f.planned)
		if width(b.String())+width(part)+width(tail) > lineWidth {
			if width(b.String())+width(" · …")+width(tail) <= lineWidth {
				b.WriteString(" · …")
			}
			break
		}
		b.WriteString(part)
	}
	line := b.String() + tail
	if width(line) > lineWidth {
		line = string([]rune(line)[:lineWidth])
	}
	return line
}

// progressLog is the progress of a pass where stderr is not a terminal: a plain INFO
// record "progress" each time another tenth of the units is done (passes of 50 units or
// more: a short pass's unit lines say enough) and at least every 30 seconds while units
// finish.
type progressLog struct {
	mu     sync.Mutex
	log    *slog.Logger
	now    func() time.Time
	every  time.Duration
	p      progress
	last   time.Time // of the last record
	tenths int       // tenths reported so far
}

// progressMinUnits is the smallest pass that gets a record per tenth.
const progressMinUnits = 50

func newProgressLog(log *slog.Logger) *progressLog {
	return &progressLog{log: log, now: time.Now, every: 30 * time.Second}
}

// unit is pipeline.Pipeline.OnUnit.
func (l *progressLog) unit(d pipeline.UnitDone) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.last.IsZero() {
		l.last = now
	}
	l.p.add(d, now)
	tenths := 0
	if l.p.planned > 0 {
		tenths = l.p.done * 10 / l.p.planned
	}
	due := now.Sub(l.last) >= l.every
	if !due && (tenths <= l.tenths || l.p.planned < progressMinUnits) {
		return
	}
	l.tenths, l.last = max(tenths, l.tenths), now
	attrs := []any{"done", l.p.done, "planned", l.p.planned, "percent", l.p.percent(), "elapsed", short(now.Sub(l.p.start))}
	if left, ok := l.p.eta(now); ok && l.p.done < l.p.planned {
		attrs = append(attrs, "eta", short(left))
	}
	l.log.Info("progress", attrs...)
}

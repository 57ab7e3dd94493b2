package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"time"

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

// statusLine is the progress line at the bottom of a terminal: units done / planned and
// the rate per family. Log records go through Write, which clears the line, writes the
// record and draws the line again, so the two never garble each other.
type statusLine struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	fams  map[report.Family]*famProgress
	shown bool
}

type famProgress struct {
	done, planned int
	first         time.Time
}

func newStatusLine(w io.Writer) *statusLine {
	return &statusLine{w: w, fams: map[report.Family]*famProgress{}}
}

// Write writes a log record above the progress line.
func (s *statusLine) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	n, err := s.w.Write(p)
	s.draw()
	return n, err
}

// unit is pipeline.Pipeline.OnUnit.
func (s *statusLine) unit(d pipeline.UnitDone) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fams[d.Unit.Family]
	if f == nil {
		f = &famProgress{first: time.Now()}
		if s.start.IsZero() {
			s.start = f.first
		}
		s.fams[d.Unit.Family] = f
	}
	f.done, f.planned = d.FamilyDone, d.FamilyPlanned
	s.clear()
	s.draw()
}

// finish erases the progress line and stops drawing it, before anything else is printed
// (the views, the summary).
func (s *statusLine) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	s.fams = map[report.Family]*famProgress{}
}

func (s *statusLine) clear() {
	if s.shown {
		fmt.Fprint(s.w, "\r\033[K")
		s.shown = false
	}
}

// lineWidth is the progress line's width: it must fit an 80-column terminal.
const lineWidth = 79

// draw prints "units 123/663 · analytics 40/200 · reviews 3/6 · 5s": the total, then each
// family still in progress, cut to lineWidth.
func (s *statusLine) draw() {
	if len(s.fams) == 0 {
		return
	}
	names := make([]string, 0, len(s.fams))
	done, planned := 0, 0
	for f, p := range s.fams {
		names = append(names, string(f))
		done, planned = done+p.done, planned+p.planned
	}
	sort.Strings(names)
	line := fmt.Sprintf("units %d/%d", done, planned)
	tail := " · " + time.Since(s.start).Round(time.Second).String()
	for _, n := range names {
		f := s.fams[report.Family(n)]
		if f.done >= f.planned {
			continue
		}
		part := fmt.Sprintf(" · %s %d/%d", n, f.done, f.planned)
		if len(line)+len(part)+len(tail) > lineWidth {
			line += " · …"
			break
		}
		line += part
	}
	line += tail
	if len(line) > lineWidth {
		line = line[:lineWidth]
	}
	fmt.Fprint(s.w, line)
	s.shown = true
}

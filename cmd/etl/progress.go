package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
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

// finish leaves the last progress line on screen and stops drawing it.
func (s *statusLine) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown {
		fmt.Fprintln(s.w)
	}
	s.shown = false
	s.fams = map[report.Family]*famProgress{}
}

func (s *statusLine) clear() {
	if s.shown {
		fmt.Fprint(s.w, "\r\033[K")
		s.shown = false
	}
}

func (s *statusLine) draw() {
	if len(s.fams) == 0 {
		return
	}
	names := make([]string, 0, len(s.fams))
	for f := range s.fams {
		names = append(names, string(f))
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		f := s.fams[report.Family(n)]
		rate := float64(f.done) / max(time.Since(f.first).Seconds(), 0.001)
		parts = append(parts, fmt.Sprintf("%s %d/%d (%.1f/s)", n, f.done, f.planned, rate))
	}
	fmt.Fprintf(s.w, "%s · %s", strings.Join(parts, " · "), time.Since(s.start).Round(time.Second))
	s.shown = true
}

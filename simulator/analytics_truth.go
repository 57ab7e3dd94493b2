package simulator

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The test side of the Analytics Reports API: what was published, folded as a loader
// should ("latest processing date wins"), and the rows of any instance.

// AnalyticsTruthDay is the final truth of one Date of a report, granularity and app.
type AnalyticsTruthDay struct {
	Date            string   // the Date column (first day of the week or month for WEEKLY/MONTHLY)
	ProcessingDate  string   // latest processing date that carried Date
	ProcessingDates []string // every processing date that carried Date, ascending, distinct
	// Final: DAILY — the latest processing date is at least the report's window after Date,
	// so no later instance restates it; WEEKLY/MONTHLY — always.
	Final bool
	Rows  int // rows for Date in the latest instance
	// Measures maps each measure column to the exact sum over those rows: integers as
	// "1234", USD as "-12.34".
	Measures map[string]string
}

// TruthAnalytics returns, per Date ascending, what "latest processing date wins" gives over
// every instance published so far by any request of the app (deleted, stopped or expired
// ones included, up to when they stopped). Unknown app, report or granularity: nil.
func (s *Server) TruthAnalytics(appID, reportName, granularity string) []AnalyticsTruthDay {
	rep := anaReportByName(reportName)
	st := s.anaStore()
	st.mu.Lock()
	defer st.mu.Unlock()
	x := st.apps[appID]
	if rep == nil || x == nil {
		return nil
	}
	now := s.now()
	procs := map[time.Time][]time.Time{}
	for _, q := range st.reqs {
		if q.appID != appID {
			continue
		}
		for _, in := range s.anaProduced(q, rep, now, time.Time{}) {
			if in.gran != granularity {
				continue
			}
			for _, d := range in.dates() {
				if !slices.ContainsFunc(procs[d], in.proc.Equal) {
					procs[d] = append(procs[d], in.proc)
				}
			}
		}
	}
	dates := make([]time.Time, 0, len(procs))
	for d := range procs {
		dates = append(dates, d)
	}
	slices.SortFunc(dates, func(a, b time.Time) int { return a.Compare(b) })
	out := make([]AnalyticsTruthDay, 0, len(dates))
	for _, d := range dates {
		ps := procs[d]
		slices.SortFunc(ps, func(a, b time.Time) int { return a.Compare(b) })
		last := ps[len(ps)-1]
		td := AnalyticsTruthDay{Date: iso(d), ProcessingDate: iso(last), Measures: map[string]string{},
			Final: granularity != "DAILY" || int(last.Sub(d)/day) >= rep.window}
		for _, p := range ps {
			td.ProcessingDates = append(td.ProcessingDates, iso(p))
		}
		sums := make([]int64, len(rep.measures))
		rows := s.anaRowsAt(rep, x, granularity, d, last)
		for _, r := range rows {
			for i, v := range r.measures {
				sums[i] += v
			}
		}
		td.Rows = len(rows)
		for i, m := range rep.measures {
			if rep.decimal[m] {
				td.Measures[m] = money(sums[i], 2)
			} else {
				td.Measures[m] = strconv.FormatInt(sums[i], 10)
			}
		}
		out = append(out, td)
	}
	return out
}

// AnalyticsRows returns the rows an instance with the given processing date carries for
// date (YYYY-MM-DD both), in served column order with cells decoded (`""` → ""), whether or
// not such an instance was published. Errors name the unknown input.
func (s *Server) AnalyticsRows(appID, reportName, granularity, processingDate, date string) (header []string, rows [][]string, err error) {
	rep := anaReportByName(reportName)
	if rep == nil {
		return nil, nil, fmt.Errorf("simulator: unknown analytics report %q", reportName)
	}
	x := s.anaStore().apps[appID]
	if x == nil {
		return nil, nil, fmt.Errorf("simulator: unknown app %q", appID)
	}
	if !slices.Contains(anaGranularities, granularity) {
		return nil, nil, errors.New("simulator: unknown granularity " + granularity)
	}
	p, err := parseISODate(processingDate)
	if err != nil {
		return nil, nil, fmt.Errorf("simulator: processing %w", err)
	}
	d, err := parseISODate(date)
	if err != nil {
		return nil, nil, fmt.Errorf("simulator: %w", err)
	}
	for _, r := range s.anaRowsAt(rep, x, granularity, d, p) {
		cells := anaCells(rep, x, d, p, r)
		for i := range cells {
			cells[i] = decodeCell(cells[i])
		}
		rows = append(rows, cells)
	}
	return slices.Clone(rep.header), rows, nil
}

// StopAnalyticsRequest stops the app's (non-deleted) request of the access type now, as if
// it had gone unread for too long.
func (s *Server) StopAnalyticsRequest(appID, accessType string) error {
	st := s.anaStore()
	st.mu.Lock()
	defer st.mu.Unlock()
	q := st.current(appID, accessType)
	if q == nil {
		return fmt.Errorf("simulator: app %s has no %s analytics report request", appID, accessType)
	}
	if q.stopAt(s.now()).IsZero() {
		q.stopped = s.now()
	}
	return nil
}

// AnalyticsRequestInfo describes a request for tests.
type AnalyticsRequestInfo struct {
	ID, AppID, AccessType string
	Created               time.Time
	Stopped               bool // stoppedDueToInactivity now
	Deleted               bool
}

// AnalyticsRequests lists every request ever created for the app (deleted ones included),
// oldest first.
func (s *Server) AnalyticsRequests(appID string) []AnalyticsRequestInfo {
	st := s.anaStore()
	st.mu.Lock()
	defer st.mu.Unlock()
	now := s.now()
	var out []AnalyticsRequestInfo
	for _, q := range st.reqs {
		if q.appID == appID {
			out = append(out, AnalyticsRequestInfo{ID: q.id, AppID: q.appID, AccessType: q.access, Created: q.created,
				Stopped: !q.stopAt(now).IsZero(), Deleted: !q.deleted.IsZero()})
		}
	}
	return out
}

// SegmentStats returns the pre-signed download counters.
func (s *Server) SegmentStats() SegmentStats {
	st := s.anaStore()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.stats
}

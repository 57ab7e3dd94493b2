package simulator

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Xcode Cloud: products, build runs and their actions, a pure function of the
// seed, the catalog and the clock (only what was created by then is visible). The HTTP side
// is in xcodecloud_http.go.

const (
	ciDateFmt     = "2006-01-02T15:04:05.000Z"
	frameworkName = "AscetlKit"
	ciRunStep     = 3 * day
)

type ciProduct struct {
	id, name, typ string
	a             *app // nil for the framework
	created       time.Time
	origin        time.Time // first periodic run slot
}

type ciAction struct {
	id, name, typ, progress, status string
	started, finished               time.Time
	counts                          ciCounts
	run                             *ciRun
}

type ciCounts struct{ analyzer, errors, tests, warnings int }

func (c ciCounts) kv() kvs {
	return kvs{{"analyzerWarnings", c.analyzer}, {"errors", c.errors}, {"testFailures", c.tests}, {"warnings", c.warnings}}
}

type ciRun struct {
	id       string
	prod     *ciProduct
	number   int
	created  time.Time
	started  time.Time
	finished time.Time // zero while running
	progress string
	status   string // "" unless COMPLETE
	counts   ciCounts
	build    *build // nil unless the run produced a build
	sha, msg string
	pr       bool
	reason   string
	actions  []*ciAction
}

func (s *Server) ciProducts() []*ciProduct {
	seed := strconv.FormatInt(s.opt.Seed, 10)
	var out []*ciProduct
	for _, a := range s.cat.apps {
		bs := s.appBuilds(a)
		origin := bs[0].uploaded.Add(-30 * day).UTC().Truncate(time.Hour)
		out = append(out, &ciProduct{id: uuidOf("asc-ci-product", seed, a.sku), name: a.name, typ: "APP", a: a,
			created: origin.Add(-2 * day), origin: origin})
	}
	origin := reviewEpoch.Add(-400 * day)
	out = append(out, &ciProduct{id: uuidOf("asc-ci-product", seed, frameworkName), name: frameworkName,
		typ: "FRAMEWORK", created: origin.Add(-2 * day), origin: origin})
	return out
}

// ciRuns are the product's runs created at or before t, oldest first (number = index + 1).
//
// Decision (Xcode Cloud): one APP ciProduct per live app plus a FRAMEWORK product "AscetlKit".
// Build runs: a periodic run every 3 days (+ up to 2 days of jitter) from 30 days before the
// app's oldest build, plus one run 40–100 minutes before every build upload that produced it
// (relationship builds). Numbers count runs by createdDate from 1; only runs created by Now are
// visible, a run whose finish lies after Now is RUNNING with no completionStatus. A run's
// issueCounts are the sums over its actions; after a failing action the rest are SKIPPED; a
// SKIPPED run has no actions. Dates in UTC with milliseconds.
func (s *Server) ciRuns(p *ciProduct, t time.Time) []*ciRun {
	var runs []*ciRun
	for k := 0; ; k++ {
		r := s.rng("ciRun", p.id, strconv.Itoa(k))
		c := p.origin.Add(time.Duration(k)*ciRunStep + time.Duration(r.IntN(2*24*3600))*time.Second)
		if c.After(t) {
			break
		}
		runs = append(runs, &ciRun{id: uuidOf("asc-ci-run", p.id, strconv.Itoa(k)), prod: p, created: c})
	}
	if p.a != nil {
		for _, b := range s.appBuilds(p.a) {
			r := s.rng("ciBuildRun", b.id)
			c := b.uploaded.UTC().Add(-time.Duration(40*60+r.IntN(60*60)) * time.Second)
			if !c.After(t) {
				runs = append(runs, &ciRun{id: uuidOf("asc-ci-run", p.id, b.id), prod: p, created: c, build: b})
			}
		}
	}
	slices.SortStableFunc(runs, func(a, b *ciRun) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	for i, run := range runs {
		run.number = i + 1
		s.fillRun(run, t)
	}
	return runs
}

var ciStatuses = []struct {
	status string
	pct    int
}{{"SUCCEEDED", 70}, {"FAILED", 15}, {"ERRORED", 5}, {"CANCELED", 5}, {"SKIPPED", 5}}

// fillRun decides the run's outcome, actions and visibility of its progress at t. The
// draws from the run's generator come in a fixed order: start, message, pull request,
// status, steps, failing step, action durations and counts, finish.
func (s *Server) fillRun(run *ciRun, t time.Time) {
	r := s.rng("ciRunDetail", run.id)
	run.started = run.created.Add(time.Duration(5+r.IntN(115)) * time.Second)
	run.sha = strings.ReplaceAll(uuidOf("sha", run.id), "-", "") + strings.ReplaceAll(uuidOf("sha2", run.id), "-", "")[:8]
	run.msg = pick(r, []string{"Fix crash on launch", "Update dependencies", "Improve sync performance",
		"Localize settings screen", "Refactor storage layer", "Bump build number"})
	run.pr = run.build == nil && r.IntN(3) == 0
	run.reason = "GIT_REF_CHANGE"
	if run.pr {
		run.reason = "PULL_REQUEST_UPDATE"
	}
	status := ciRunStatus(r, run)
	steps := ciSteps(r, run, status)
	failAt := -1
	if status != "SUCCEEDED" && status != "SKIPPED" {
		failAt = r.IntN(len(steps))
	}
	at := ciRunActions(r, run, steps, failAt, status)
	run.finished = at.Add(time.Duration(10+r.IntN(50)) * time.Second)
	run.counts = sumCounts(run.actions, false)
	ciProgressAt(run, t, status)
}

// ciRunStatus is the outcome of a finished run: a run that produced a build succeeded.
func ciRunStatus(r *rand.Rand, run *ciRun) string {
	status := "SUCCEEDED"
	if run.build == nil {
		x := r.IntN(100)
		for _, c := range ciStatuses {
			if x < c.pct {
				status = c.status
				break
			}
			x -= c.pct
		}
	}
	return status
}

type ciStep struct{ name, typ string }

// ciSteps are the run's actions: build and test, sometimes analyze, archive for a run that
// produced a build; a SKIPPED run has none.
func ciSteps(r *rand.Rand, run *ciRun, status string) []ciStep {
	steps := []ciStep{{"Build - iOS", "BUILD"}, {"Test - iOS", "TEST"}}
	if r.IntN(2) == 0 || run.build != nil {
		steps = append(steps, ciStep{"Analyze - iOS", "ANALYZE"})
	}
	if run.build != nil {
		steps = append(steps, ciStep{"Archive - iOS", "ARCHIVE"})
	}
	if status == "SKIPPED" {
		steps = nil
	}
	return steps
}

// ciRunActions runs the steps one after the other from the run's start: the step at
// failAt ends with the run's status, the ones after it are SKIPPED. It returns when the
// last one finished.
func ciRunActions(r *rand.Rand, run *ciRun, steps []ciStep, failAt int, status string) time.Time {
	at := run.started
	for i, st := range steps {
		a := &ciAction{id: uuidOf("asc-ci-action", run.id, strconv.Itoa(i)), name: st.name, typ: st.typ, run: run}
		switch {
		case failAt >= 0 && i > failAt:
			a.status, a.started, a.finished = "SKIPPED", at, at
		default:
			a.started = at
			at = at.Add(time.Duration(60+r.IntN(600)) * time.Second)
			a.finished = at
			a.status = "SUCCEEDED"
			a.counts.warnings = r.IntN(8)
			if st.typ == "ANALYZE" {
				a.counts.analyzer = r.IntN(4)
			}
			if i == failAt {
				a.status = status
				if status == "FAILED" {
					if st.typ == "TEST" {
						a.counts.tests = 1 + r.IntN(5)
					} else {
						a.counts.errors = 1 + r.IntN(3)
					}
				}
			}
		}
		run.actions = append(run.actions, a)
	}
	return at
}

// sumCounts adds up the issue counts of actions (of the COMPLETE ones only, if asked).
func sumCounts(actions []*ciAction, completeOnly bool) ciCounts {
	var c ciCounts
	for _, a := range actions {
		if completeOnly && a.progress != "COMPLETE" {
			continue
		}
		c.analyzer += a.counts.analyzer
		c.errors += a.counts.errors
		c.tests += a.counts.tests
		c.warnings += a.counts.warnings
	}
	return c
}

// ciProgressAt is what the run and its actions show at t: PENDING before start, RUNNING
// before finish (no status, no finish date), COMPLETE with the outcome after.
func ciProgressAt(run *ciRun, t time.Time, status string) {
	switch {
	case t.Before(run.started):
		run.progress, run.finished = "PENDING", time.Time{}
	case t.Before(run.finished):
		run.progress, run.finished = "RUNNING", time.Time{}
	default:
		run.progress, run.status = "COMPLETE", status
	}
	for _, a := range run.actions {
		switch {
		case t.Before(a.started) || run.progress == "PENDING":
			a.progress, a.status, a.started, a.finished = "PENDING", "", time.Time{}, time.Time{}
		case t.Before(a.finished) || (run.progress != "COMPLETE" && a.status == "SKIPPED"):
			a.progress, a.status, a.finished = "RUNNING", "", time.Time{}
		default:
			a.progress = "COMPLETE"
		}
	}
	if run.progress != "COMPLETE" {
		// Issue counts of a run in progress are those of its completed actions.
		run.counts = sumCounts(run.actions, true)
	}
	for _, a := range run.actions {
		if a.progress != "COMPLETE" {
			a.counts = ciCounts{}
		}
	}
}

// TruthCIProduct is a ciProducts resource.
type TruthCIProduct struct{ ID, Name, Type, AppID string }

// TruthCIRun is a ciBuildRuns resource as served at Now.
type TruthCIRun struct {
	ID, ProductID                                    string
	Number                                           int
	Created                                          time.Time
	Progress, Status                                 string
	Errors, Warnings, AnalyzerWarnings, TestFailures int
	BuildIDs                                         []string
}

// TruthCIAction is a ciBuildActions resource as served at Now.
type TruthCIAction struct {
	ID, RunID, Name, Type, Progress, Status          string
	Errors, Warnings, AnalyzerWarnings, TestFailures int
}

// TruthXcodeCloud is everything the Xcode Cloud endpoints serve at Now (runs oldest first).
type TruthXcodeCloud struct {
	Products []TruthCIProduct
	Runs     []TruthCIRun
	Actions  []TruthCIAction
}

// TruthXcodeCloud returns the Xcode Cloud products, runs and actions visible at Now.
func (s *Server) TruthXcodeCloud() TruthXcodeCloud {
	now := s.now()
	var out TruthXcodeCloud
	for _, p := range s.ciProducts() {
		tp := TruthCIProduct{ID: p.id, Name: p.name, Type: p.typ}
		if p.a != nil {
			tp.AppID = appIDOf(p.a)
		}
		out.Products = append(out.Products, tp)
		for _, run := range s.ciRuns(p, now) {
			tr := TruthCIRun{ID: run.id, ProductID: p.id, Number: run.number, Created: run.created, Progress: run.progress,
				Status: run.status, Errors: run.counts.errors, Warnings: run.counts.warnings,
				AnalyzerWarnings: run.counts.analyzer, TestFailures: run.counts.tests}
			if run.build != nil {
				tr.BuildIDs = []string{run.build.id}
			}
			out.Runs = append(out.Runs, tr)
			for _, a := range run.actions {
				out.Actions = append(out.Actions, TruthCIAction{ID: a.id, RunID: run.id, Name: a.name, Type: a.typ,
					Progress: a.progress, Status: a.status, Errors: a.counts.errors, Warnings: a.counts.warnings,
					AnalyzerWarnings: a.counts.analyzer, TestFailures: a.counts.tests})
			}
		}
	}
	return out
}

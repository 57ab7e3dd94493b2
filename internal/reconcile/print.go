package reconcile

import (
	"fmt"
	"io"
	"math/big"
	"sort"
	"strings"
	"text/tabwriter"
)

// Summary is one check's outcome over its scopes.
type Summary struct {
	Check            Check
	Pass, Fail, Skip int
	// Result is fail when a scope failed, else pass when one passed, else skip.
	Result Outcome
	// Worst is the compared row with the largest difference relative to its expected
	// figure, failures first (nil when nothing was compared).
	Worst *Row
	// Reasons are the skip notes with the number of scopes each skipped, most first.
	Reasons []Reason
}

// Reason is one skip note and how many rows it skipped.
type Reason struct {
	Note  string
	Count int
}

// Summaries is one Summary per check, in check order.
func (r *Report) Summaries() []Summary {
	out := make([]Summary, 0, len(r.Checks))
	for _, c := range r.Checks {
		s := Summary{Check: c, Result: Skip}
		reasons := map[string]int{}
		for i := range r.Rows {
			x := &r.Rows[i]
			if x.Check != c.Name {
				continue
			}
			switch x.Result {
			case Pass:
				s.Pass++
			case Fail:
				s.Fail++
			case Skip:
				s.Skip++
				reasons[x.Note]++
				continue
			}
			if s.Worst == nil || worse(x, s.Worst) {
				s.Worst = x
			}
		}
		switch {
		case s.Fail > 0:
			s.Result = Fail
		case s.Pass > 0:
			s.Result = Pass
		}
		for n, k := range reasons {
			s.Reasons = append(s.Reasons, Reason{Note: n, Count: k})
		}
		sort.Slice(s.Reasons, func(i, j int) bool {
			a, b := s.Reasons[i], s.Reasons[j]
			return a.Count > b.Count || a.Count == b.Count && a.Note < b.Note
		})
		out = append(out, s)
	}
	return out
}

// worse orders compared rows: a failure before a pass, then by |difference| / max(|expected|, 1).
func worse(a, b *Row) bool {
	if (a.Result == Fail) != (b.Result == Fail) {
		return a.Result == Fail
	}
	return relDiff(a).Cmp(relDiff(b)) > 0
}

func relDiff(x *Row) *big.Rat {
	den := new(big.Rat).Abs(x.Expected)
	if den.Cmp(big.NewRat(1, 1)) < 0 {
		den = big.NewRat(1, 1)
	}
	return new(big.Rat).Quo(new(big.Rat).Abs(x.Difference), den)
}

// Print writes the checks table (one line per check: result, scopes passed/failed/skipped,
// tolerance and the largest difference with its figures), then every failed scope, the
// known differences of the failed checks and why scopes were skipped. all also lists every
// scope.
func (r *Report) Print(w io.Writer, all bool) {
	sums := r.Summaries()
	failed := 0
	for _, s := range sums {
		if s.Result == Fail {
			failed++
		}
	}
	fmt.Fprintf(w, "reconcile %s: %d checks, %d failed\n", r.RunID, len(sums), failed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tRESULT\tPASS\tFAIL\tSKIP\tTOLERANCE\tLARGEST DIFFERENCE\tEXPECTED\tACTUAL\tDIFFERENCE")
	for _, s := range sums {
		worst, e, a, d := "-", "", "", ""
		switch {
		case s.Worst != nil:
			x := s.Worst
			worst = scopeText(x) + " " + x.Measure
			e, a, d = FormatRat(x.Expected), FormatRat(x.Actual), signed(x.Difference)
		case len(s.Reasons) > 0:
			worst = "(" + s.Reasons[0].Note + ")"
		default:
			worst = "(" + s.Check.None + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", s.Check.Name, s.Result, s.Pass, s.Fail, s.Skip,
			s.Check.ToleranceText(), worst, e, a, d)
	}
	tw.Flush()
	if failed > 0 {
		fmt.Fprintln(w, "\nfailed:")
		r.printRows(w, func(x Row) bool { return x.Result == Fail })
		for _, s := range sums {
			if s.Result == Fail {
				fmt.Fprintf(w, "  %s: expected = %s, actual = %s. Known differences: %s.\n", s.Check.Name, s.Check.Expected, s.Check.Actual, s.Check.Known)
			}
		}
	}
	var skips []string
	for _, s := range sums {
		for _, x := range s.Reasons {
			skips = append(skips, fmt.Sprintf("  %s: %d × %s", s.Check.Name, x.Count, x.Note))
		}
	}
	if len(skips) > 0 {
		fmt.Fprintln(w, "\nskipped:")
		fmt.Fprintln(w, strings.Join(skips, "\n"))
	}
	if all {
		fmt.Fprintln(w, "\nevery scope:")
		r.printRows(w, func(Row) bool { return true })
	}
}

func (r *Report) printRows(w io.Writer, keep func(Row) bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  CHECK\tSCOPE\tMEASURE\tEXPECTED\tACTUAL\tDIFFERENCE\tALLOWED\tRESULT")
	for _, x := range r.Rows {
		if keep(x) {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Check, scopeText(&x), x.Measure, FormatRat(x.Expected),
				FormatRat(x.Actual), signed(x.Difference), FormatRat(x.Allowed), x.Result)
		}
	}
	tw.Flush()
}

// scopeText is "vendor=… fiscal_period=… <scope>".
func scopeText(x *Row) string {
	var parts []string
	if x.Vendor != "" {
		parts = append(parts, "vendor="+x.Vendor)
	}
	if x.FiscalPeriod != "" {
		parts = append(parts, x.FiscalPeriod)
	}
	if x.Scope != "" {
		parts = append(parts, x.Scope)
	}
	return strings.Join(parts, " ")
}

// signed writes a difference with its sign: +3, -0.5, 0.
func signed(r *big.Rat) string {
	if r == nil {
		return ""
	}
	s := FormatRat(r)
	if r.Sign() > 0 && s != "0" {
		return "+" + s
	}
	return s
}

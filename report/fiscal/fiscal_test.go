package fiscal

import (
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestKnownPeriods(t *testing.T) {
	tests := []struct {
		period     string
		start, end string
	}{
		// FINANCE_DETAIL requested as 2026-12 carried 08/30/2026 – 09/26/2026 (REFERENCE §B.1).
		{"2026-12", "2026-08-30", "2026-09-26"},
		{"2026-01", "2025-09-28", "2025-11-01"},
		// "2025-10 means July 2025".
		{"2025-10", "2025-06-29", "2025-08-02"},
		// "2020-06 returned the March 2020 report".
		{"2020-06", "2020-03-01", "2020-03-28"},
		// FY2023 has 53 weeks (2022-09-25 … 2023-09-30): period 3 takes the extra week.
		{"2023-03", "2022-11-27", "2022-12-31"},
		{"2023-04", "2023-01-01", "2023-02-04"},
	}
	for _, tc := range tests {
		p, err := Parse(tc.period)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Start.Format("2006-01-02"); got != tc.start {
			t.Errorf("%s start = %s, want %s", tc.period, got, tc.start)
		}
		if got := p.End.Format("2006-01-02"); got != tc.end {
			t.Errorf("%s end = %s, want %s", tc.period, got, tc.end)
		}
		if p.Start.Weekday() != time.Sunday || p.End.Weekday() != time.Saturday {
			t.Errorf("%s: not whole weeks", tc.period)
		}
	}
}

func TestContiguousAndOf(t *testing.T) {
	p, _ := Parse("2018-01")
	for i := 0; i < 12*12; i++ {
		n := p.Next()
		if !n.Start.Equal(p.End.AddDate(0, 0, 1)) {
			t.Fatalf("%s does not follow %s", n, p)
		}
		if n.Prev() != p {
			t.Fatalf("Prev(%s) = %s, want %s", n, n.Prev(), p)
		}
		for d := p.Start; !d.After(p.End); d = d.AddDate(0, 0, 1) {
			if got := Of(d); got != p {
				t.Fatalf("Of(%s) = %s, want %s", d.Format("2006-01-02"), got, p)
			}
		}
		p = n
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"2026-13", "2026-00", "202612", "2026-1", "abcd-01"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q): want error", s)
		}
	}
}

func TestAvailableFrom(t *testing.T) {
	p, _ := Parse("2026-12")
	if got := p.AvailableFrom().Format("2006-01-02"); got != "2026-10-02" {
		t.Errorf("AvailableFrom = %s, want 2026-10-02", got)
	}
}

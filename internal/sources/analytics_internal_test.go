package sources

import (
	"bytes"
	"compress/gzip"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

func gz(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

func TestVerifySegment(t *testing.T) {
	for _, c := range []struct {
		name string
		sg   anaSegment
		ok   bool
	}{
		{"both match", anaSegment{Size: 3, Checksum: "900150983cd24fb0d6963f7d28e17f72"}, true},
		{"upper-case checksum", anaSegment{Checksum: "900150983CD24FB0D6963F7D28E17F72"}, true},
		{"nothing to check", anaSegment{}, true},
		{"size mismatch", anaSegment{Size: 4}, false},
		{"checksum mismatch", anaSegment{Checksum: "900150983cd24fb0d6963f7d28e17f73"}, false},
	} {
		if err := verifySegment(c.sg, []byte("abc")); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestHasDataRow(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want bool
	}{
		{"header and row", gz("Date\tCounts\n2026-11-20\t3\n"), true},
		{"header only", gz("Date\tCounts\n"), false},
		{"header and blank lines", gz("\nDate\tCounts\n\n  \n"), false},
		{"empty file", gz(""), false},
		{"not gzip", []byte("Date\tCounts\n"), true},
	} {
		if got := hasDataRow(c.data); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func FuzzHasDataRow(f *testing.F) {
	f.Add([]byte("Date\tCounts\n2026-11-20\t3\n"))
	f.Add([]byte("Date\n"))
	f.Fuzz(func(t *testing.T, plain []byte) {
		lines := 0
		for _, l := range bytes.Split(plain, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines++
			}
		}
		if got := hasDataRow(gz(string(plain))); got != (lines >= 2) && len(plain) < 64<<10 {
			t.Errorf("%q: %v with %d non-blank lines", plain, got, lines)
		}
	})
}

func TestAnalyticsCatalog(t *testing.T) {
	c := analyticsKinds()
	if len(c.kinds) != len(schemas.AnalyticsReports()) {
		t.Fatalf("%d kinds for %d reports", len(c.kinds), len(schemas.AnalyticsReports()))
	}
	for _, k := range c.kinds {
		if got, ok := c.lookup("  " + k.Name + " "); !ok || got != k {
			t.Errorf("lookup %q", k.Name)
		}
		if c.byType[k.Table.Type] != k || k.Table.Mode != schemas.MergeByKey || k.Table.MergeKey() != schemas.AnalyticsInstanceID {
			t.Errorf("%s: type %s, mode %s, key %s", k.Name, k.Table.Type, k.Table.Mode, k.Table.MergeKey())
		}
		u := report.Unit{Family: report.Analytics, Type: k.Table.Type, SubType: accessOngoing, Frequency: report.Daily, Vendor: "123", Period: "2026-11-23"}
		if err := u.Validate(); err != nil || u.Table() != k.Table.Name {
			t.Errorf("%s: unit table %s (%v)", k.Name, u.Table(), err)
		}
	}
	if err := requestsUnit("123", time.Now()).Validate(); err != nil {
		t.Error(err)
	}
}

func TestInWindow(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	w := engine.Window{From: day("2026-11-10"), To: day("2026-11-12")}
	for per, want := range map[string]bool{"2026-11-09": false, "2026-11-10": true, "2026-11-12": true, "2026-11-13": false} {
		if got := anaInWindow(w, per); got != want {
			t.Errorf("%s: %v", per, got)
		}
	}
	if !anaInWindow(engine.Window{}, "2020-01-01") {
		t.Error("a run keeps every instance")
	}
}

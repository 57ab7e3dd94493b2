package benchrun

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestConvertOursSmoke(t *testing.T) {
	dir := t.TempDir()
	for _, table := range []string{TableSales, TableSubEvents} {
		in := filepath.Join(dir, table+".txt.gz")
		if err := Generate(in, table, 1000, 3); err != nil {
			t.Fatal(err)
		}
		tsv, err := TSVSize(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, prefetch := range []bool{false, true} {
			res, err := ConvertOurs(context.Background(), in, table, filepath.Join(dir, "out.parquet"), ConvertOptions{Prefetch: prefetch})
			if err != nil {
				t.Fatal(err)
			}
			if res.Rows != 1000 || res.TSVBytes != tsv || res.OutBytes == 0 {
				t.Fatalf("%s prefetch=%v: %+v (tsv %d)", table, prefetch, res, tsv)
			}
		}
	}
}

func TestFraction(t *testing.T) {
	for _, c := range []struct {
		req  int64
		sim  time.Duration
		want float64
	}{
		{3285, 3*time.Hour + 9*time.Minute, 3.0 / 3.15},
		{1000, 10 * time.Minute, 0}, // the limit never bound
		{1001, 2 * time.Hour, 0.5},
	} {
		p := Phase{Requests: c.req, SimElapsed: c.sim}
		if got := p.Fraction(1000); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("%d in %s: %v, want %v", c.req, c.sim, got, c.want)
		}
	}
}

func TestScaledClock(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &scaledClock{base: base, real0: time.Now(), scale: 3600}
	if err := c.sleep(context.Background(), 36*time.Second); err != nil { // 10 ms real
		t.Fatal(err)
	}
	if d := c.Now().Sub(base); d < 36*time.Second {
		t.Fatalf("clock advanced %s", d)
	}
	c.Add(24 * time.Hour)
	if d := c.Now().Sub(base); d < 24*time.Hour {
		t.Fatalf("Add: %s", d)
	}
}

package simulator

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ascetl/etl/report"
)

func TestPaymentsReport(t *testing.T) {
	e := newEnv(t, Options{})
	name, body, err := e.srv.PaymentsReport("2026-12")
	if err != nil {
		t.Fatal(err)
	}
	if name != "Payments_"+DefaultVendor+"_202612.csv" {
		t.Errorf("name %q", name)
	}
	ls := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if ls[0] != "\"iTunes Connect - Payments and Financial Reports\t(September, 2026)\"" || ls[1] != ",,,,,,,,,," || ls[3] != paymentsHeader {
		t.Fatalf("head %q", ls[:4])
	}
	var paid int64
	regions := 0
	for _, l := range ls[4:] {
		if strings.HasPrefix(l, ",") || strings.HasPrefix(l, "\"Paid to") {
			break
		}
		regions++
		rec, err := csv.NewReader(strings.NewReader(l)).Read()
		if err != nil || len(rec) != 11 || rec[10] != "EUR" {
			t.Fatalf("row %q: %q %v", l, rec, err)
		}
		name, cur, _ := strings.Cut(strings.TrimSuffix(rec[0], ")"), " (")
		cells := rec[1:]
		code := ""
		for c, n := range regionNames {
			if n == name && report.FinanceRegions[c] == cur {
				code = c
			}
		}
		tr, err := e.srv.Truth(report.Unit{Family: report.Finance, Type: "FINANCIAL", Region: code, Vendor: DefaultVendor, Period: "2026-12"}, "")
		if err != nil || tr.Status != 200 {
			t.Fatalf("%s: %+v %v", code, tr, err)
		}
		// Units are net of refunds; Earned is the region's net Extended Partner Share.
		if units, _ := strconv.ParseInt(strings.ReplaceAll(cells[0], ",", ""), 10, 64); units != tr.Units {
			t.Errorf("%s units %s, truth %d", code, cells[0], tr.Units)
		}
		if got := microOf(t, cells[1]); got != tr.Proceeds[cur] {
			t.Errorf("%s earned %s, truth %d", code, cells[1], tr.Proceeds[cur])
		}
		wht := microOf(t, cells[5])
		if (wht != 0) != (code == "JP" || code == "IN") || wht > 0 {
			t.Errorf("%s withholding %s", code, cells[5])
		}
		if microOf(t, cells[6]) != microOf(t, cells[2])+wht {
			t.Errorf("%s total owed %s", code, cells[6])
		}
		paid += microOf(t, cells[8])
	}
	tail := strings.Join(ls[4+regions:], "\n")
	want := ",,,,,,,,,,\"" + thousands(money(paid/10000, 2)) + "\" EUR"
	if regions < 10 || !strings.Contains(tail, want) || !strings.HasSuffix(tail, "\"Paid to "+paymentsBank+"\",,,,,,,,,,") {
		t.Errorf("%d regions; tail %q, want %q", regions, tail, want)
	}
	// Deterministic, and written for import.
	_, again, _ := e.srv.PaymentsReport("2026-12")
	path, err := e.srv.WritePaymentsReport(t.TempDir(), "2026-12")
	written, _ := os.ReadFile(path)
	if err != nil || string(again) != string(body) || string(written) != string(body) || filepath.Base(path) != name {
		t.Errorf("not deterministic or not written: %v", err)
	}
	for _, bad := range []string{"2027-02", "2026-13", "2015-06"} {
		if _, _, err := e.srv.PaymentsReport(bad); err == nil {
			t.Errorf("%s: want error", bad)
		}
	}
}

// microOf parses "-1,234.56" into micro-units.
func microOf(t *testing.T, s string) int64 {
	t.Helper()
	v, err := parseMicro(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

func TestThousands(t *testing.T) {
	for in, want := range map[string]string{"0": "0", "123": "123", "1234.50": "1,234.50", "-1234567": "-1,234,567", "-12.00": "-12.00"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%q) = %q, want %q", in, got, want)
		}
	}
}

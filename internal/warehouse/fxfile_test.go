package warehouse

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// rateString renders rates for comparison: currency from..to rate (6 significant digits).
func rateString(rs []Rate) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s %s..%s %.6g\n", r.Currency, r.ValidFrom.Format(time.DateOnly), r.ValidTo.Format(time.DateOnly), r.Rate)
	}
	return b.String()
}

func TestParseRates(t *testing.T) {
	tests := []struct {
		name, rc, file, want string
	}{
		{"long, days carry to the next date, at most 7 days", "USD",
			"date,currency,rate\n2026-11-02,EUR,1.08\n2026-11-05,EUR,1.10\n2026-11-05,JPY,0.0066\n\n",
			"EUR 2026-11-02..2026-11-04 1.08\nEUR 2026-11-05..2026-11-11 1.1\nJPY 2026-11-05..2026-11-11 0.0066\n"},
		{"long, months, columns in any order and case, BOM, CRLF", "USD",
			"\ufeffRate,Currency,DATE\r\n1.09,eur,2026-11\r\n0.0065,JPY,2026-10\r\n",
			"EUR 2026-11-01..2026-11-30 1.09\nJPY 2026-10-01..2026-10-31 0.0065\n"},
		{"long, rates into another base are triangulated, the reporting currency's own rows left out", "USD",
			"date,currency,rate,base\n2026-11-02,USD,0.92,EUR\n2026-11-02,JPY,0.0061,EUR\n2026-11-02,GBP,1.27,\n2026-11-03,JPY,0.0062,EUR\n",
			"GBP 2026-11-02..2026-11-08 1.27\nJPY 2026-11-02..2026-11-08 0.00663043\n"},
		{"ECB as published: per EUR, N/A, trailing comma, newest first, weekend carried", "USD",
			"Date,USD,JPY,CYP,\n2026-11-09,1.1000,165.00,N/A,\n2026-11-06,1.0800,162.00,,\n",
			"EUR 2026-11-06..2026-11-08 1.08\nEUR 2026-11-09..2026-11-15 1.1\nJPY 2026-11-06..2026-11-08 0.00666667\nJPY 2026-11-09..2026-11-15 0.00666667\n"},
		{"ECB into EUR", "EUR",
			"Date,USD,JPY,\n2026-11-06,1.0800,162.00,\n",
			"JPY 2026-11-06..2026-11-12 0.00617284\nUSD 2026-11-06..2026-11-12 0.925926\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := ParseRates("rates.csv", strings.NewReader(tt.file), tt.rc)
			if err != nil {
				t.Fatal(err)
			}
			if got := rateString(rs); got != tt.want {
				t.Errorf("got\n%swant\n%s", got, tt.want)
			}
		})
	}
}

func TestParseRatesErrors(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"empty", "", "rates.csv: empty file"},
		{"unknown header", "day,ccy,value\n", `rates.csv:1: header "day,ccy,value" is neither`},
		{"bad date", "date,currency,rate\n2026-11-02,EUR,1.08\n11/03/2026,EUR,1.1\n", "rates.csv:3: column 1 (date): \"11/03/2026\" is not a date"},
		{"bad currency", "date,currency,rate\n2026-11-02,EURO,1.08\n", "rates.csv:2: column 2 (currency): \"EURO\" is not a currency code"},
		{"zero rate", "date,rate,currency\n2026-11-02,0,EUR\n", "rates.csv:2: column 2 (rate): \"0\" is not a positive number"},
		{"negative rate", "date,currency,rate\n2026-11-02,EUR,-1\n", "column 3 (rate): \"-1\" is not a positive number"},
		{"duplicate", "date,currency,rate\n2026-11-02,EUR,1.08\n2026-11-02,EUR,1.09\n", "rates.csv:3: EUR into USD on 2026-11-02 is already on line 2"},
		{"bad base", "date,currency,rate,base\n2026-11-02,EUR,1.08,X\n", "column 4 (base): \"X\" is not a currency code"},
		{"nothing converts", "date,currency,rate,base\n2026-11-02,JPY,0.0061,EUR\n", "no rate converts into the reporting currency USD"},
		{"ECB bad cell", "Date,USD,JPY,\n2026-11-06,1.08,abc,\n", "rates.csv:2: column 3 (JPY): \"abc\" is not a positive number"},
		{"ECB bad currency", "Date,USD,Japanese Yen,\n", "rates.csv:1: column 3: \"JAPANESE YEN\" is not a currency code"},
		{"ECB bad date", "Date,USD,\nyesterday,1.08,\n", "rates.csv:2: column 1 (Date)"},
		{"broken quote", "date,currency,rate\n2026-11-02,\"EUR,1.08\n", "rates.csv: line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRates("rates.csv", strings.NewReader(tt.file), "USD")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func FuzzParseRates(f *testing.F) {
	for _, s := range []string{
		"date,currency,rate\n2026-11-02,EUR,1.08\n2026-11,JPY,0.0066\n",
		"date,currency,rate,base\n2026-11-02,USD,0.92,EUR\n2026-11-02,JPY,0.0061,EUR\n",
		"Date,USD,JPY,CYP,\n2026-11-09,1.1000,165.00,N/A,\n2026-11-06,1.0800,162.00,,\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := ParseRates("f.csv", strings.NewReader(s), "USD")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.csv") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		for _, r := range rs {
			if r.Currency == "USD" || !currencyRE.MatchString(r.Currency) || !(r.Rate > 0) || math.IsInf(r.Rate, 0) ||
				r.ValidTo.Before(r.ValidFrom) || r.ValidTo.Sub(r.ValidFrom) > 31*24*time.Hour {
				t.Errorf("bad rate %+v", r)
			}
		}
	})
}

package warehouse

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The user's rates file (config fx.rates_file), in one of two layouts told apart by the
// header:
//
//	date,currency,rate[,base]      one rate a line: the value of one unit of currency in base
//	2026-11-20,EUR,1.0871          (base: the reporting currency when the column is absent or
//	2026-11,JPY,0.00652            empty); columns by name, in any order, case-insensitive
//
//	Date,USD,JPY,BGN,...,          ECB's eurofxref-hist.csv as published: one line a day,
//	2026-11-20,1.0871,162.3,...    units of each currency per EUR, "N/A" or empty for none,
//	                               and the trailing comma ECB writes
//
// Decisions: a date is a day (YYYY-MM-DD) or a month (YYYY-MM, the whole calendar month).
// A day's rate applies from that day until the day before the currency's next rate in the
// file, at most 7 days (ECB publishes on working days only: weekends and holidays take the
// last rate before them). A rate into another base is converted into the reporting currency
// by triangulation with the reporting currency's own rate into that base on the same date
// (ECB: rate(C→R) = x_R / x_C); a date without it gives no rates. Lines the layout cannot
// read are errors naming the file, line and column: a rates file is small and made by hand.

// maxRatesBytes bounds the file (ECB's full history is about 1.5 MB).
const maxRatesBytes = 64 << 20

// maxCarryDays is how far a day's rate carries to the days after it without a rate.
const maxCarryDays = 7

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// rateLine is one rate as read, before triangulation.
type rateLine struct {
	line           int
	from, to       time.Time // the day, or the month's first and last day
	month          bool
	currency, base string
	rate           float64 // value of one unit of currency in base
}

// ParseRates reads a rates file named name and returns its rates into the reporting
// currency rc (rc's own rows left out), sorted by currency and date.
func ParseRates(name string, r io.Reader, rc string) ([]Rate, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRatesBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxRatesBytes {
		return nil, fmt.Errorf("%s: larger than %d MB", name, maxRatesBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file (want a header date,currency,rate or ECB's Date,USD,JPY,...)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, csvErr(err))
	}
	var lines []rateLine
	if long, cols := longLayout(header); long {
		lines, err = readLong(name, cr, cols)
	} else if strings.EqualFold(strings.TrimSpace(header[0]), "date") {
		lines, err = readECB(name, cr, header)
	} else {
		return nil, fmt.Errorf("%s:1: header %q is neither date,currency,rate nor ECB's Date,USD,JPY,...", name, strings.Join(header, ","))
	}
	if err != nil {
		return nil, err
	}
	return triangulate(name, lines, rc)
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return err
}

// longLayout finds date, currency, rate and base by name.
func longLayout(header []string) (bool, map[string]int) {
	cols := map[string]int{}
	for i, h := range header {
		cols[strings.ToLower(strings.TrimSpace(h))] = i
	}
	_, d := cols["date"]
	_, c := cols["currency"]
	_, r := cols["rate"]
	return d && c && r, cols
}

func readLong(name string, cr *csv.Reader, cols map[string]int) ([]rateLine, error) {
	var out []rateLine
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, csvErr(err))
		}
		line, _ := cr.FieldPos(0)
		if blankRecord(rec) {
			continue
		}
		cell := func(col string) (string, int) {
			i, ok := cols[col]
			if !ok || i >= len(rec) {
				return "", i + 1
			}
			return strings.TrimSpace(rec[i]), i + 1
		}
		l := rateLine{line: line}
		ds, dc := cell("date")
		if l.from, l.to, l.month, err = parseRateDate(ds); err != nil {
			return nil, fmt.Errorf("%s:%d: column %d (date): %v", name, line, dc, err)
		}
		cs, cc := cell("currency")
		if l.currency = strings.ToUpper(cs); !currencyRE.MatchString(l.currency) {
			return nil, fmt.Errorf("%s:%d: column %d (currency): %q is not a currency code (3 letters)", name, line, cc, cs)
		}
		rs, rcol := cell("rate")
		if l.rate, err = parseRate(rs); err != nil {
			return nil, fmt.Errorf("%s:%d: column %d (rate): %v", name, line, rcol, err)
		}
		if bs, bc := cell("base"); bs != "" {
			if l.base = strings.ToUpper(bs); !currencyRE.MatchString(l.base) {
				return nil, fmt.Errorf("%s:%d: column %d (base): %q is not a currency code (3 letters)", name, line, bc, bs)
			}
		}
		out = append(out, l)
	}
}

func readECB(name string, cr *csv.Reader, header []string) ([]rateLine, error) {
	curs := make([]string, len(header))
	for i, h := range header[1:] {
		h = strings.ToUpper(strings.TrimSpace(h))
		if h == "" {
			continue // ECB ends every line with a comma
		}
		if !currencyRE.MatchString(h) {
			return nil, fmt.Errorf("%s:1: column %d: %q is not a currency code (ECB layout: Date,USD,JPY,...)", name, i+2, h)
		}
		curs[i+1] = h
	}
	var out []rateLine
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, csvErr(err))
		}
		line, _ := cr.FieldPos(0)
		if blankRecord(rec) {
			continue
		}
		from, to, month, err := parseRateDate(strings.TrimSpace(rec[0]))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: column 1 (Date): %v", name, line, err)
		}
		out = append(out, rateLine{line: line, from: from, to: to, month: month, currency: "EUR", base: "EUR", rate: 1})
		for i := 1; i < len(rec) && i < len(curs); i++ {
			v := strings.TrimSpace(rec[i])
			if curs[i] == "" || v == "" || strings.EqualFold(v, "N/A") {
				continue
			}
			perEUR, err := parseRate(v)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: column %d (%s): %v", name, line, i+1, curs[i], err)
			}
			out = append(out, rateLine{line: line, from: from, to: to, month: month, currency: curs[i], base: "EUR", rate: 1 / perEUR})
		}
	}
}

func blankRecord(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func parseRateDate(s string) (from, to time.Time, month bool, err error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d, d, false, nil
	}
	if m, err := time.Parse("2006-01", s); err == nil {
		return m, m.AddDate(0, 1, -1), true, nil
	}
	return time.Time{}, time.Time{}, false, fmt.Errorf("%q is not a date YYYY-MM-DD or a month YYYY-MM", s)
}

func parseRate(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 || v > 1e12 || v != v {
		return 0, fmt.Errorf("%q is not a positive number", s)
	}
	return v, nil
}

// triangulate converts every line into rc and sets the validity ranges.
func triangulate(name string, lines []rateLine, rc string) ([]Rate, error) {
	type key struct {
		date     time.Time
		month    bool
		currency string
		base     string
	}
	seen := map[key]int{}
	own := map[key]float64{} // rc's rate into a base on a date (currency field unused)
	for i := range lines {
		l := &lines[i]
		if l.base == "" {
			l.base = rc
		}
		k := key{l.from, l.month, l.currency, l.base}
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("%s:%d: %s into %s on %s is already on line %d", name, l.line, l.currency, l.base,
				l.from.Format(time.DateOnly), prev)
		}
		seen[k] = l.line
		if l.currency == rc {
			own[key{l.from, l.month, "", l.base}] = l.rate
		}
	}
	var out []Rate
	for _, l := range lines {
		if l.currency == rc {
			continue
		}
		rate := l.rate
		if l.base != rc {
			d, ok := own[key{l.from, l.month, "", l.base}]
			if !ok {
				continue // no rate of rc into this base that day: nothing to convert with
			}
			rate = l.rate / d
		}
		out = append(out, Rate{Currency: l.currency, Rate: rate, ValidFrom: l.from, ValidTo: l.to, SourceDate: l.from})
	}
	if len(out) == 0 && len(lines) > 0 {
		return nil, fmt.Errorf("%s: no rate converts into the reporting currency %s (the file needs %s itself, or rates into %s)", name, rc, rc, rc)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Currency != out[j].Currency {
			return out[i].Currency < out[j].Currency
		}
		return out[i].ValidFrom.Before(out[j].ValidFrom) || (out[i].ValidFrom.Equal(out[j].ValidFrom) && out[i].ValidTo.After(out[j].ValidTo))
	})
	// A day's rate carries until the currency's next day rate, at most maxCarryDays.
	for i := range out {
		if out[i].ValidTo.After(out[i].ValidFrom) {
			continue // a month
		}
		end := out[i].ValidFrom.AddDate(0, 0, maxCarryDays-1)
		for j := i + 1; j < len(out) && out[j].Currency == out[i].Currency; j++ {
			if out[j].ValidFrom.After(out[i].ValidFrom) && out[j].ValidFrom.Equal(out[j].ValidTo) {
				if next := out[j].ValidFrom.AddDate(0, 0, -1); next.Before(end) {
					end = next
				}
				break
			}
		}
		out[i].ValidTo = end
	}
	return out, nil
}

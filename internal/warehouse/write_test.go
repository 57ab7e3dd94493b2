package warehouse

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

func dec(unscaled int64, scale uint8) duckdb.Decimal {
	return duckdb.Decimal{Width: 38, Scale: scale, Value: big.NewInt(unscaled)}
}

func TestFormatDecimal(t *testing.T) {
	huge, _ := new(big.Int).SetString("-12345678901234567890123456789012", 10)
	tests := []struct {
		d    duckdb.Decimal
		want string
	}{
		{dec(3300000, 6), "3.300000"},
		{dec(0, 6), "0.000000"},
		{dec(1, 6), "0.000001"},
		{dec(-1, 6), "-0.000001"},
		{dec(-400000, 6), "-0.400000"},
		{dec(123, 0), "123"},
		{dec(-5, 1), "-0.5"},
		{duckdb.Decimal{Width: 38, Scale: 6, Value: huge}, "-12345678901234567890123456.789012"},
	}
	for _, tt := range tests {
		if got := FormatDecimal(tt.d); got != tt.want {
			t.Errorf("FormatDecimal(%v/10^%d) = %q, want %q", tt.d.Value, tt.d.Scale, got, tt.want)
		}
	}
}

// sample is a hand-made result covering the value types Write must handle.
func sample() *Result {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	ts := time.Date(2026, 11, 1, 12, 30, 45, 123456000, time.UTC)
	return &Result{
		Columns: []string{"report_date", "title", "units", "proceeds", "extracted_at", "ratio"},
		Types:   []string{"DATE", "VARCHAR", "BIGINT", "DECIMAL(38,6)", "TIMESTAMP WITH TIME ZONE", "DOUBLE"},
		Rows: [][]any{
			{day, "Fancy, \"App\"", int64(11), dec(6600000, 6), ts, 0.5},
			{day, nil, int64(-1), dec(-700000, 6), nil, nil},
		},
	}
}

func TestWrite(t *testing.T) {
	tests := []struct {
		format, want string
	}{
		{"table", `report_date  title         units   proceeds  extracted_at                 ratio
-----------  ------------  -----  ---------  ---------------------------  -----
2026-11-01   Fancy, "App"     11   6.600000  2026-11-01T12:30:45.123456Z    0.5
2026-11-01   NULL             -1  -0.700000  NULL                          NULL
(2 rows)
`},
		{"csv", `report_date,title,units,proceeds,extracted_at,ratio
2026-11-01,"Fancy, ""App""",11,6.600000,2026-11-01T12:30:45.123456Z,0.5
2026-11-01,,-1,-0.700000,,
`},
		{"json", `[
  {"report_date": "2026-11-01", "title": "Fancy, \"App\"", "units": 11, "proceeds": "6.600000", "extracted_at": "2026-11-01T12:30:45.123456Z", "ratio": 0.5},
  {"report_date": "2026-11-01", "title": null, "units": -1, "proceeds": "-0.700000", "extracted_at": null, "ratio": null}
]
`},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := Write(&b, sample(), tt.format); err != nil {
			t.Fatalf("%s: %v", tt.format, err)
		}
		if b.String() != tt.want {
			t.Errorf("%s:\n got:\n%s\nwant:\n%s", tt.format, b.String(), tt.want)
		}
	}
	if err := Write(&bytes.Buffer{}, sample(), "xml"); err == nil || !strings.Contains(err.Error(), "table, csv, json") {
		t.Errorf("unknown format: err = %v", err)
	}
}

func TestWriteEmpty(t *testing.T) {
	r := &Result{Columns: []string{"a", "bb"}, Types: []string{"INTEGER", "VARCHAR"}}
	for format, want := range map[string]string{
		"table": "a  bb\n-  --\n(0 rows)\n",
		"csv":   "a,bb\n",
		"json":  "[]\n",
	} {
		var b bytes.Buffer
		if err := Write(&b, r, format); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("%s: got %q, want %q", format, b.String(), want)
		}
	}
}

// TestWriteFromDuckDB checks the values duckdb-go really returns: decimal sums
// that a float would get wrong, dates, timestamps, HUGEINT, NULL, nested.
func TestWriteFromDuckDB(t *testing.T) {
	db := openMem(t)
	r, err := db.Query(context.Background(), `SELECT
  sum(x) AS s,
  sum(x)::DOUBLE AS f,
  DATE '2026-11-01' AS d,
  TIMESTAMPTZ '2026-11-01 12:30:45.5+00' AS ts,
  sum(2::BIGINT) AS h,
  NULL::DECIMAL(18,6) AS n,
  [DATE '2026-01-02'] AS l,
  '7b3c2ca1-8d47-4c3c-9a9f-5c3f4a2b1c0d'::UUID AS u
FROM (VALUES (0.1::DECIMAL(18,6)), (0.2::DECIMAL(18,6)), (3.0::DECIMAL(18,6))) AS t(x)`)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Rows[0][0].(duckdb.Decimal); !ok {
		t.Fatalf("DECIMAL scanned as %T", r.Rows[0][0])
	}
	var b bytes.Buffer
	if err := Write(&b, r, "csv"); err != nil {
		t.Fatal(err)
	}
	want := "s,f,d,ts,h,n,l,u\n3.300000,3.3,2026-11-01,2026-11-01T12:30:45.5Z,6,,\"[\"\"2026-01-02\"\"]\",7b3c2ca1-8d47-4c3c-9a9f-5c3f4a2b1c0d\n"
	if b.String() != want {
		t.Errorf("csv:\n got %q\nwant %q", b.String(), want)
	}
	b.Reset()
	if err := Write(&b, r, "json"); err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	if err := json.Unmarshal(b.Bytes(), &objs); err != nil {
		t.Fatalf("json output does not parse: %v\n%s", err, b.String())
	}
	if got := objs[0]["s"]; got != "3.300000" {
		t.Errorf("json decimal = %#v, want the string \"3.300000\"", got)
	}
	if got := objs[0]["d"]; got != "2026-11-01" {
		t.Errorf("json date = %#v", got)
	}
	b.Reset()
	if err := Write(&b, r, "table"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "3.300000") {
		t.Errorf("table lacks the exact decimal:\n%s", b.String())
	}
}

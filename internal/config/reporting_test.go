package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	etl "github.com/ascetl/etl"
)

func TestReportingDefaults(t *testing.T) {
	c, err := Parse("config.yaml", etl.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if c.ReportingCurrency != "USD" || c.Parquet.Compression != "zstd" || c.FX.RatesFile != "" {
		t.Errorf("defaults: reporting_currency %q, parquet.compression %q, fx.rates_file %q",
			c.ReportingCurrency, c.Parquet.Compression, c.FX.RatesFile)
	}
}

func TestReportingSettings(t *testing.T) {
	dir := t.TempDir()
	rates := filepath.Join(dir, "rates.csv")
	if err := os.WriteFile(rates, []byte("date,currency,rate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, yaml string
		currency   string
		codec      string
		wantErr    []string
	}{
		{"lower case is normalised", "reporting_currency: eur\nparquet:\n  compression: Snappy\n", "EUR", "snappy", nil},
		{"rates file", "fx:\n  rates_file: " + rates + "\n", "USD", "zstd", nil},
		{"unknown currency", "reporting_currency: EURO\n", "", "", []string{"line 1: reporting_currency", `"EURO" must be an ISO 4217`}},
		{"not a currency", "reporting_currency: XYZ\n", "", "", []string{"reporting_currency", "ISO 4217"}},
		{"bad codec", "parquet:\n  compression: lzo\n", "", "", []string{"line 2: parquet.compression", "zstd, snappy, gzip, none"}},
		{"missing rates file", "fx:\n  rates_file: " + filepath.Join(dir, "none.csv") + "\n", "", "", []string{"line 2: fx.rates_file", "none.csv"}},
		{"rates file is a directory", "fx:\n  rates_file: " + dir + "\n", "", "", []string{"fx.rates_file", "is a directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("x.yml", []byte(tt.yaml+"vendor_number: \"85012345\"\n"))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q:\n%v", w, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.ReportingCurrency != tt.currency || c.Parquet.Compression != tt.codec {
				t.Errorf("got %q %q, want %q %q", c.ReportingCurrency, c.Parquet.Compression, tt.currency, tt.codec)
			}
		})
	}
}

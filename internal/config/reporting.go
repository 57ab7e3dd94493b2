package config

import (
	"os"
	"slices"
	"strings"
)

// FX configures the exchange rates into the reporting currency (README "Reporting
// currency"). Rates come, in order of preference, from Apple's Payments reports
// (finance_payments), from RatesFile, and from rates implied by the analytics "Proceeds In
// USD" where they overlap with sales proceeds.
type FX struct {
	// RatesFile is a CSV of rates the user gives: "date,currency,rate" (rate = value of one
	// unit of currency in the reporting currency; an optional fourth column "base" names
	// another currency the rates convert into), or ECB's eurofxref-hist.csv as published
	// (Date,USD,JPY,… with the units of each currency per EUR). Empty: none. A relative
	// path is taken from the working directory, like api.key_path.
	RatesFile string `yaml:"rates_file"`
}

// Parquet configures the Parquet files the loader and the marts write.
type Parquet struct {
	// Compression is the codec of every Parquet file written: zstd (default), snappy,
	// gzip or none. Readers without zstd support (some older BI tools) need snappy.
	Compression string `yaml:"compression"`
}

// Compressions lists the accepted parquet.compression values.
var Compressions = []string{"zstd", "snappy", "gzip", "none"}

func (c *Config) defaultsReporting() {
	c.ReportingCurrency = strings.ToUpper(strings.TrimSpace(c.ReportingCurrency))
	def(&c.ReportingCurrency, "USD")
	c.Parquet.Compression = strings.ToLower(strings.TrimSpace(c.Parquet.Compression))
	def(&c.Parquet.Compression, "zstd")
}

func (c *Config) validateReporting(add func(string, string, ...any)) {
	if !IsCurrency(c.ReportingCurrency) {
		add("reporting_currency", "%q must be an ISO 4217 currency code such as USD, EUR or JPY", c.ReportingCurrency)
	}
	if !slices.Contains(Compressions, c.Parquet.Compression) {
		add("parquet.compression", "%q must be one of %s", c.Parquet.Compression, strings.Join(Compressions, ", "))
	}
	if f := c.FX.RatesFile; f != "" {
		if st, err := os.Stat(f); err != nil {
			add("fx.rates_file", "%v", err)
		} else if st.IsDir() {
			add("fx.rates_file", "%q is a directory, not a CSV file", f)
		}
	}
}

// IsCurrency reports whether code is an active ISO 4217 alphabetic currency code.
func IsCurrency(code string) bool {
	_, ok := iso4217[code]
	return ok
}

// iso4217 holds the active ISO 4217 alphabetic codes (list one, 2024), funds and precious
// metals left out: every currency Apple pays or prices in is among them.
var iso4217 = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, c := range strings.Fields(`
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR
ZMW ZWG`) {
		m[c] = struct{}{}
	}
	return m
}()

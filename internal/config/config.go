// Package config decodes and validates config.yaml. Decoding is strict (an unknown key is an
// error), defaults are applied, and then every value is validated with a message that names
// the file, the line and the field, so mistakes surface before any request is made.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	etl "github.com/ascetl/etl"
	"github.com/ascetl/etl/internal/blobs/bucketurl"
	"github.com/ascetl/etl/report"
)

// SimulatorURL is the api.base_url that selects the embedded App Store Connect simulator.
const SimulatorURL = "simulator"

// Config is the whole configuration file.
type Config struct {
	API          API        `yaml:"api"`
	VendorNumber string     `yaml:"vendor_number"`
	Accounts     []Account  `yaml:"accounts"` // several accounts (accounts.go); replaces api keys and vendor_number
	Storage      Storage    `yaml:"storage"`
	Sales        Sales      `yaml:"sales"`
	Finance      Finance    `yaml:"finance"`
	Reviews      Reviews    `yaml:"reviews"`
	Metrics      Metrics    `yaml:"metrics"`
	Analytics    Analytics  `yaml:"analytics"`
	Catalog      Catalog    `yaml:"catalog"`
	TestFlight   TestFlight `yaml:"testflight"`
	XcodeCloud   XcodeCloud `yaml:"xcode_cloud"`
	Schedule     Schedule   `yaml:"schedule"`
	Lock         Lock       `yaml:"lock"`
	Freshness    Freshness  `yaml:"freshness"`
	Simulator    Simulator  `yaml:"simulator"`
	Log          Log        `yaml:"log"`
	// ReportingCurrency is the one currency the money marts convert into (reporting.go).
	ReportingCurrency string  `yaml:"reporting_currency"`
	FX                FX      `yaml:"fx"`
	Parquet           Parquet `yaml:"parquet"`

	file string     // where it was read from, for messages
	root *yaml.Node // for line numbers
}

// API is how to reach App Store Connect.
type API struct {
	BaseURL        string   `yaml:"base_url"`
	IssuerID       string   `yaml:"issuer_id"`
	KeyID          string   `yaml:"key_id"`
	KeyPath        string   `yaml:"key_path"`
	KeyEnv         string   `yaml:"key_env"`
	MaxConcurrency int      `yaml:"max_concurrency"`
	MaxAttempts    int      `yaml:"max_attempts"`
	Timeout        Duration `yaml:"timeout"`
	BudgetReserve  int      `yaml:"budget_reserve"`
	MaxBudgetWait  Duration `yaml:"max_budget_wait"`
}

// Storage is where data goes.
type Storage struct {
	Bucket string `yaml:"bucket"`
	DuckDB string `yaml:"duckdb"`
}

// Sales configures the Sales and Trends family.
type Sales struct {
	Enabled      bool          `yaml:"enabled"`
	Start        string        `yaml:"start"`
	InitialDays  int           `yaml:"initial_days"`
	LookbackDays int           `yaml:"lookback_days"`
	Reports      []SalesReport `yaml:"reports"`
}

// SalesReport is one report kind to pull.
type SalesReport struct {
	Type      string `yaml:"type"`
	SubType   string `yaml:"sub_type"`
	Frequency string `yaml:"frequency"`
	Version   string `yaml:"version"`
}

// Finance configures the finance family.
type Finance struct {
	Enabled         bool     `yaml:"enabled"`
	Regions         []string `yaml:"regions"`
	Detail          bool     `yaml:"detail"`
	Start           string   `yaml:"start"`
	InitialPeriods  int      `yaml:"initial_periods"`
	LookbackPeriods int      `yaml:"lookback_periods"`
	// EmptyAfterDays: Apple answers "no sales" both for a fiscal month with no sales and for
	// one not published yet; after this many days past the expected publication date the
	// answer is taken as final (empty) instead of pending.
	EmptyAfterDays int `yaml:"empty_after_days"`
}

// Reviews configures customer reviews and developer responses.
type Reviews struct {
	Enabled bool `yaml:"enabled"`
	// Apps are App Apple IDs. Empty means every app the key can see (GET /v1/apps).
	Apps []string `yaml:"apps"`
	// OverlapDays: an incremental run re-reads reviews this far behind the newest one
	// loaded, which also refreshes responses added or edited since.
	OverlapDays int `yaml:"overlap_days"`
	PageSize    int `yaml:"page_size"`
}

// Metrics configures power and performance metrics and diagnostics.
type Metrics struct {
	Enabled bool `yaml:"enabled"`
	// Apps are App Apple IDs; empty means reviews.apps, and when that is empty too,
	// every app the key can see (GET /v1/apps).
	Apps []string `yaml:"apps"`
	// Builds is how many of each app's most recent builds get build metrics and diagnostics.
	Builds      int  `yaml:"builds"`
	Diagnostics bool `yaml:"diagnostics"`
}

// Simulator configures the embedded simulator (api.base_url: simulator).
type Simulator struct {
	Seed      int64    `yaml:"seed"`
	RateLimit int      `yaml:"rate_limit"`
	Latency   Duration `yaml:"latency"`
	// Faults is a storm of HTTP-level faults injected into every request, e.g.
	// "500=0.2,429=0.1,reset=0.05,truncate=0.05" (simulator.ParseStorm); "" = none.
	Faults string `yaml:"faults"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Duration decodes "90s", "2m".
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (use e.g. 90s or 2m)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Error lists every problem found in a configuration.
type Error struct {
	File     string
	Problems []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %d problem(s):\n  %s", e.File, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Load reads and validates a configuration file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes strictly, applies defaults and validates. name is used in messages.
//
// Defaults: the file is decoded over config.yaml as shipped (etl.DefaultConfig), the way
// Prometheus decodes over its DefaultConfig, so a key left out has the value the shipped
// file gives it (families on, Apple's report list, lookbacks, the lock), and a partial file
// with a few keys runs. Lists given replace the shipped ones; maps (freshness) add to them.
// The one default that is never taken for the real API is the simulator's vendor number.
func Parse(name string, data []byte) (*Config, error) {
	c := &Config{file: name}
	if err := yaml.Unmarshal(etl.DefaultConfig, c); err != nil {
		return nil, fmt.Errorf("the shipped config.yaml: %w", err) // a build defect, caught by its test
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{File: name, Problems: yamlMsg(data, nil, err)}
	}
	c.root = &root
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{File: name, Problems: yamlMsg(data, &root, err)}
	}
	c.applyDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// File is the path the configuration was read from.
func (c *Config) File() string { return c.file }

// UsesSimulator reports whether the embedded simulator is the API.
func (c *Config) UsesSimulator() bool { return c.API.BaseURL == SimulatorURL }

func (c *Config) applyDefaults() {
	def(&c.API.BaseURL, SimulatorURL)
	def(&c.API.KeyEnv, "ASC_PRIVATE_KEY")
	def(&c.API.MaxConcurrency, 4)
	def(&c.API.MaxAttempts, 6)
	def(&c.API.Timeout, Duration(2*time.Minute))
	def(&c.Storage.Bucket, "file://./data?metadata=skip")
	def(&c.Storage.DuckDB, "./data/asc.duckdb")
	def(&c.Sales.InitialDays, 14)
	def(&c.Finance.InitialPeriods, 3)
	def(&c.Finance.EmptyAfterDays, 14)
	def(&c.Reviews.OverlapDays, 7)
	def(&c.Reviews.PageSize, 200)
	def(&c.Metrics.Builds, 3)
	def(&c.Simulator.Seed, 1)
	def(&c.Simulator.RateLimit, 3500)
	def(&c.Log.Level, "info")
	def(&c.Log.Format, "auto")
	c.defaultsAnalytics()
	c.defaultsCatalog()
	c.defaultsOps()
	c.defaultsReporting()
	for i := range c.Sales.Reports {
		r := &c.Sales.Reports[i]
		r.Type, r.SubType, r.Frequency = strings.ToUpper(r.Type), strings.ToUpper(r.SubType), strings.ToUpper(r.Frequency)
		if r.Frequency == "" {
			r.Frequency = report.Daily
		}
	}
	for i, r := range c.Finance.Regions {
		c.Finance.Regions[i] = strings.ToUpper(r)
	}
}

// def sets *p to v when *p is the zero value.
func def[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

var (
	uuidRE    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	keyIDRE   = regexp.MustCompile(`^[A-Z0-9]{10}$`)
	versionRE = regexp.MustCompile(`^[0-9]+_[0-9]+$`)
)

func (c *Config) validate() error {
	var probs []string
	add := func(path, format string, args ...any) {
		probs = append(probs, fmt.Sprintf("%s: %s", c.where(path), fmt.Sprintf(format, args...)))
	}
	if !c.MultiAccount() {
		if _, set := c.find("vendor_number"); !set && !c.UsesSimulator() {
			add("vendor_number", "the real API needs your vendor number (Payments and Financial Reports shows it), "+
				"e.g. vendor_number: \"85012345\" at the top level")
		} else if !report.ValidVendor(c.VendorNumber) {
			add("vendor_number", "%q must be your vendor number, digits only (Payments and Financial Reports shows it)", c.VendorNumber)
		}
	}
	c.validateAccounts(add)
	if !c.UsesSimulator() && !strings.HasPrefix(c.API.BaseURL, "https://") && !strings.HasPrefix(c.API.BaseURL, "http://") {
		add("api.base_url", "%q must be %q or an http(s) URL such as https://api.appstoreconnect.apple.com", c.API.BaseURL, SimulatorURL)
	}
	if !c.UsesSimulator() && !c.MultiAccount() {
		if !uuidRE.MatchString(c.API.IssuerID) {
			add("api.issuer_id", "%q must be the issuer id (a UUID) from App Store Connect > Users and Access > Integrations", c.API.IssuerID)
		}
		if !keyIDRE.MatchString(c.API.KeyID) {
			add("api.key_id", "%q must be the 10-character key id of the team API key", c.API.KeyID)
		}
		if c.API.KeyPath == "" && os.Getenv(c.API.KeyEnv) == "" {
			add("api.key_path", "set the path of the .p8 key, or put the key in the environment variable %s", c.API.KeyEnv)
		}
	}
	if c.API.MaxConcurrency < 1 || c.API.MaxConcurrency > 32 {
		add("api.max_concurrency", "%d must be between 1 and 32", c.API.MaxConcurrency)
	}
	if c.API.MaxAttempts < 1 || c.API.MaxAttempts > 20 {
		add("api.max_attempts", "%d must be between 1 and 20", c.API.MaxAttempts)
	}
	if c.API.BudgetReserve < 0 {
		add("api.budget_reserve", "%d must not be negative", c.API.BudgetReserve)
	}
	c.validateDurations(add)
	if _, err := bucketurl.Parse(c.Storage.Bucket); err != nil {
		add("storage.bucket", "%v (examples: file://./data?metadata=skip, s3://bucket/prefix?region=eu-west-1, gs://bucket, azblob://container)", err)
	}
	c.validateSales(add)
	c.validateFinance(add)
	c.validateReviews(add)
	c.validateMetrics(add)
	c.validateAnalytics(add)
	c.validateCatalog(add)
	c.validateOps(add)
	c.validateReporting(add)
	if c.Simulator.RateLimit < 1 {
		add("simulator.rate_limit", "%d must be positive", c.Simulator.RateLimit)
	}
	c.validateSimulator(add)
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "%q must be debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "auto", "text", "json":
	default:
		add("log.format", "%q must be auto, text or json", c.Log.Format)
	}
	if len(probs) > 0 {
		return &Error{File: c.file, Problems: probs}
	}
	return nil
}

func (c *Config) validateSales(add func(string, string, ...any)) {
	if c.Sales.InitialDays < 1 || c.Sales.InitialDays > 366 {
		add("sales.initial_days", "%d must be between 1 and 366 (Apple keeps daily reports for one year)", c.Sales.InitialDays)
	}
	if c.Sales.LookbackDays < 0 || c.Sales.LookbackDays > 60 {
		add("sales.lookback_days", "%d must be between 0 and 60", c.Sales.LookbackDays)
	}
	if c.Sales.Start != "" {
		if _, err := time.Parse("2006-01-02", c.Sales.Start); err != nil {
			add("sales.start", "%q must be a date YYYY-MM-DD", c.Sales.Start)
		}
	}
	if c.Sales.Enabled && len(c.Sales.Reports) == 0 {
		add("sales.reports", "sales is enabled but lists no reports")
	}
	seen := map[string]int{}
	for i, r := range c.Sales.Reports {
		p := fmt.Sprintf("sales.reports[%d]", i)
		combo, ok := report.LookupCombo(r.Type, r.SubType, r.Frequency)
		if !ok {
			add(p, "%s/%s/%s is not a report Apple publishes (valid: %s)", r.Type, r.SubType, r.Frequency, validFor(r.Type))
			continue
		}
		if r.Version != "" && !versionRE.MatchString(r.Version) {
			add(p+".version", "%q must look like 1_0 (Apple documents %s for this report)", r.Version, strings.Join(combo.Versions, ", "))
		}
		key := r.Type + "/" + r.SubType + "/" + r.Frequency
		if j, dup := seen[key]; dup {
			add(p, "%s is already listed as sales.reports[%d]", key, j)
		}
		seen[key] = i
	}
}

func validFor(typ string) string {
	var out []string
	for _, c := range report.SalesCombos {
		if c.Type == typ {
			out = append(out, c.SubType+"/"+c.Frequency)
		}
	}
	if len(out) == 0 {
		types := map[string]bool{}
		for _, c := range report.SalesCombos {
			types[c.Type] = true
		}
		for t := range types {
			out = append(out, t)
		}
		sort.Strings(out)
		return "report types " + strings.Join(out, ", ")
	}
	return strings.Join(out, ", ")
}

func (c *Config) validateFinance(add func(string, string, ...any)) {
	f := c.Finance
	if f.Enabled && len(f.Regions) == 0 && !f.Detail {
		add("finance.regions", "finance is enabled but lists no regions and detail is off")
	}
	for i, r := range f.Regions {
		if _, ok := report.FinanceRegions[r]; !ok || r == "Z1" {
			add(fmt.Sprintf("finance.regions[%d]", i), "%q is not a finance region code (ZZ for all regions in one file, or US, EU, JP, …)", r)
		}
	}
	if f.InitialPeriods < 1 || f.InitialPeriods > 120 {
		add("finance.initial_periods", "%d must be between 1 and 120", f.InitialPeriods)
	}
	if f.LookbackPeriods < 0 || f.LookbackPeriods > 12 {
		add("finance.lookback_periods", "%d must be between 0 and 12", f.LookbackPeriods)
	}
	if f.Start != "" {
		if _, err := time.Parse("2006-01-02", f.Start); err != nil {
			add("finance.start", "%q must be a date YYYY-MM-DD", f.Start)
		}
	}
}

func (c *Config) validateReviews(add func(string, string, ...any)) {
	r := c.Reviews
	validateApps(add, "reviews.apps", r.Apps)
	if r.OverlapDays < 0 || r.OverlapDays > 365 {
		add("reviews.overlap_days", "%d must be between 0 and 365", r.OverlapDays)
	}
	if r.PageSize < 1 || r.PageSize > 200 {
		add("reviews.page_size", "%d must be between 1 and 200 (Apple's maximum)", r.PageSize)
	}
}

func (c *Config) validateMetrics(add func(string, string, ...any)) {
	m := c.Metrics
	validateApps(add, "metrics.apps", m.Apps)
	if m.Builds < 0 || m.Builds > 50 {
		add("metrics.builds", "%d must be between 0 and 50", m.Builds)
	}
}

// validateApps checks a list of App Apple IDs: digits, no repeats.
func validateApps(add func(string, string, ...any), path string, apps []string) {
	seen := map[string]bool{}
	for i, a := range apps {
		p := fmt.Sprintf("%s[%d]", path, i)
		if !report.ValidVendor(a) {
			add(p, "%q must be an App Apple ID, digits only", a)
		}
		if seen[a] {
			add(p, "%q is listed twice", a)
		}
		seen[a] = true
	}
}

package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/simulator"
)

// exampleConfig writes examples/two-accounts.yaml with its bucket and DuckDB file in dir.
func exampleConfig(t *testing.T, dir string, replace ...string) string {
	t.Helper()
	b, err := os.ReadFile("../../examples/two-accounts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	replace = append([]string{
		"bucket: file://./data/two-accounts?metadata=skip", "bucket: file://" + filepath.ToSlash(dir) + "/data?metadata=skip",
		"duckdb: ./data/two-accounts.duckdb", "duckdb: " + filepath.Join(dir, "asc.duckdb"),
		"initial_days: 7", "initial_days: 3",
	}, replace...)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			t.Fatalf("example has no %q", replace[i])
		}
		s = strings.Replace(s, replace[i], replace[i+1], 1)
	}
	p := filepath.Join(dir, "two-accounts.yaml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// queryCSV runs a query through the CLI and returns its rows (header first).
func queryCSV(t *testing.T, cfg, sql string) [][]string {
	t.Helper()
	code, out, errs := runCLI(t, "query", "--config", cfg, "--format", "csv", sql)
	if code != 0 {
		t.Fatalf("query %s: exit %d: %s", sql, code, errs)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("query %s: %v\n%s", sql, err, out)
	}
	return rows
}

// examples/two-accounts.yaml runs against the embedded simulator, which serves both
// accounts: a summary line per account, the account column in every view, and a curated
// revenue query whose numbers differ per vendor.
func TestTwoAccountsExampleAgainstEmbeddedSimulator(t *testing.T) {
	dir := t.TempDir()
	cfg := exampleConfig(t, dir, "enabled: true            # apps: per account", "enabled: false           # apps: per account")
	code, out, errs := runCLI(t, "run", "--config", cfg)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^ +acme +\d+ +[1-9]\d*`), regexp.MustCompile(`(?m)^ +globex +\d+ +[1-9]\d*`),
		regexp.MustCompile(`requests per account: acme \d+ \(0 throttled.*; globex \d+ \(0 throttled`),
	} {
		if !want.MatchString(out) {
			t.Errorf("run output lacks %s:\n%s", want, out)
		}
	}
	rows := queryCSV(t, cfg, "SELECT account, vendor, count(*) AS n FROM sales_summary_daily GROUP BY ALL ORDER BY ALL")
	got := []string{}
	for _, r := range rows[1:] {
		got = append(got, r[0]+"/"+r[1])
	}
	if want := []string{"acme/85012345", "acme/85012399", "globex/91234567"}; !slices.Equal(got, want) {
		t.Errorf("accounts and vendors in sales_summary_daily: %v, want %v", got, want)
	}
	// The curated finance query keeps the vendor: one row per vendor and currency, with
	// each vendor's own numbers.
	fin := queryCSV(t, cfg, "finance_proceeds_by_currency")
	if !slices.Equal(fin[0][:3], []string{"fiscal_period", "vendor", "partner_share_currency"}) {
		t.Fatalf("finance_proceeds_by_currency columns: %v", fin[0])
	}
	usd := map[string]string{}
	for _, r := range fin[1:] {
		if r[2] == "USD" {
			usd[r[0]+"/"+r[1]] = r[4]
		}
	}
	period := fin[1][0]
	a, b, g := usd[period+"/85012345"], usd[period+"/85012399"], usd[period+"/91234567"]
	if a == "" || b == "" || g == "" || a == b || a == g {
		t.Errorf("USD proceeds of %s per vendor: %q %q %q (want three different figures)\n%v", period, a, b, g, fin)
	}
	rev := queryCSV(t, cfg, "SELECT vendor, sum(proceeds) FROM daily_units_proceeds_by_app_territory WHERE currency_of_proceeds = 'USD' GROUP BY 1 ORDER BY 1")
	if len(rev) != 4 || rev[1][1] == rev[2][1] || rev[1][1] == rev[3][1] {
		t.Errorf("daily_units_proceeds_by_app_territory USD proceeds per vendor: %v", rev)
	}
	code, out, _ = runCLI(t, "status", "--config", cfg, "--account", "globex")
	if code != 0 || !strings.Contains(out, "ACCOUNT") || strings.Contains(out, "85012345") || !strings.Contains(out, "91234567") {
		t.Errorf("status --account globex: %d\n%s", code, out)
	}
	// etl ddl declares the account partition, projected as an enum of the accounts.
	code, out, errs = runCLI(t, "ddl", "--config", cfg, "--engine", "athena", "--location", "s3://lake/asc", "--no-marts")
	if code != 0 || !strings.Contains(out, "'projection.account.values' = 'acme,globex'") ||
		!strings.Contains(out, "/parquet/sales_summary_daily/account=${account}/vendor=${vendor}/month=${month}/") {
		t.Errorf("ddl: exit %d %s\n%.2000s", code, errs, out)
	}
	t.Logf("USD proceeds %s: 85012345 %s, 85012399 %s, 91234567 %s", period, a, b, g)
}

// sharedSimulator serves two accounts over HTTP, as `etl simulate` does, and writes a
// config for them (sales and finance) with bucket; keys are files in dir.
func sharedSimulator(t *testing.T, dir string) (*simulator.Multi, func(bucket, duckdb string) string) {
	t.Helper()
	m, err := simulator.NewMulti([]simulator.AccountOptions{
		{Name: "acme", Options: simulator.Options{Seed: simulator.AccountSeed(1, "acme"), Vendors: []string{"85012345", "85012399"}}},
		{Name: "globex", Options: simulator.Options{Seed: simulator.AccountSeed(1, "globex"), Vendors: []string{"91234567"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	var accounts strings.Builder
	for i, n := range m.Accounts() {
		key, pem, err := simulator.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		kid := fmt.Sprintf("SIMKEY%04d", i+1)
		m.Account(n).AddKey(kid, &key.PublicKey)
		p := filepath.Join(dir, n+".p8")
		if err := os.WriteFile(p, pem, 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&accounts, "  - {name: %s, issuer_id: %s, key_id: %s, key_path: %s, vendor_numbers: [%s]}\n",
			n, m.Account(n).Options().IssuerID, kid, p, strings.Join(quoted(m.Account(n).Options().Vendors), ", "))
	}
	return m, func(bucket, duckdb string) string {
		cfg := fmt.Sprintf(`api: {base_url: %s, budget_reserve: 0}
accounts:
%sstorage: {bucket: "%s", duckdb: %s}
sales:
  enabled: true
  initial_days: 4
  reports: [{type: SALES, sub_type: SUMMARY}, {type: SUBSCRIPTION, sub_type: SUMMARY}]
finance: {enabled: true, regions: [ZZ, US], detail: true, initial_periods: 2}
reviews: {enabled: false}
metrics: {enabled: false}
catalog: {enabled: false}
analytics: {enabled: false}
`, srv.URL, accounts.String(), bucket, duckdb)
		p := filepath.Join(dir, fmt.Sprintf("config-%d.yaml", len(cfgSeq(dir))))
		if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

func cfgSeq(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, "config-*.yaml"))
	return m
}

// `etl run --shard 0/3`, `1/3` and `2/3` started at the same moment on one bucket give
// the rows of one unsharded run — on local disk and on S3 (gofakes3) — with no 429; the
// views are rebuilt by one shard only. A revoked key then fails only its account: exit 3.
func TestShardedCLIRunsMatchOneRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m, config := sharedSimulator(t, dir)

	refCfg := config("file://"+filepath.ToSlash(filepath.Join(dir, "ref"))+"?metadata=skip", filepath.Join(dir, "ref.duckdb"))
	if code, out, errs := runCLI(t, "run", "--config", refCfg); code != 0 {
		t.Fatalf("unsharded run: exit %d\n%s\n%s", code, out, errs)
	}
	want := rowsOf(t, ctx, "file://"+filepath.ToSlash(filepath.Join(dir, "ref"))+"?metadata=skip")
	if len(want) == 0 {
		t.Fatal("the unsharded run wrote no Parquet")
	}

	be := s3mem.New()
	s3srv := httptest.NewServer(gofakes3.New(be, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	defer s3srv.Close()
	if err := be.CreateBucket("lake"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "test-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	buckets := map[string]string{
		"local": "file://" + filepath.ToSlash(filepath.Join(dir, "sharded")) + "?metadata=skip",
		"s3":    "s3://lake/asc?region=us-east-1&use_path_style=true&disable_https=true&endpoint=" + s3srv.URL,
	}
	for _, name := range []string{"local", "s3"} {
		cfg := config(buckets[name], filepath.Join(dir, name+".duckdb"))
		m.Account("acme").ResetStats()
		m.Account("globex").ResetStats()
		outs := make([]string, 3)
		codes := make([]int, 3)
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				var errs string
				codes[i], outs[i], errs = runCLI(t, "run", "--config", cfg, "--shard", fmt.Sprintf("%d/3", i), "--job", "cli-"+name)
				outs[i] += errs
			}()
		}
		close(gate)
		wg.Wait()
		rebuilt := 0
		for i, out := range outs {
			if codes[i] != 0 {
				t.Errorf("%s shard %d/3: exit %d\n%s", name, i, codes[i], out)
			}
			if strings.Contains(out, "completes job cli-"+name) {
				rebuilt++
			} else if !strings.Contains(out, "views: left to the last shard") {
				t.Errorf("%s shard %d/3 says nothing of the views:\n%s", name, i, out)
			}
		}
		if rebuilt != 1 {
			t.Errorf("%s: %d shards rebuilt the views, want 1", name, rebuilt)
		}
		if st := m.Stats(); st.RateLimited != 0 || st.ByStatus[403] != 0 {
			t.Errorf("%s: %d 429s, %d 403s", name, st.RateLimited, st.ByStatus[403])
		}
		got := rowsOf(t, ctx, buckets[name])
		keys, wantKeys := slices.Sorted(mapKeys(got)), slices.Sorted(mapKeys(want))
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("%s: Parquet objects differ from the unsharded run:\n got %v\nwant %v", name, keys, wantKeys)
		}
		n := 0
		for _, k := range wantKeys {
			if !slices.Equal(got[k], want[k]) {
				t.Errorf("%s: %s: rows differ (%d, unsharded %d)", name, k, len(got[k]), len(want[k]))
			}
			n += len(want[k])
		}
		t.Logf("%s: 3 shards wrote %d objects, %d rows, identical to one run; %d requests", name, len(keys), n, m.Stats().Requests)
	}

	// A revoked key fails its account only.
	m.Account("globex").RemoveKey("SIMKEY0002")
	revCfg := config("file://"+filepath.ToSlash(filepath.Join(dir, "revoked"))+"?metadata=skip", filepath.Join(dir, "revoked.duckdb"))
	code, out, errs := runCLI(t, "run", "--config", revCfg)
	if code != 3 {
		t.Fatalf("run with globex's key revoked: exit %d, want 3\n%s\n%s", code, out, errs)
	}
	if !regexp.MustCompile(`(?m)^ +acme +\d+ +[1-9]\d* +0 +0 +\d+ +0 +0 `).MatchString(out) ||
		!regexp.MustCompile(`(?m)^ +globex +\d+ +0 +0 +0 +0 +0 +[1-9]`).MatchString(out) || !strings.Contains(out, "401") {
		t.Errorf("run with globex's key revoked:\n%s", out)
	}
}

// rowsOf opens a bucket and reads every Parquet row (parquetRows).
func rowsOf(t *testing.T, ctx context.Context, bucket string) map[string][]string {
	t.Helper()
	b, err := openBucket(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	return parquetRows(t, load.New(b))
}

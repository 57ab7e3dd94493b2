package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	etl "github.com/ascetl/etl"
)

// problemRE is how every problem of an *Error starts: the line it is about, or, for a key
// the file leaves out (and has no section of), the key named as not set.
var problemRE = regexp.MustCompile(`^(?:line ([0-9]+): |[a-z_]+(?:\[[0-9]+\])?(?:\.[a-z_]+(?:\[[0-9]+\])?)* \(not set\): )`)

// FuzzParse decodes arbitrary YAML as a configuration: Parse never panics; an error is an
// *Error naming the file whose every problem names a line of the file (1 up to the line
// after the last); a configuration that parses is valid — applying the defaults again
// changes nothing and validates, and every duration is in range. Seeds: the shipped
// config.yaml, testdata/*.yml and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add(etl.DefaultConfig)
	for _, name := range []string{"real.good.yml", "many.bad.yml", "ops.bad.yml", "unknown-key.bad.yml"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`vendor_number: "85012345"`))
	f.Add([]byte("api:\n  timeout: -1s\nvendor_number: \"1\"\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		t.Setenv("ASC_PRIVATE_KEY", "")
		const name = "fuzz.yml"
		c, err := Parse(name, data)
		if err != nil {
			checkConfigError(t, name, data, err)
			return
		}
		if !utf8.ValidString(c.VendorNumber) || !utf8.ValidString(c.Storage.Bucket) {
			t.Fatalf("invalid UTF-8 in %q / %q", c.VendorNumber, c.Storage.Bucket)
		}
		again, err := Parse(name, data)
		if err != nil {
			t.Fatalf("second parse: %v", err)
		}
		again.applyDefaults()
		if err := again.validate(); err != nil {
			t.Fatalf("defaults applied twice do not validate: %v", err)
		}
		again.root = c.root
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("defaults applied twice differ:\n%+v\n%+v", c, again)
		}
		if c.API.Timeout <= 0 || c.API.MaxBudgetWait < 0 || c.Simulator.Latency < 0 || c.Lock.TTL <= 0 || c.Lock.MaxWait < 0 || c.Schedule.ShutdownGrace < 0 {
			t.Fatalf("a duration out of range: %+v %+v %+v %+v", c.API, c.Simulator, c.Lock, c.Schedule)
		}
		for _, j := range c.Schedule.Jobs {
			if _, err := ParseCron(j.Cron, j.Location()); err != nil {
				t.Fatalf("job %s: %v", j.Name, err)
			}
		}
		for fam, r := range c.Freshness {
			if _, _, ok := parseClock(r.By); !ok {
				t.Fatalf("freshness %s: by %q", fam, r.By)
			}
			r.Due(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
		}
		if c.Hash() == "" {
			t.Fatal("no hash")
		}
	})
}

// checkConfigError: err is an *Error for file whose problems each name a line of data.
func checkConfigError(t *testing.T, file string, data []byte, err error) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T is not a *config.Error: %v", err, err)
	}
	if ce.File != file || len(ce.Problems) == 0 {
		t.Fatalf("error names file %q with %d problems: %v", ce.File, len(ce.Problems), err)
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	for _, p := range ce.Problems {
		m := problemRE.FindStringSubmatch(p)
		if m == nil {
			t.Fatalf("problem %q names no line", p)
		}
		if n, _ := strconv.Atoi(m[1]); m[1] != "" && (n < 1 || n > lines+1) {
			t.Fatalf("problem %q names line %d of a file of %d lines", p, n, lines)
		}
		if !utf8.ValidString(p) {
			t.Fatalf("problem %q is not UTF-8", p)
		}
	}
}

// readTestdata reads a file of testdata/ for f.Add.
func readTestdata(f *testing.F, name string) []byte {
	f.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// Problems the fuzzer found without a line (or with line 0) name the right one.
func TestProblemLines(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"vendor_number: \"1\"\nlog:\n  level: \x01\n", "line 3: control characters are not allowed"},
		{"vendor_number: \"1\"\nsales:\n  start: \xff\n", "line 3: invalid leading UTF-8 octet"},
		{"vendor_number: \"1\"\nlog: *nope\n", "line 2: unknown anchor 'nope' referenced"},
		{"[vendor_number", "line 1: did not find expected ',' or ']'"},
		{"vendor_number: \"1\"\nstorage:\n  bucket: !!binary \"%%%\"\n", "line 3: !!binary value contains invalid base64 data"},
		{"vendor_number: \"1\"\nlog:\n  <<: 3\n", "line 3: map merge requires"},
		{"vendor_number: \"1\"\napi:\n  timeout: -1s\n", "line 3: api.timeout: -1s must be positive"},
		{"vendor_number: \"1\"\nsimulator:\n  latency: -2s\n", "line 3: simulator.latency: -2s must not be negative"},
		{"vendor_number: \"1\"\napi:\n  max_budget_wait: -1m\n", "line 3: api.max_budget_wait: -1m0s must not be negative"},
	} {
		_, err := Parse("x.yml", []byte(tc.data))
		var ce *Error
		if !errors.As(err, &ce) || len(ce.Problems) == 0 || !strings.HasPrefix(ce.Problems[0], tc.want) {
			t.Errorf("%q: got %v, want a first problem starting %q", tc.data, err, tc.want)
		}
	}
}

package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	etl "github.com/ascetl/etl"
	"github.com/ascetl/etl/report"
)

func TestOpsDefaults(t *testing.T) {
	c, err := Parse("config.yaml", etl.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if c.Lock.Mode != LockExit || time.Duration(c.Lock.TTL) != 5*time.Minute || c.Schedule.Listen != ":9090" {
		t.Errorf("lock/schedule: %+v %+v", c.Lock, c.Schedule)
	}
	if len(c.Schedule.Jobs) == 0 || c.Schedule.Jobs[0].Name != "sales" || c.Schedule.Jobs[0].Location().String() != "America/Los_Angeles" {
		t.Fatalf("jobs: %+v", c.Schedule.Jobs)
	}
	if j := c.Schedule.Jobs[2]; j.Name != "reviews+metrics" || j.TimeZone != "UTC" {
		t.Errorf("job defaults: %+v", j)
	}
	// With no ops sections at all, the defaults still schedule every family and check
	// sales and finance freshness.
	c, err = Parse("min.yml", []byte(`vendor_number: "85012345"`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Schedule.Jobs) != 4 || c.Freshness["sales"].By != "08:00" || c.Freshness["finance"].TimeZone != "America/Los_Angeles" {
		t.Errorf("minimal config: %+v %+v", c.Schedule.Jobs, c.Freshness)
	}
	// The schedule of the sales job fires at 09:30 Pacific.
	s, err := ParseCron(c.Schedule.Jobs[0].Cron, c.Schedule.Jobs[0].Location())
	if err != nil {
		t.Fatal(err)
	}
	next := s.Next(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 11, 21, 9, 30, 0, 0, report.Pacific); !next.Equal(want) {
		t.Errorf("next fire %v, want %v", next, want)
	}
}

func TestFreshnessDue(t *testing.T) {
	r := FreshnessRule{By: "08:00", TimeZone: "America/Los_Angeles", Grace: Duration(24 * time.Hour)}
	u := report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: "DAILY", Vendor: "85012345", Period: "2026-11-20"}
	exp, err := report.ExpectedAvailable(u)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 22, 8, 0, 0, 0, report.Pacific)
	if got := r.Due(exp); !got.Equal(want) {
		t.Errorf("due %v, want %v", got, want)
	}
	r = FreshnessRule{By: "17:30", TimeZone: "UTC"}
	if got, want := r.Due(exp), time.Date(2026, 11, 21, 17, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("due %v, want %v", got, want)
	}
}

func TestOpsBad(t *testing.T) {
	_, err := Load("testdata/ops.bad.yml")
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, w := range []string{
		"line 3: schedule.listen", "line 4: schedule.time_zone",
		"line 6: schedule.jobs[0].cron", "line 7: schedule.jobs[1].families[1]", "line 7: schedule.jobs[1].time_zone",
		"line 8: schedule.jobs[2].name", "line 8: schedule.jobs[2].cron",
		"line 10: lock.mode", "line 11: lock.ttl",
		"line 13: freshness.sales.by", "line 13: freshness.sales.time_zone", "line 14: freshness.bogus",
	} {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q:\n%s", w, msg)
		}
	}
}

func TestHashIgnoresCredentials(t *testing.T) {
	a, err := Parse("a.yml", etl.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Parse("b.yml", etl.DefaultConfig)
	b.API.KeyPath, b.API.KeyID, b.API.IssuerID = "/secrets/AuthKey_X.p8", "2X9R4HXF34", "57246542-96fe-1a63-e053-0824d011072a"
	if a.Hash() == "" || a.Hash() != b.Hash() {
		t.Errorf("hash differs with credentials only: %s %s", a.Hash(), b.Hash())
	}
	b.Sales.LookbackDays++
	if a.Hash() == b.Hash() {
		t.Error("hash ignores sales.lookback_days")
	}
}

// The config shipped in the Kubernetes ConfigMap is valid.
func TestDeployConfigMapIsValid(t *testing.T) {
	b, err := os.ReadFile("../../deploy/kubernetes/configmap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal(b, &cm); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ASC_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----")
	c, err := Parse("configmap.yaml", []byte(cm.Data["config.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	if c.Lock.Mode != LockExit || len(c.Schedule.Jobs) != 4 || c.UsesSimulator() {
		t.Errorf("%+v %+v", c.Lock, c.Schedule)
	}
}

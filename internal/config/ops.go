package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ascetl/etl/report"
)

// Families are the family names a schedule job or a freshness rule may name.
var Families = []report.Family{report.Sales, report.Finance, report.Reviews, report.Metrics,
	report.Catalog, report.TestFlight, report.XcodeCloud, report.Analytics}

// Schedule configures `etl schedule`: a long-running process that runs each job on its own
// cron expression, never overlapping itself, and serves /healthz and /metrics.
type Schedule struct {
	// Listen is the address of the /healthz and /metrics server ("" = no server).
	Listen string `yaml:"listen"`
	// TimeZone is the default time zone of the jobs' cron expressions (IANA name).
	TimeZone string `yaml:"time_zone"`
	// ShutdownGrace: on SIGTERM a job in flight gets this long to finish before it is
	// aborted (an aborted unit leaves nothing half-written and is redone next time).
	ShutdownGrace Duration `yaml:"shutdown_grace"`
	// Jobs default to one per family (see config.yaml).
	Jobs []ScheduleJob `yaml:"jobs"`
}

// ScheduleJob runs the pipeline for some families on a cron expression.
type ScheduleJob struct {
	Name     string   `yaml:"name"`      // default: the families joined by "+"
	Families []string `yaml:"families"`  // which families this job runs
	Cron     string   `yaml:"cron"`      // 5 fields (minute hour day month weekday) or @daily, @every 6h
	TimeZone string   `yaml:"time_zone"` // default: schedule.time_zone
}

// Location is the job's time zone (validated, so it does not fail after Parse).
func (j ScheduleJob) Location() *time.Location {
	loc, err := time.LoadLocation(j.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Lock modes.
const (
	LockExit = "exit" // another run holds the lock: exit with a message (code 1)
	LockWait = "wait" // wait for it, up to lock.max_wait
	// LockOff is refused: without the lock, two runs merging into the same partitions lose
	// rows (each reads, merges and writes the object; the last write wins), and the stores
	// offer no compare-and-swap that could make unlocked writes safe (see validateOps).
	LockOff = "off"
)

// Lock configures the overlap lock kept in the bucket (_etl/lock/run/).
type Lock struct {
	Mode    string   `yaml:"mode"`     // exit, wait or off
	MaxWait Duration `yaml:"max_wait"` // mode wait: give up after this long
	// TTL: the holder refreshes the lock every TTL/3; a lock not refreshed for TTL (its
	// run crashed or was killed) is taken over by the next run.
	TTL Duration `yaml:"ttl"`
}

// Freshness says, per family, when a unit still pending is late: Apple's expected
// publication day for the unit (report.ExpectedAvailable) at By in TimeZone, plus Grace.
// A late unit is reported, counted in /metrics and makes the exit code 3 (partial).
type Freshness map[string]FreshnessRule

// FreshnessRule is one family's expected availability.
type FreshnessRule struct {
	By       string   `yaml:"by"`        // "08:00": the hour Apple publishes by
	TimeZone string   `yaml:"time_zone"` // of By; default America/Los_Angeles (Apple's)
	Grace    Duration `yaml:"grace"`     // late only this long after By
}

// Due is when a unit Apple expects to publish on the day of expected is late.
func (r FreshnessRule) Due(expected time.Time) time.Time {
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		loc = report.Pacific
	}
	h, m, _ := parseClock(r.By)
	y, mo, d := expected.In(report.Pacific).Date()
	return time.Date(y, mo, d, h, m, 0, 0, loc).Add(time.Duration(r.Grace))
}

var clockRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)

func parseClock(s string) (h, m int, ok bool) {
	sub := clockRE.FindStringSubmatch(s)
	if sub == nil {
		return report.PublishHour, 0, false
	}
	fmt.Sscanf(sub[1], "%d", &h)
	fmt.Sscanf(sub[2], "%d", &m)
	return h, m, true
}

func (c *Config) defaultsOps() {
	def(&c.Schedule.TimeZone, "UTC")
	def(&c.Schedule.ShutdownGrace, Duration(20*time.Second))
	if len(c.Schedule.Jobs) == 0 {
		c.Schedule.Jobs = []ScheduleJob{
			{Families: []string{"sales"}, Cron: "30 9 * * *", TimeZone: "America/Los_Angeles"},
			{Families: []string{"finance"}, Cron: "0 10 * * *", TimeZone: "America/Los_Angeles"},
			{Families: []string{"reviews", "metrics"}, Cron: "0 */6 * * *"},
			{Families: []string{"catalog", "testflight", "xcode_cloud", "analytics"}, Cron: "0 11 * * *"},
		}
	}
	for i := range c.Schedule.Jobs {
		j := &c.Schedule.Jobs[i]
		def(&j.TimeZone, c.Schedule.TimeZone)
		def(&j.Name, strings.Join(j.Families, "+"))
	}
	def(&c.Lock.Mode, LockExit)
	def(&c.Lock.MaxWait, Duration(time.Hour))
	def(&c.Lock.TTL, Duration(5*time.Minute))
	if c.Freshness == nil {
		c.Freshness = Freshness{}
	}
	for _, f := range []string{"sales", "finance"} {
		if _, ok := c.Freshness[f]; !ok {
			c.Freshness[f] = FreshnessRule{Grace: Duration(24 * time.Hour)}
		}
	}
	for f, r := range c.Freshness {
		def(&r.By, fmt.Sprintf("%02d:00", report.PublishHour))
		def(&r.TimeZone, "America/Los_Angeles")
		c.Freshness[f] = r
	}
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a job's cron expression in its time zone.
func ParseCron(spec string, loc *time.Location) (cron.Schedule, error) {
	if strings.Contains(spec, "TZ=") {
		return nil, fmt.Errorf("put the time zone in time_zone, not in the expression")
	}
	return cronParser.Parse("CRON_TZ=" + loc.String() + " " + spec)
}

func knownFamily(f string) bool {
	for _, k := range Families {
		if string(k) == f {
			return true
		}
	}
	return false
}

func familyNames() string {
	var s []string
	for _, f := range Families {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}

func (c *Config) validateOps(add func(string, string, ...any)) {
	s := c.Schedule
	if s.Listen != "" {
		if _, _, err := net.SplitHostPort(s.Listen); err != nil {
			add("schedule.listen", "%q must be host:port (e.g. :9090 or 127.0.0.1:9090)", s.Listen)
		}
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil {
		add("schedule.time_zone", "%q is not a time zone (use an IANA name such as UTC or America/Los_Angeles)", s.TimeZone)
	}
	if s.ShutdownGrace < 0 {
		add("schedule.shutdown_grace", "%s must not be negative", time.Duration(s.ShutdownGrace))
	}
	names := map[string]int{}
	for i, j := range s.Jobs {
		p := fmt.Sprintf("schedule.jobs[%d]", i)
		if len(j.Families) == 0 {
			add(p+".families", "lists no family (%s)", familyNames())
		}
		for k, f := range j.Families {
			if !knownFamily(f) {
				add(fmt.Sprintf("%s.families[%d]", p, k), "%q is not a family (%s)", f, familyNames())
			}
		}
		if k, dup := names[j.Name]; dup {
			add(p+".name", "%q is already the name of schedule.jobs[%d]", j.Name, k)
		}
		names[j.Name] = i
		loc, err := time.LoadLocation(j.TimeZone)
		if err != nil {
			add(p+".time_zone", "%q is not a time zone (use an IANA name such as UTC or America/Los_Angeles)", j.TimeZone)
			continue
		}
		if _, err := ParseCron(j.Cron, loc); err != nil {
			add(p+".cron", "%q: %v (5 fields: minute hour day-of-month month day-of-week, or @daily, @every 6h)", j.Cron, err)
		}
	}
	switch c.Lock.Mode {
	case LockExit, LockWait:
	case LockOff:
		// Decision (issue 16): "off" is removed rather than made safe. Two unlocked runs
		// lose merged rows (analytics, reviews, dimensions: read, merge, write; the last
		// write wins) and race on ledger entries. Making that safe needs a conditional
		// overwrite (compare-and-swap on an object's generation); gocloud.dev/blob offers
		// only create-if-absent, which is what the lock is built on. A store that lacks
		// even that cannot be made safe without the lock either.
		add("lock.mode", "\"off\" is no longer accepted: two runs without the bucket lock can lose merged rows; "+
			"use exit (a second run stops) or wait (it waits for lock.max_wait)")
	default:
		add("lock.mode", "%q must be exit or wait", c.Lock.Mode)
	}
	if c.Lock.TTL < Duration(3*time.Second) {
		add("lock.ttl", "%s must be at least 3s", time.Duration(c.Lock.TTL))
	}
	if c.Lock.MaxWait < 0 {
		add("lock.max_wait", "%s must not be negative", time.Duration(c.Lock.MaxWait))
	}
	fams := make([]string, 0, len(c.Freshness))
	for f := range c.Freshness {
		fams = append(fams, f)
	}
	sort.Strings(fams)
	for _, f := range fams {
		r := c.Freshness[f]
		p := "freshness." + f
		if !knownFamily(f) {
			add(p, "%q is not a family (%s)", f, familyNames())
		}
		if _, _, ok := parseClock(r.By); !ok {
			add(p+".by", "%q must be a time of day HH:MM", r.By)
		}
		if _, err := time.LoadLocation(r.TimeZone); err != nil {
			add(p+".time_zone", "%q is not a time zone (use an IANA name such as America/Los_Angeles)", r.TimeZone)
		}
		if r.Grace < 0 {
			add(p+".grace", "%s must not be negative", time.Duration(r.Grace))
		}
	}
}

// Hash identifies the effective configuration (after defaults) without its credentials:
// the api key fields are blanked before hashing, so the hash can be published in run
// manifests and compares equal across machines with different key files.
func (c *Config) Hash() string {
	cp := *c
	cp.API.IssuerID, cp.API.KeyID, cp.API.KeyPath, cp.API.KeyEnv = "", "", "", ""
	cp.Accounts = nil
	for _, a := range c.Accounts {
		a.IssuerID, a.KeyID, a.KeyPath, a.KeyEnv = "", "", "", ""
		cp.Accounts = append(cp.Accounts, a)
	}
	b, err := json.Marshal(&cp)
	if err != nil {
		return "" // cannot happen: the config is plain data
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// FamilyEnabled reports whether the configuration turns family f on.
func (c *Config) FamilyEnabled(f string) bool {
	switch report.Family(f) {
	case report.Sales:
		return c.Sales.Enabled
	case report.Finance:
		return c.Finance.Enabled
	case report.Reviews:
		return c.Reviews.Enabled
	case report.Metrics:
		return c.Metrics.Enabled
	case report.Catalog:
		return c.Catalog.Enabled
	case report.TestFlight:
		return c.TestFlight.Enabled
	case report.XcodeCloud:
		return c.XcodeCloud.Enabled
	case report.Analytics:
		return c.Analytics.Enabled
	}
	return false
}

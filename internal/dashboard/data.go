package dashboard

import (
	"fmt"
	"math"
	"time"
)

// Data is what the dashboard shows, read from the marts (Load) or built by a test. Days
// are "YYYY-MM-DD", months "YYYY-MM"; a missing number is NaN.
type Data struct {
	BuiltAt  time.Time // when the views were built (etl_settings.built_at)
	Currency string    // the reporting currency
	Days     int       // the window of the daily charts, ending at each mart's newest day

	RevenueDaily   []AppValue // per day and app: proceeds in the reporting currency
	RevenueMonthly []AppValue // per month and app
	Units          []CountryUnits
	Subscriptions  []SubscriptionDay
	Downloads      []SourceDay
	Ratings        []RatingWeek
	Crashes        []CrashVersion
	Freshness      []Freshness
	Ledger         []LedgerCount
	// Reconcile is nil when there is no reconcile_results table (etl reconcile never ran).
	Reconcile *Reconcile

	// Errors holds, per chart id, why its query failed: the chart shows it as its
	// "no data" reason and the page lists it at the top.
	Errors map[string]string
}

// AppValue is one app's value for one day or month.
type AppValue struct {
	Period, App string
	Value       float64 // proceeds in the reporting currency (lines with a rate)
	MissingRate int64   // sales lines with proceeds and no rate (not in Value)
	Units       float64
}

// CountryUnits is a country's units of each kind over the window.
type CountryUnits struct {
	Country                                                        string
	Downloads, Redownloads, Updates, InAppPurchases, Subscriptions float64
}

// Total is every kind added up.
func (c CountryUnits) Total() float64 {
	return c.Downloads + c.Redownloads + c.Updates + c.InAppPurchases + c.Subscriptions
}

// SubscriptionDay is one day's subscriptions over every app, subscription and country.
type SubscriptionDay struct {
	Day                  string
	Active, New, Churned float64
}

// SourceDay is one day's App Store downloads from one source type.
type SourceDay struct {
	Day, Source string
	Downloads   float64
}

// RatingWeek is one week's customer reviews (Monday, UTC).
type RatingWeek struct {
	Week    string
	Reviews float64
	Stars   [5]float64 // reviews with 1 … 5 stars
	Average float64    // NaN without reviews
}

// CrashVersion is one app version's crash rate over every day loaded.
type CrashVersion struct {
	App, Version      string
	Crashes, Sessions float64
	Rate              float64 // crashes per 1,000 sessions; NaN without sessions
	LastDate          string
}

// Freshness is one dataset's row of mart_freshness.
type Freshness struct {
	Dataset, Family, DataThrough, NewestPeriod, LastLoaded, OldestWaiting string
	Loaded, Empty, Pending, Failed, Expired, Late                         int64
}

// LedgerCount is how many units of a family are in one state.
type LedgerCount struct {
	Family, State string
	Units         int64
}

// Reconcile is reconcile_results: its failed checks, every column as text.
type Reconcile struct {
	Checks  int // rows of the table
	Columns []string
	Failed  [][]string
}

func (d *Data) fail(id string, err error) {
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	d.Errors[id] = err.Error()
}

// row is one result row of a Querier, with typed getters that accept what a driver may
// return for a column (a DECIMAL as float64, a count as int64, a date as time.Time).
type row map[string]any

func (r row) str(k string) string {
	switch v := r[k].(type) {
	case nil:
		return ""
	case string:
		return v
	case time.Time:
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 && v.Nanosecond() == 0 {
			return v.Format(time.DateOnly)
		}
		return v.UTC().Format("2006-01-02 15:04 UTC")
	case float64:
		return exact(v, -1)
	default:
		return fmt.Sprint(v)
	}
}

func (r row) num(k string) float64 {
	switch v := r[k].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	case int:
		return float64(v)
	case float32:
		return float64(v)
	case int32:
		return float64(v)
	case bool:
		if v {
			return 1
		}
		return 0
	default:
		return math.NaN()
	}
}

// int is a count: NaN (NULL) counts as 0.
func (r row) int(k string) int64 {
	v := r.num(k)
	if math.IsNaN(v) {
		return 0
	}
	return int64(math.Round(v))
}

func (r row) time(k string) time.Time {
	t, _ := r[k].(time.Time)
	return t
}

package queries

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed marts/*.sql
var martFiles embed.FS

// Mart is a documented analyst table (README "Marts"): a DuckDB view named after its file
// and, when Dir is set, a Parquet file parquet/marts/<Dir>/data.parquet written after every
// run with every column inside the file, so a BI tool reading the Parquet gets the numbers
// the view gives.
type Mart struct {
	Query
	// Dir is the directory under parquet/marts/ ("" for helper views that are not written:
	// sales_lines is a row per sales line, the size of sales_summary_daily).
	Dir string
}

// martOrder is the creation order: a view can only name views created before it.
var martOrder = []struct{ name, dir string }{
	{"fx_rates", "fx_rates"},
	{"fx_daily", "fx_daily"},
	{"sales_lines", ""},
	{"mart_revenue_daily", "revenue_daily"},
	{"mart_revenue_monthly", "revenue_monthly"},
	{"mart_units_daily", "units_daily"},
	{"mart_refunds_by_country_monthly", "refunds_by_country_monthly"},
	{"mart_subscriptions_daily", "subscriptions_daily"},
	{"mart_subscription_trials_monthly", "subscription_trials_monthly"},
	{"mart_downloads_by_source_daily", "downloads_by_source_daily"},
	{"mart_crash_rate_by_version", "crash_rate_by_version"},
	{"mart_version_adoption_daily", "version_adoption_daily"},
	{"mart_ratings_weekly", "ratings_weekly"},
	{"mart_finance_proceeds_monthly", "finance_proceeds_monthly"},
	{"mart_freshness", "freshness"},
	{"mart_fx_coverage", "fx_coverage"},
}

var marts = loadMarts()

func loadMarts() []Mart {
	out := make([]Mart, 0, len(martOrder))
	for _, m := range martOrder {
		b, err := martFiles.ReadFile("marts/" + m.name + ".sql")
		if err != nil {
			panic(fmt.Sprintf("queries: mart %s: %v", m.name, err)) // a listed mart without its file
		}
		sql := string(b)
		out = append(out, Mart{Query: Query{Name: m.name, Description: description(sql), SQL: sql}, Dir: m.dir})
	}
	return out
}

// Marts returns every mart in creation order. The slice is a copy.
func Marts() []Mart {
	return append([]Mart(nil), marts...)
}

// GetMart returns the mart (or helper view) with the given name.
func GetMart(name string) (Mart, bool) {
	for _, m := range marts {
		if m.Name == name {
			return m, true
		}
	}
	return Mart{}, false
}

// MartKey is the object key of a mart's Parquet file: parquet/marts/<dir>/data.parquet.
func MartKey(dir string) string {
	return "parquet/marts/" + strings.Trim(dir, "/") + "/data.parquet"
}

package schemas

import (
	"slices"
	"strings"
	"testing"
)

// Every layout version of every table maps onto the table's columns, its newest version
// covers every required column, and names are unique.
func TestLayoutVersionsConsistent(t *testing.T) {
	for _, tb := range All() {
		if len(tb.Versions) == 0 {
			if tb.Family == "sales" {
				t.Errorf("%s: sales table without layout versions", tb.Name)
			}
			continue
		}
		names := map[string]bool{}
		for _, v := range tb.Versions {
			if names[v.Name] || !strings.HasSuffix(v.Name, " "+v.Label) || v.APIVersion == "" {
				t.Errorf("%s: layout %+v: duplicate or malformed name", tb.Name, v.Name)
			}
			names[v.Name] = true
			seen := map[int]bool{}
			for _, h := range v.Headers {
				i := tb.ColumnIndex(h)
				if i < 0 || seen[i] {
					t.Errorf("%s %s: header %q unknown to the table or repeated", tb.Name, v.Name, h)
				}
				seen[i] = true
			}
		}
		latest, _ := tb.LatestLayout()
		for _, c := range tb.Columns {
			if !c.Optional && !slices.ContainsFunc(latest.Headers, func(h string) bool { return tb.ColumnIndex(h) == tb.ColumnIndex(c.Header) }) {
				t.Errorf("%s: required column %q not in the newest layout %s", tb.Name, c.Header, latest.Name)
			}
		}
	}
}

func TestMatchLayout(t *testing.T) {
	sales, _ := Lookup("sales_summary_daily")
	sub, _ := Lookup("subscription_summary_daily")
	ev, _ := Lookup("subscription_event_summary_daily")
	subr, _ := Lookup("subscriber_detailed_daily")
	tests := []struct {
		name    string
		tb      *Table
		header  []string
		version string
		layout  string
		missing []string
		added   []string
		renamed []string
	}{
		{"2015 summary", sales, salesSummary2014, "1_0", "SALES/SUMMARY 2014", nil, nil, nil},
		{"2015 summary, no version", sales, salesSummary2014, "", "SALES/SUMMARY 2014", nil, nil, nil},
		{"1_0 summary", sales, salesSummary10, "1_0", "SALES/SUMMARY 1_0", nil, nil, nil},
		{"1_0 with contingent", sales, with(salesSummary10, "Contingent App Name"), "1_0", "SALES/SUMMARY 1_0", nil, nil, nil},
		{"2016 summary", sales, salesSummary2016, "", "SALES/SUMMARY 2016", nil, nil, nil},
		{"2015 plus Order Type", sales, with(salesSummary2014, "Order Type"), "", "SALES/SUMMARY 2014", nil, []string{"Order Type"}, nil},
		{"1_0 without Client", sales, without(salesSummary10, "Client"), "", "SALES/SUMMARY 1_0", []string{"Client"}, nil, nil},
		{"subscription 1_2", sub, subscription12, "", "SUBSCRIPTION/SUMMARY 1_2", nil, nil, nil},
		{"subscription 1_3", sub, subscription13, "1_3", "SUBSCRIPTION/SUMMARY 1_3", nil, nil, nil},
		{"subscription 1_4", sub, with(subscription13, contingentApp), "", "SUBSCRIPTION/SUMMARY 1_4", nil, nil, nil},
		{"served as 1_3 with contingent", sub, with(subscription13, contingentApp), "1_3", "SUBSCRIPTION/SUMMARY 1_3", nil, []string{contingentApp}, nil},
		{"subscription 1_0", sub, subscription10, "", "SUBSCRIPTION/SUMMARY 1_0", nil, nil, nil},
		{"event 1_2", ev, subscriptionEvent12, "", "SUBSCRIPTION_EVENT/SUMMARY 1_2", nil, nil, nil},
		{"event 1_3", ev, subscriptionEvent13, "", "SUBSCRIPTION_EVENT/SUMMARY 1_3", nil, nil, nil},
		{"subscriber 1_2", subr, subscriber12, "", "SUBSCRIBER/DETAILED 1_2", nil, nil, nil},
		{"subscriber 1_3", subr, subscriber13, "", "SUBSCRIBER/DETAILED 1_3", nil, nil, nil},
		{"subscriber 1_3 spelled as 1_2", subr, subscriber12, "1_3", "SUBSCRIBER/DETAILED 1_3", nil, nil, []string{"Promotional Offer Name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := tt.tb.MatchLayout(tt.header, tt.version)
			if !ok {
				t.Fatal("no layouts")
			}
			if m.Layout.Name != tt.layout || !slices.Equal(m.Missing, tt.missing) || !slices.Equal(m.Added, tt.added) ||
				!slices.Equal(m.Renamed, tt.renamed) {
				t.Errorf("got %s missing %v added %v renamed %v; want %s missing %v added %v renamed %v",
					m.Layout.Name, m.Missing, m.Added, m.Renamed, tt.layout, tt.missing, tt.added, tt.renamed)
			}
		})
	}
	fin, _ := Lookup("finance_financial")
	if _, ok := fin.MatchLayout([]string{"Start Date"}, ""); ok {
		t.Error("finance tables have no layout versions")
	}
}

package transform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sampleHead(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func header(t *testing.T, table string) string {
	t.Helper()
	return strings.Join(tableCols(t, table), "\t")
}

func tableCols(t *testing.T, name string) []string {
	t.Helper()
	var hs []string
	for _, c := range table(t, name).Columns {
		if !c.Optional {
			hs = append(hs, c.Header)
		}
	}
	return hs
}

func TestDetect(t *testing.T) {
	sales := sampleHead(t, "sales_summary_kachit-stub.tsv")
	weekly := strings.ReplaceAll(string(sales), "10/05/2020\t10/05/2020", "10/05/2020\t10/11/2020")
	monthly := strings.ReplaceAll(string(sales), "10/05/2020\t10/05/2020", "10/01/2020\t10/31/2020")
	sub := sampleHead(t, "subscription_summary_legacy-1_2_kachit-stub.tsv")
	fin := sampleHead(t, "financial_region_kachit-stub.tsv")
	tests := []struct {
		name, file, head                       string
		table, version, vendor, region, period string
	}{
		{"sales daily by name", "S_D_85012345_20201005.txt.gz", string(sales), "sales_summary_daily", "1_0", "85012345", "", "2020-10-05"},
		{"sales weekly by name", "S_W_85012345_20201011.txt", string(sales), "sales_summary_weekly", "1_0", "85012345", "", "2020-10-11"},
		{"sales monthly by name", "S_M_85012345_202010.txt", string(sales), "sales_summary_monthly", "1_0", "85012345", "", "2020-10"},
		{"sales yearly by name", "S_Y_85012345_2020.txt", string(sales), "sales_summary_yearly", "1_0", "85012345", "", "2020"},
		{"sales weekly by dates", "report.txt", weekly, "sales_summary_weekly", "1_0", "", "", "2020-10-11"},
		{"sales monthly by dates", "report.txt", monthly, "sales_summary_monthly", "1_0", "", "", "2020-10"},
		{"subscription name", "Subscription_85012345_20201005.txt", string(sub), "subscription_summary_daily", "1_2", "85012345", "", "2020-10-05"},
		{"subscription 1_3", "Subscription_85012345_20201005_V1_3.txt", header(t, "subscription_summary_daily") + "\n", "subscription_summary_daily", "1_3", "85012345", "", "2020-10-05"},
		{"event name", "Subscription_Event_85012345_20201006.txt", string(sampleHead(t, "subscription_event_summary_legacy-1_2_kachit-stub.tsv")), "subscription_event_summary_daily", "1_2", "85012345", "", "2020-10-06"},
		{"subscriber", "Subscriber_85012345_20201005.txt", string(sampleHead(t, "subscriber_detailed_legacy-1_2_kachit-stub.tsv")), "subscriber_detailed_daily", "1_2", "85012345", "", "2020-10-05"},
		{"financial", "85012345_1020_US.txt", string(fin), "finance_financial", "", "85012345", "US", "2021-01"},
		{"offer code", "x.txt", header(t, "subscription_offer_code_redemption_summary_daily") + "\n2026-01-02\tA\t1\tS\t2\tR\tC\tUS\t1\n", "subscription_offer_code_redemption_summary_daily", "1_0", "", "", "2026-01-02"},
		{"win back", "x.txt", header(t, "win_back_eligibility_summary_daily") + "\n", "win_back_eligibility_summary_daily", "1_0", "", "", ""},
		{"newsstand", "N_W_1_20260104.txt", header(t, "newsstand_detailed_daily") + "\n", "newsstand_detailed_weekly", "1_0", "1", "", "2026-01-04"},
		{"installs", "x.txt", header(t, "installs_summary_monthly") + "\n", "installs_summary_monthly", "1_2", "", "", ""},
		{"first annual", "x.txt", header(t, "first_annual_detailed_daily") + "\n", "first_annual_detailed_daily", "1_0", "", "", ""},
		// Names of hand-downloaded files: every report type tells its period by name.
		{"subscription D", "Subscription_D_85012345_20261101.txt.gz", header(t, "subscription_summary_daily") + "\n", "subscription_summary_daily", "1_4", "85012345", "", "2026-11-01"},
		{"subscriber v1_4", "Subscriber_85012345_20261101_V1_4.txt", header(t, "subscriber_detailed_daily") + "\n", "subscriber_detailed_daily", "1_4", "85012345", "", "2026-11-01"},
		{"event by name", "Subscription_Event_85012345_20261101_V1_3.txt", header(t, "subscription_event_summary_daily") + "\n", "subscription_event_summary_daily", "1_3", "85012345", "", "2026-11-01"},
		{"win back name", "Win_Back_Eligibility_D_85012345_20261120.txt", header(t, "win_back_eligibility_summary_daily") + "\n", "win_back_eligibility_summary_daily", "1_0", "85012345", "", "2026-11-20"},
		{"win back short", "Win_Back_85012345_20261120_V1_0.txt", header(t, "win_back_eligibility_summary_daily") + "\n", "win_back_eligibility_summary_daily", "1_0", "85012345", "", "2026-11-20"},
		{"offer code name", "Subscription_Offer_Code_Redemption_85012345_20261120.txt", header(t, "subscription_offer_code_redemption_summary_daily") + "\n", "subscription_offer_code_redemption_summary_daily", "1_0", "85012345", "", "2026-11-20"},
		{"offer code synthesised", "SUBSCRIPTION_OFFER_CODE_REDEMPTION_SUMMARY_D_85012345_20261120.txt.gz", header(t, "subscription_offer_code_redemption_summary_daily") + "\n", "subscription_offer_code_redemption_summary_daily", "1_0", "85012345", "", "2026-11-20"},
		{"first annual name", "First_Annual_Detailed_D_85012345_20261120.txt", header(t, "first_annual_detailed_daily") + "\n", "first_annual_detailed_daily", "1_0", "85012345", "", "2026-11-20"},
		{"first annual yearly", "First_Annual_Summary_Y_85012345_2025.txt", header(t, "first_annual_detailed_daily") + "\n", "first_annual_summary_yearly", "1_0", "85012345", "", "2025"},
		{"installs monthly", "Installs_Summary_M_85012345_202512.TXT.GZ", header(t, "installs_summary_monthly") + "\n", "installs_summary_monthly", "1_2", "85012345", "", "2025-12"},
		{"installs synthesised", "INSTALLS_DETAILED_M_85012345_202512.txt.gz", header(t, "installs_summary_monthly") + "\n", "installs_detailed_monthly", "1_2", "85012345", "", "2025-12"},
		{"installs territory v1_0", "Installs_Summary_Territory_Y_85012345_2025_V1_0.txt", header(t, "installs_summary_monthly") + "\n", "installs_summary_territory_yearly", "1_0", "85012345", "", "2025"},
		{"installs channel", "Installs_Summary_Channel_Y_85012345_2025.txt", header(t, "installs_summary_monthly") + "\n", "installs_summary_channel_yearly", "1_1", "85012345", "", "2025"},
		{"installs by reporting month", "x.txt", header(t, "installs_summary_monthly") + "\nDev\t2025-11\t11/01/2025 - 11/30/2025\tApp\t1\tFR\t1\t0\t1\t0.50\t0.50\tEUR\n", "installs_summary_monthly", "1_2", "", "", "2025-11"},
		{"sales 2015 layout", "S_D_85012345_20150607.txt", strings.Join(tableCols(t, "sales_summary_daily")[:22], "\t") + "\n", "sales_summary_daily", "1_0", "85012345", "", "2015-06-07"},
		{"daily word", "Subscriber_DAILY_85012345_20261101.txt", header(t, "subscriber_detailed_daily") + "\n", "subscriber_detailed_daily", "1_4", "85012345", "", "2026-11-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Detect(tt.file, []byte(tt.head))
			if err != nil {
				t.Fatal(err)
			}
			if d.Table == nil {
				t.Fatal("no table")
			}
			if d.Table.Name != tt.table || d.Version != tt.version || d.Vendor != tt.vendor || d.Region != tt.region || d.Period != tt.period {
				t.Errorf("got %s %q vendor %q region %q period %q\nwant %s %q vendor %q region %q period %q",
					d.Table.Name, d.Version, d.Vendor, d.Region, d.Period, tt.table, tt.version, tt.vendor, tt.region, tt.period)
			}
		})
	}
}

func TestDetectRejects(t *testing.T) {
	for _, head := range []string{"", "\n\n", "a\tb\tc\n1\t2\t3\n", "Provider\tTitle\tFoo\tBar\tBaz\n",
		// An analytics segment is not importable (and used to panic in report.Combo.Latest).
		"Date\tCounts\n2026-11-01\t5\n"} {
		if d, err := Detect("x.txt", []byte(head)); err == nil {
			t.Errorf("Detect(%q) = %s, want error", head, d.Table.Name)
		}
	}
}

package transform

import (
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/ascetl/etl/report"
)

// What a report's file name says. Apple's names, as downloaded from App Store Connect or
// the API (Content-Disposition), and the names this project synthesises:
//
//	S_D_85012345_20201005.txt               SALES daily (S_W_, S_M_…_202010, S_Y_…_2020)
//	O_…, N_…                                PRE_ORDER, NEWSSTAND
//	Subscription_85012345_20201005_V1_3.txt SUBSCRIPTION (also Subscription_D_…)
//	Subscription_Event_…, Subscriber_…      SUBSCRIPTION_EVENT, SUBSCRIBER
//	Subscription_Offer_Code_Redemption_…    offer codes (also Offer_Code_Redemption_…)
//	Win_Back_Eligibility_D_85012345_20261120
//	Installs_Summary_M_85012345_202611, Installs_Summary_Territory_Y_85012345_2025
//	First_Annual_Detailed_D_…, INSTALLS_SUMMARY_M_85012345_202611 (our synthesised form)
//	85012345_0920_US.txt                    FINANCIAL (vendor, PPYY, region)
//
// The generic rule: report words, an optional frequency (D/W/M/Y or DAILY…), the vendor
// number and a date of 4, 6 or 8 digits, then optionally a version _V1_3.

var (
	versionRE = regexp.MustCompile(`_[Vv]([0-9]+)_([0-9]+)(?:$|[_.])`)
	// 85012345_0920_US, 85012345_0920_Z1_DETAIL
	financeNameRE = regexp.MustCompile(`^([0-9]+)_([0-9]{4})_([A-Z0-9]{2})(?:$|[_.])`)
	digitsRE      = regexp.MustCompile(`^[0-9]{1,20}$`)
)

var freqWords = map[string]string{
	"D": report.Daily, "W": report.Weekly, "M": report.Monthly, "Y": report.Yearly,
	"DAILY": report.Daily, "WEEKLY": report.Weekly, "MONTHLY": report.Monthly, "YEARLY": report.Yearly,
}

// nameTypes maps the report words of a file name (upper case, "_"-joined) to a report type.
var nameTypes = map[string]string{
	"S": "SALES", "SALES": "SALES",
	"O": "PRE_ORDER", "PRE_ORDER": "PRE_ORDER", "PREORDER": "PRE_ORDER",
	"N": "NEWSSTAND", "NEWSSTAND": "NEWSSTAND",
	"SUBSCRIPTION": "SUBSCRIPTION", "SUBSCRIPTION_EVENT": "SUBSCRIPTION_EVENT", "SUBSCRIBER": "SUBSCRIBER",
	"SUBSCRIPTION_OFFER_CODE_REDEMPTION": "SUBSCRIPTION_OFFER_CODE_REDEMPTION",
	"OFFER_CODE_REDEMPTION":              "SUBSCRIPTION_OFFER_CODE_REDEMPTION",
	"SUBSCRIPTION_OFFER_CODE":            "SUBSCRIPTION_OFFER_CODE_REDEMPTION",
	"OFFER_CODE":                         "SUBSCRIPTION_OFFER_CODE_REDEMPTION",
	"WIN_BACK_ELIGIBILITY":               "WIN_BACK_ELIGIBILITY", "WIN_BACK": "WIN_BACK_ELIGIBILITY",
	"WINBACK_ELIGIBILITY": "WIN_BACK_ELIGIBILITY",
	"INSTALLS":            "INSTALLS", "FIRST_ANNUAL": "FIRST_ANNUAL", "FIRST_ANNUAL_INSTALLS": "FIRST_ANNUAL",
}

var nameSubTypes = map[string]bool{"SUMMARY": true, "DETAILED": true, "SUMMARY_INSTALL_TYPE": true,
	"SUMMARY_TERRITORY": true, "SUMMARY_CHANNEL": true}

// nameInfo is what a file name says; any field may be "".
type nameInfo struct {
	typ, sub, freq, vendor, region, version string
	digits                                  string // the date: YYYYMMDD, YYYYMM or YYYY
}

func parseName(fileName string) nameInfo {
	base := path.Base(strings.ReplaceAll(fileName, `\`, "/"))
	for trimmed := true; trimmed; {
		trimmed = false
		for _, ext := range []string{".gz", ".txt", ".tsv", ".csv"} {
			if n := len(base) - len(ext); n >= 0 && strings.EqualFold(base[n:], ext) {
				base, trimmed = base[:n], true
			}
		}
	}
	var ni nameInfo
	if m := versionRE.FindStringSubmatch(base); m != nil {
		ni.version = m[1] + "_" + m[2]
	}
	if m := financeNameRE.FindStringSubmatch(base); m != nil {
		if _, ok := report.FinanceRegions[m[3]]; ok {
			ni.vendor, ni.region = m[1], m[3]
			return ni
		}
	}
	toks := strings.Split(base, "_")
	for i := 0; i+1 < len(toks); i++ {
		if !digitsRE.MatchString(toks[i]) || !digitsRE.MatchString(toks[i+1]) {
			continue
		}
		if n := len(toks[i+1]); n != 4 && n != 6 && n != 8 {
			continue
		}
		words := toks[:i]
		if len(words) == 0 {
			break // a name starting with digits that is not a finance name
		}
		ni.vendor, ni.digits = toks[i], toks[i+1]
		if f, ok := freqWords[strings.ToUpper(words[len(words)-1])]; ok && len(words) > 1 {
			ni.freq, words = f, words[:len(words)-1]
		}
		ni.typ, ni.sub = nameType(words)
		break
	}
	return ni
}

// nameType finds the longest run of leading words that names a report type; the words
// after it are the subtype when they name one.
func nameType(words []string) (typ, sub string) {
	up := make([]string, len(words))
	for i, w := range words {
		up[i] = strings.ToUpper(w)
	}
	for k := len(up); k > 0; k-- {
		if t, ok := nameTypes[strings.Join(up[:k], "_")]; ok {
			if s := strings.Join(up[k:], "_"); nameSubTypes[s] {
				sub = s
			}
			return t, sub
		}
	}
	return "", ""
}

// namePeriod converts a file-name date (YYYYMMDD, YYYYMM, YYYY) to the API period of freq:
// a day names the period that contains it; a month only a monthly period, a year only a
// yearly one.
func namePeriod(freq, s string) string {
	layouts := map[int]string{8: "20060102", 6: "200601", 4: "2006"}
	d, err := time.Parse(layouts[len(s)], s)
	if err != nil || len(s) == 0 {
		return ""
	}
	switch {
	case len(s) == 8 && freq != "",
		len(s) == 6 && freq == report.Monthly,
		len(s) == 4 && freq == report.Yearly:
		return report.PeriodFor(freq, d)
	}
	return ""
}

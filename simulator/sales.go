package simulator

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ascetl/etl/report"
)

var (
	salesTypes = []string{"SALES", "PRE_ORDER", "NEWSSTAND", "SUBSCRIPTION", "SUBSCRIPTION_EVENT",
		"SUBSCRIBER", "SUBSCRIPTION_OFFER_CODE_REDEMPTION", "INSTALLS", "FIRST_ANNUAL", "WIN_BACK_ELIGIBILITY"}
	salesSubTypes = []string{"SUMMARY", "DETAILED", "SUMMARY_INSTALL_TYPE", "SUMMARY_TERRITORY", "SUMMARY_CHANNEL"}
	frequencies   = []string{report.Daily, report.Weekly, report.Monthly, report.Yearly}
	salesParams   = []string{"filter[vendorNumber]", "filter[reportType]", "filter[reportSubType]",
		"filter[frequency]", "filter[reportDate]", "filter[version]"}
)

// acceptable reports whether the Accept header admits application/a-gzip.
//
// Decision (Accept): anything that does not admit application/a-gzip, */* or application/*
// (e.g. application/json alone) → 406 NOT_ACCEPTABLE, detail "The Accept header you specified
// in the request is not supported. The allowed type is application/a-gzip." No Accept header is
// fine.
func acceptable(h []string) bool {
	if len(h) == 0 {
		return true
	}
	for _, v := range h {
		for part := range strings.SplitSeq(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "", "*/*", "application/*", "application/a-gzip":
				return true
			}
		}
	}
	return false
}

// versions are the versions the server accepts for a combination, latest last.
//
// Decision (Version): omitted = latest; wrong = 400 PARAMETER_ERROR.INVALID "…The latest
// version for this report is X." source filter[version] (1_2 for the subscription family gets
// this too). INSTALLS yearly accepts 1_0 and 1_1 (same layout). With Accept14, 1_4 is accepted
// and becomes the latest for SUBSCRIPTION, SUBSCRIPTION_EVENT, SUBSCRIBER (so omitted version
// serves 1_4 and the error names 1_4).
func (s *Server) versions(c report.Combo) []string {
	if s.opt.Accept14 && subscriptionFamily[c.Type] {
		return append(slices.Clone(c.Versions), "1_4")
	}
	return c.Versions
}

func (s *Server) resolveVersion(c report.Combo, v string) (string, bool) {
	vs := s.versions(c)
	if v == "" {
		return vs[len(vs)-1], true
	}
	return v, slices.Contains(vs, v)
}

// salesUnit validates a salesReports query and returns the unit and version it asks for.
//
// Decision (Missing required filter): 400 PARAMETER_ERROR.REQUIRED, title "A parameter is
// required", detail "The parameter 'filter[X]' is required", source.parameter. Sales checks
// reportType, reportSubType, frequency, vendorNumber in that order; finance reportType,
// regionCode, reportDate, vendorNumber.
//
// Decision: Unknown enum value (reportType, reportSubType, frequency, finance reportType,
// regionCode, malformed finance reportDate): 400 PARAMETER_ERROR.INVALID "A parameter has an
// invalid value", detail "'V' is not a valid value for the parameter 'filter[X]'". Unknown
// query parameters: 400 PARAMETER_ERROR.ILLEGAL naming the parameter.
//
// Decision (Wrong vendor number): 400 PARAMETER_ERROR.INVALID, detail "Invalid vendor number.",
// source filter[vendorNumber] (checked before the combination).
//
// Decision: Combination not in report.SalesCombos, or reportDate not in its frequency's format
// (or not a real date): 400 PARAMETER_ERROR.INVALID.INVALID_COMBINATION with the §A.4
// title/detail, no source.
func (s *Server) salesUnit(q url.Values) (report.Unit, string, *httpError) {
	if e := checkParams(q, salesParams); e != nil {
		return report.Unit{}, "", e
	}
	for _, p := range []string{"filter[reportType]", "filter[reportSubType]", "filter[frequency]", "filter[vendorNumber]"} {
		if q.Get(p) == "" {
			return report.Unit{}, "", errRequired(p)
		}
	}
	typ, sub, freq := q.Get("filter[reportType]"), q.Get("filter[reportSubType]"), q.Get("filter[frequency]")
	if !slices.Contains(salesTypes, typ) {
		return report.Unit{}, "", errInvalidValue("filter[reportType]", typ)
	}
	if !slices.Contains(salesSubTypes, sub) {
		return report.Unit{}, "", errInvalidValue("filter[reportSubType]", sub)
	}
	if !slices.Contains(frequencies, freq) {
		return report.Unit{}, "", errInvalidValue("filter[frequency]", freq)
	}
	vendor := q.Get("filter[vendorNumber]")
	if !s.hasVendor(vendor) {
		return report.Unit{}, "", errVendor()
	}
	c, ok := report.LookupCombo(typ, sub, freq)
	if !ok {
		return report.Unit{}, "", errCombination()
	}
	u := report.Unit{Family: report.Sales, Type: typ, SubType: sub, Frequency: freq, Vendor: vendor}
	if d := q.Get("filter[reportDate]"); d != "" {
		p, ok := canonicalPeriod(freq, d)
		if !ok {
			return report.Unit{}, "", errCombination()
		}
		u.Period = p
	} else {
		u.Period = lastPublished(u, s.latestPeriod(u))
	}
	version, ok := s.resolveVersion(c, q.Get("filter[version]"))
	if !ok {
		vs := s.versions(c)
		return report.Unit{}, "", errVersion(vs[len(vs)-1])
	}
	return u, version, nil
}

// canonicalPeriod parses a reportDate in its frequency's format and returns the API period;
// a weekly date may be any day of the Monday–Sunday week.
func canonicalPeriod(freq, d string) (string, bool) {
	layout := map[string]string{report.Daily: "2006-01-02", report.Weekly: "2006-01-02",
		report.Monthly: "2006-01", report.Yearly: "2006"}[freq]
	t, err := time.Parse(layout, d)
	if err != nil || t.Format(layout) != d {
		return "", false
	}
	return report.PeriodFor(freq, t), true
}

// latestPeriod is the newest period of the unit's frequency that is available now.
//
// Decision: reportDate omitted (any frequency, not only DAILY): the latest period available
// now. WEEKLY accepts any day and serves the Monday–Sunday week containing it.
func (s *Server) latestPeriod(u report.Unit) string {
	now := s.now()
	day := now.In(report.Pacific)
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	p := report.PeriodFor(u.Frequency, d)
	for range 400 {
		u.Period = p
		if at, err := report.ExpectedAvailable(u); err == nil && !now.Before(at) {
			return p
		}
		start, _, err := report.PeriodBounds(u.Frequency, p)
		if err != nil {
			break
		}
		p = report.PeriodFor(u.Frequency, start.AddDate(0, 0, -1))
	}
	return p
}

func (s *Server) serveSales(w http.ResponseWriter, r *http.Request) {
	if !acceptable(r.Header.Values("Accept")) {
		writeError(w, errNotAcceptable())
		return
	}
	u, version, e := s.salesUnit(r.URL.Query())
	if e != nil {
		writeError(w, e)
		return
	}
	s.deliver(w, r, u, version)
}

var fileCodes = map[string]string{
	"SALES": "S", "PRE_ORDER": "O", "NEWSSTAND": "N", "SUBSCRIPTION": "Subscription",
	"SUBSCRIPTION_EVENT": "Subscription_Event", "SUBSCRIBER": "Subscriber",
	"SUBSCRIPTION_OFFER_CODE_REDEMPTION": "Subscription_Offer_Code_Redemption",
	"WIN_BACK_ELIGIBILITY":               "Win_Back_Eligibility", "INSTALLS": "Installs", "FIRST_ANNUAL": "First_Annual",
}

// fileName is the Content-Disposition file name of a unit.
//
// Decision: File names (Content-Disposition: attachment; filename=…): sales
// <code>_<F>_<vendor>_<period without dashes>.txt.gz with code S (SALES), O (PRE_ORDER), N
// (NEWSSTAND), Subscription, Subscription_Event, Subscriber,
// Subscription_Offer_Code_Redemption, Win_Back_Eligibility, Installs_<Subtype>,
// First_Annual_<Subtype>; F = D/W/M/Y; e.g. S_D_85012345_20261120.txt.gz. Finance
// <vendor>_<PPYY>_<region>.txt.gz (fiscal period, fiscal year), FINANCE_DETAIL
// <vendor>_<PPYY>_Z1_DETAIL.txt.gz.
func (s *Server) fileName(u report.Unit) string {
	if u.Family == report.Finance {
		pp := u.Period[5:7] + u.Period[2:4]
		if u.Type == report.FinanceDetail {
			return u.Vendor + "_" + pp + "_" + u.Region + "_DETAIL.txt.gz"
		}
		return u.Vendor + "_" + pp + "_" + u.Region + ".txt.gz"
	}
	code := fileCodes[u.Type]
	if u.Type == "INSTALLS" || u.Type == "FIRST_ANNUAL" {
		code += "_" + titleCase(u.SubType)
	}
	return code + "_" + u.Frequency[:1] + "_" + u.Vendor + "_" + strings.ReplaceAll(u.Period, "-", "") + ".txt.gz"
}

func titleCase(s string) string {
	parts := strings.Split(strings.ToLower(s), "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "_")
}

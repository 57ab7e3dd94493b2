package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/ascetl/etl/report"
)

// Outcome classifies Apple's answer to a report request.
type Outcome int

const (
	// OK: the report was served; Report.Body holds it.
	OK Outcome = iota
	// Empty: 404 "There were no sales for the date specified." For finance Apple uses the
	// same text for months not settled yet; the caller decides with the expected date.
	Empty
	// NotYet: any other 404, e.g. "Report is not available yet".
	NotYet
	// Gone: 410, the period is older than Apple's retention.
	Gone
	// Discontinued: Apple no longer generates the report (INSTALLS after 2025): a 410 or
	// 404 whose detail says it "is no longer generated". Report.Until is the last period
	// Apple names, if it does. The unit will never be published: end it (expired) with
	// Report.Detail as the one message.
	Discontinued
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Empty:
		return "empty"
	case NotYet:
		return "not_yet"
	case Gone:
		return "gone"
	case Discontinued:
		return "discontinued"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Report is Apple's answer to one report request.
type Report struct {
	Outcome Outcome
	// Body is the payload exactly as received (gzip bytes, never decompressed), read whole
	// and verified (every gzip member's CRC-32 and length, Content-Length) before it is
	// returned; set only for OK. The caller must close it: it frees the buffer (memory, or
	// a temporary file for a large report).
	Body io.ReadCloser
	// FileName is Apple's Content-Disposition file name, or an Apple-like synthesised one.
	FileName string
	// Version is the report version actually served; it differs from RequestedVersion when
	// Apple named a newer latest version and the request was repeated with it.
	Version          string
	RequestedVersion string
	// Detail is Apple's text for non-OK outcomes.
	Detail string
	// Until is the last period Apple says it published, for Discontinued ("" if not named).
	Until string
}

const (
	noSalesText = "There were no sales for the date specified"
	gzipAccept  = "application/a-gzip"
)

// SalesReport downloads one Sales and Trends report (GET /v1/salesReports). version ""
// omits filter[version]. When Apple refuses the version and names the latest one, the
// request is repeated once with that version (Report.Version tells which was served).
// Statuses other than 200, 404 and 410 return an *APIError, except the "Invalid vendor
// number" a subscription-family report answers for a day without data (Empty).
func (c *Client) SalesReport(ctx context.Context, u report.Unit, version string) (*Report, error) {
	if u.Family != report.Sales {
		return nil, fmt.Errorf("sales report %s: unit is not a sales unit", u)
	}
	if u.Vendor == "" || u.Type == "" || u.SubType == "" || u.Frequency == "" {
		return nil, fmt.Errorf("sales report %s: vendor, type, subtype and frequency are required", u)
	}
	q := url.Values{
		"filter[frequency]":     {u.Frequency},
		"filter[reportSubType]": {u.SubType},
		"filter[reportType]":    {u.Type},
		"filter[vendorNumber]":  {u.Vendor},
	}
	if u.Period != "" {
		q.Set("filter[reportDate]", u.Period)
	}
	served := version
	for try := 0; ; try++ {
		if served != "" {
			q.Set("filter[version]", served)
		}
		rep, err := c.fetchReport(ctx, "/v1/salesReports", q, salesFileName(u))
		if err != nil {
			var ae *APIError
			if errors.As(err, &ae) && try == 0 {
				if latest, ok := latestVersion(ae); ok && latest != served {
					c.cfg.Logger.WarnContext(ctx, "apple named a newer report version; retrying with it",
						"report", u.ID(), "requested", version, "latest", latest)
					served = latest
					continue
				}
			}
			if ae != nil && noSubscriptionData(u, ae) {
				return &Report{Outcome: Empty, FileName: salesFileName(u), Detail: ae.Detail(),
					Version: served, RequestedVersion: version}, nil
			}
			return nil, err
		}
		rep.Version, rep.RequestedVersion = served, version
		return rep, nil
	}
}

// subscriptionReports answer "Invalid vendor number" for a day without subscription data.
var subscriptionReports = map[string]bool{"SUBSCRIPTION": true, "SUBSCRIPTION_EVENT": true, "SUBSCRIBER": true}

// noSubscriptionData reports whether ae is Apple's answer to a subscription-family request
// for a day without data. Apple does not send its 404 "no sales" there but a 4xx "Invalid
// vendor number" (observed by practitioners). Decision: that answer is Empty for these
// three report types only; for SALES and every other type it stays an error, so a vendor
// number that is really wrong still fails (and fails the SALES units of the same run).
func noSubscriptionData(u report.Unit, ae *APIError) bool {
	if !subscriptionReports[u.Type] || ae.Status < 400 || ae.Status > 499 {
		return false
	}
	return strings.Contains(strings.ToLower(ae.Detail()+" "+ae.Body), "invalid vendor number")
}

// FinanceReport downloads one finance report (GET /v1/financeReports). A 404 with the
// "no sales" text is Empty: Apple answers the same for months not settled yet, so the
// caller tells them apart with report.ExpectedAvailable.
func (c *Client) FinanceReport(ctx context.Context, u report.Unit) (*Report, error) {
	if u.Family != report.Finance {
		return nil, fmt.Errorf("finance report %s: unit is not a finance unit", u)
	}
	if u.Vendor == "" || u.Type == "" || u.Region == "" || u.Period == "" {
		return nil, fmt.Errorf("finance report %s: vendor, type, region and period are required", u)
	}
	q := url.Values{
		"filter[regionCode]":   {u.Region},
		"filter[reportDate]":   {u.Period},
		"filter[reportType]":   {u.Type},
		"filter[vendorNumber]": {u.Vendor},
	}
	return c.fetchReport(ctx, "/v1/financeReports", q, financeFileName(u))
}

// fetchReport sends a report request and classifies the answer. A 200 is read whole and
// verified (readReport) within the request's retries: a report cut short is downloaded
// again, never handed on.
func (c *Client) fetchReport(ctx context.Context, path string, q url.Values, fallbackName string) (*Report, error) {
	var body io.ReadCloser
	var raw []byte
	resp, err := c.doRead(ctx, http.MethodGet, path, q.Encode(), gzipAccept, nil, func(resp *http.Response) error {
		if resp.StatusCode != http.StatusOK {
			raw, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
			return nil
		}
		var err error
		body, err = readReport(resp)
		return err
	})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK {
		name := fallbackName
		if n := dispositionName(resp.Header.Get("Content-Disposition")); n != "" {
			name = n
		}
		return &Report{Outcome: OK, Body: body, FileName: name}, nil
	}
	if resp.StatusCode >= 300 {
		raw, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_ = resp.Body.Close()
	}
	ae := newAPIError(http.MethodGet, path, resp.StatusCode, raw, c.tokens.current())
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
		if m := discontinuedRE.FindStringSubmatch(ae.Detail()); m != nil {
			return &Report{Outcome: Discontinued, FileName: fallbackName, Detail: ae.Detail(), Until: m[1]}, nil
		}
	}
	switch resp.StatusCode {
	case http.StatusNotFound:
		out := NotYet
		if strings.Contains(ae.Detail(), noSalesText) {
			out = Empty
		}
		return &Report{Outcome: out, FileName: fallbackName, Detail: ae.Detail()}, nil
	case http.StatusGone:
		return &Report{Outcome: Gone, FileName: fallbackName, Detail: ae.Detail()}, nil
	}
	return nil, ae
}

// discontinuedRE recognises the answer for a report Apple no longer generates (the
// simulator's wording, see simulator/sales_discontinued.go; Apple's own is not public, so
// any "no longer generated" or "discontinued" text counts) and captures the last period.
var discontinuedRE = regexp.MustCompile(`(?i)(?:no longer (?:being )?generated|discontinued)(?:.*?last (?:period|report)[a-z ]*?(?:is|was|:)? *(?:for )?([0-9]{4}(?:-[0-9]{2}){0,2}))?`)

// latestRE finds the version Apple names in its 400 answer to a wrong filter[version].
var latestRE = regexp.MustCompile(`(?i)latest version for this report is ([0-9A-Za-z]+(?:[_.][0-9A-Za-z]+)*)`)

// latestVersion returns the version Apple says is the latest, when the error is about the
// version parameter (or names no parameter at all).
func latestVersion(ae *APIError) (string, bool) {
	if ae.Status != http.StatusBadRequest {
		return "", false
	}
	for _, o := range ae.Errors {
		if o.Source != nil && o.Source.Parameter != "" && o.Source.Parameter != "filter[version]" {
			continue
		}
		if m := latestRE.FindStringSubmatch(o.Detail); m != nil {
			return m[1], true
		}
	}
	if m := latestRE.FindStringSubmatch(ae.Body); m != nil {
		return m[1], true
	}
	return "", false
}

// dispositionName is the file name from a Content-Disposition header, reduced to a safe
// base name ("" when absent or unusable).
func dispositionName(h string) string {
	if h == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(h)
	if err != nil {
		return ""
	}
	name := params["filename"]
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "" || name == "." || name == ".." || len(name) > 200 {
		return ""
	}
	for _, r := range name {
		ok := r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok {
			return ""
		}
	}
	return name
}

// salesFileName synthesises Apple's naming: S_D_<vendor>_<yyyymmdd>.txt.gz for SALES,
// Subscription_<vendor>_<yyyymmdd>.txt.gz (and Subscription_Event_, Subscriber_) for the
// subscription family, <TYPE>_<SUBTYPE>_<F>_<vendor>_<digits>.txt.gz otherwise.
func salesFileName(u report.Unit) string {
	digits := strings.ReplaceAll(u.Period, "-", "")
	f := "D"
	if u.Frequency != "" {
		f = u.Frequency[:1]
	}
	switch u.Type {
	case "SALES":
		return fmt.Sprintf("S_%s_%s_%s.txt.gz", f, u.Vendor, digits)
	case "SUBSCRIPTION":
		return fmt.Sprintf("Subscription_%s_%s.txt.gz", u.Vendor, digits)
	case "SUBSCRIPTION_EVENT":
		return fmt.Sprintf("Subscription_Event_%s_%s.txt.gz", u.Vendor, digits)
	case "SUBSCRIBER":
		return fmt.Sprintf("Subscriber_%s_%s.txt.gz", u.Vendor, digits)
	}
	return fmt.Sprintf("%s_%s_%s_%s_%s.txt.gz", u.Type, u.SubType, f, u.Vendor, digits)
}

// financeFileName is <vendor>_<period without '-'>_<region>.txt.gz.
func financeFileName(u report.Unit) string {
	return fmt.Sprintf("%s_%s_%s.txt.gz", u.Vendor, strings.ReplaceAll(u.Period, "-", ""), u.Region)
}

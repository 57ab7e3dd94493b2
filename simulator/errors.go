package simulator

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
)

// apiError is one element of Apple's ErrorResponse.errors array (REFERENCE.md §F.3).
type apiError struct {
	ID     string       `json:"id"`
	Status string       `json:"status"`
	Code   string       `json:"code"`
	Title  string       `json:"title"`
	Detail string       `json:"detail,omitempty"`
	Source *errorSource `json:"source,omitempty"`
}

type errorSource struct {
	Parameter string `json:"parameter,omitempty"`
}

type errorResponse struct {
	Errors []apiError `json:"errors"`
}

// Error texts. Those marked [P] come from REFERENCE.md; the others are the simulator's decisions.
const (
	titleInvalid       = "A parameter has an invalid value"
	titleRequired      = "A parameter is required"
	titleIllegal       = "A parameter is not allowed for this request"
	titleCombination   = "Some provided parameters cannot be used in this combination."
	detailCombination  = "Invalid combination of date type and date. For daily and weekly reports, use format YYYY-MM-DD. For monthly, use YYYY-MM. For yearly, use YYYY."
	titleNotFound      = "The specified resource does not exist"
	detailNoSales      = "There were no sales for the date specified."
	detailNotYet       = "The report you requested is not available yet. Try again later."
	detailGone         = "Report is no longer available."
	titleUnauthorized  = "Authentication credentials are missing or invalid."
	detailUnauthorized = "Provide a properly configured and signed bearer token, and make sure that it has not expired. " +
		"Learn more about Generating Tokens for API Requests https://developer.apple.com/go/?id=api-generating-tokens"
	titleRateLimit      = "The request rate limit has been reached."
	detailRateLimit     = "We've received too many requests for this API. Please wait and try again or slow down your request rate."
	titleNotAcceptable  = "The specified Accept header is not supported."
	detailNotAcceptable = "The Accept header you specified in the request is not supported. The allowed type is application/a-gzip."
	titleUnexpected     = "An unexpected error occurred."
	detailUnexpected    = "An unexpected error occurred on the server side. If this issue continues, contact us at https://developer.apple.com/contact/."
)

var errorSeq atomic.Uint64

// newID returns a UUID-shaped id, unique per process (error ids need not be deterministic).
func newID() string {
	n := errorSeq.Add(1)
	h := sha256.Sum256(fmt.Appendf(nil, "asc-simulator-error-%d", n))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// httpError is an error response waiting to be written.
type httpError struct {
	status     int
	code       string
	title      string
	detail     string
	parameter  string
	retryAfter int
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.detail) }

func writeError(w http.ResponseWriter, e *httpError) {
	body := errorResponse{Errors: []apiError{{
		ID:     newID(),
		Status: fmt.Sprint(e.status),
		Code:   e.code,
		Title:  e.title,
		Detail: e.detail,
	}}}
	if e.parameter != "" {
		body.Errors[0].Source = &errorSource{Parameter: e.parameter}
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(e.retryAfter))
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

func errRequired(param string) *httpError {
	return &httpError{status: 400, code: "PARAMETER_ERROR.REQUIRED", title: titleRequired,
		detail: fmt.Sprintf("The parameter '%s' is required", param), parameter: param}
}

func errInvalidValue(param, value string) *httpError {
	return &httpError{status: 400, code: "PARAMETER_ERROR.INVALID", title: titleInvalid,
		detail: fmt.Sprintf("'%s' is not a valid value for the parameter '%s'", value, param), parameter: param}
}

func errIllegal(param string) *httpError {
	return &httpError{status: 400, code: "PARAMETER_ERROR.ILLEGAL", title: titleIllegal,
		detail: fmt.Sprintf("The parameter '%s' can not be used with this request", param), parameter: param}
}

func errCombination() *httpError {
	return &httpError{status: 400, code: "PARAMETER_ERROR.INVALID.INVALID_COMBINATION",
		title: titleCombination, detail: detailCombination}
}

func errVersion(latest string) *httpError {
	return &httpError{status: 400, code: "PARAMETER_ERROR.INVALID", title: titleInvalid,
		detail:    "The version parameter you have specified is invalid. The latest version for this report is " + latest + ".",
		parameter: "filter[version]"}
}

func errVendor() *httpError {
	return &httpError{status: 400, code: "PARAMETER_ERROR.INVALID", title: titleInvalid,
		detail: "Invalid vendor number.", parameter: "filter[vendorNumber]"}
}

// Decision (403 for another account's resources): code FORBIDDEN_ERROR, title "This
// request is forbidden for security reasons" (REFERENCE.md §F.3), and a detail naming no
// resource, as Apple does not tell a key what other teams hold.
func errForbidden() *httpError {
	return &httpError{status: 403, code: "FORBIDDEN_ERROR", title: "This request is forbidden for security reasons",
		detail: "The API key in use does not allow this request."}
}

func errNoSales() *httpError {
	return &httpError{status: 404, code: "NOT_FOUND", title: titleNotFound, detail: detailNoSales}
}

func errNotYet() *httpError {
	return &httpError{status: 404, code: "NOT_FOUND", title: titleNotFound, detail: detailNotYet}
}

func errGone() *httpError {
	return &httpError{status: 410, code: "NOT_FOUND", title: "The requested resource is no longer available", detail: detailGone}
}

func errUnauthorized() *httpError {
	return &httpError{status: 401, code: "NOT_AUTHORIZED", title: titleUnauthorized, detail: detailUnauthorized}
}

func errRateLimited(retryAfter int) *httpError {
	return &httpError{status: 429, code: "RATE_LIMIT_EXCEEDED", title: titleRateLimit, detail: detailRateLimit, retryAfter: retryAfter}
}

func errNotAcceptable() *httpError {
	return &httpError{status: 406, code: "NOT_ACCEPTABLE", title: titleNotAcceptable, detail: detailNotAcceptable}
}

// Decision (500 body): code UNEXPECTED_ERROR, title "An unexpected error occurred.".
func errUnexpected() *httpError {
	return &httpError{status: 500, code: "UNEXPECTED_ERROR", title: titleUnexpected, detail: detailUnexpected}
}

func errNoPath(path string) *httpError {
	return &httpError{status: 404, code: "NOT_FOUND", title: titleNotFound,
		detail: fmt.Sprintf("The URL path '%s' does not match any resource in this simulator.", path)}
}

func errMethod(method string) *httpError {
	return &httpError{status: 405, code: "METHOD_NOT_ALLOWED", title: "The request method is not allowed for this resource",
		detail: fmt.Sprintf("The resource does not allow the '%s' method.", method)}
}

package extract

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ErrBudgetExhausted is returned, without sending anything, when the hourly request budget
// Apple announced in X-Rate-Limit (minus requests in flight and Config.BudgetReserve) is
// used up. The window is rolling: retry later, or after an hour without news the budget is
// forgotten and requests flow again.
var ErrBudgetExhausted = errors.New("app store connect request budget exhausted")

// ErrorSource says which part of the request an error is about: a query parameter, or a
// JSON pointer into the request body.
type ErrorSource struct {
	Parameter string `json:"parameter,omitempty"`
	Pointer   string `json:"pointer,omitempty"`
}

// ErrorObject is one entry of Apple's JSON:API error document (REFERENCE.md §F.3).
// Status is a string there, e.g. "400".
type ErrorObject struct {
	ID     string       `json:"id,omitempty"`
	Status string       `json:"status,omitempty"`
	Code   string       `json:"code,omitempty"`
	Title  string       `json:"title,omitempty"`
	Detail string       `json:"detail,omitempty"`
	Source *ErrorSource `json:"source,omitempty"`
}

// APIError is a non-successful HTTP answer from App Store Connect.
type APIError struct {
	Method, Path string
	Status       int
	// Errors is Apple's error list when the body was its JSON error document.
	Errors []ErrorObject
	// Body holds the first 512 bytes of the body when it was not an error document.
	Body string
	// RetryAfter is the server's Retry-After hint, zero when absent.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.Status)
	if len(e.Errors) == 0 {
		if t := http.StatusText(e.Status); t != "" {
			b.WriteString(" " + t)
		}
		if body := oneLine(e.Body); body != "" {
			b.WriteString(": " + body)
		}
		return b.String()
	}
	for i, o := range e.Errors {
		if i > 0 {
			b.WriteString(";")
		}
		if o.Code != "" {
			b.WriteString(" " + o.Code)
		}
		text := o.Detail
		if text == "" {
			text = o.Title
		}
		if text != "" {
			if o.Code != "" {
				b.WriteString(":")
			}
			b.WriteString(" " + oneLine(text))
		}
		if o.Source != nil {
			if s := firstNonEmpty(o.Source.Parameter, o.Source.Pointer); s != "" {
				b.WriteString(" (" + s + ")")
			}
		}
	}
	return b.String()
}

// Detail is the human text of the error: the first detail, else title, else the raw body.
func (e *APIError) Detail() string {
	for _, o := range e.Errors {
		if t := firstNonEmpty(o.Detail, o.Title); t != "" {
			return t
		}
	}
	return oneLine(e.Body)
}

// HasCode reports whether any error object carries code or a more specific code below it
// (codes are dot-separated, general to specific).
func (e *APIError) HasCode(code string) bool {
	for _, o := range e.Errors {
		if o.Code == code || strings.HasPrefix(o.Code, code+".") {
			return true
		}
	}
	return false
}

const maxBodyExcerpt = 512

// newAPIError builds an APIError from an error response body. redact lists strings (the
// current token) that must never be copied into the error.
func newAPIError(method, path string, status int, body []byte, redact ...string) *APIError {
	e := &APIError{Method: method, Path: path, Status: status}
	var doc struct {
		Errors []ErrorObject `json:"errors"`
	}
	if err := json.Unmarshal(body, &doc); err == nil && len(doc.Errors) > 0 {
		e.Errors = doc.Errors
		for i := range e.Errors {
			e.Errors[i].Detail = scrub(e.Errors[i].Detail, redact)
			e.Errors[i].Title = scrub(e.Errors[i].Title, redact)
		}
		return e
	}
	if len(body) > maxBodyExcerpt {
		body = body[:maxBodyExcerpt]
	}
	e.Body = scrub(strings.ToValidUTF8(string(body), "\uFFFD"), redact)
	return e
}

func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	return s
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

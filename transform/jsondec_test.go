package transform

import (
	"errors"
	"strings"
	"testing"
)

// checkJSONError fails unless err is a *JSONError that names key and, unless the whole
// document is not valid JSON, the resource or field at fault. Fuzz targets use it on
// every error a bad payload gives.
func checkJSONError(t *testing.T, key string, err error) {
	t.Helper()
	var je *JSONError
	if !errors.As(err, &je) {
		t.Fatalf("error %T is not a *JSONError: %v", err, err)
	}
	if je.Key != key || !strings.HasPrefix(err.Error(), key+": ") {
		t.Fatalf("error %q does not name the key %q", err, key)
	}
	if je.Err == nil {
		t.Fatalf("error %q has no reason", err)
	}
	// Only a payload that is not a JSON object at all may name no field; a syntax error
	// names its line and column instead (syntaxDetail).
	whole := errors.Is(err, ErrInvalidJSON) && (strings.HasPrefix(je.Detail, "invalid JSON: ") ||
		strings.HasPrefix(je.Detail, "invalid JSON at line ") || strings.HasPrefix(je.Detail, "want a JSON object"))
	if je.Path == "" && je.Where == "" && !whole {
		t.Fatalf("error %q names no field", err)
	}
}

func TestJSONErrorText(t *testing.T) {
	for _, tc := range []struct {
		err  *JSONError
		want string
	}{
		{&JSONError{Key: "k", Err: ErrInvalidJSON}, "k: invalid JSON"},
		{&JSONError{Key: "k", Path: "a[0].b", Err: ErrWrongType, Detail: "want a number, got \"7\""}, `k: a[0].b: want a number, got "7"`},
		{&JSONError{Key: "k", Where: "review", Index: 3, ID: "x", Path: "attributes.rating", Err: ErrMissingField}, "k: review 3 (id x): attributes.rating: missing"},
		{&JSONError{Key: "k", Where: "included", Index: 1, Err: ErrInvalidJSON, Detail: "invalid resource"}, "k: included 1 (no id): invalid resource"},
		{&JSONError{Key: "k"}, "k: "},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	var re *ReviewError = &JSONError{Key: "k", Err: ErrLinkage}
	if !errors.Is(re, ErrLinkage) {
		t.Error("ReviewError does not unwrap")
	}
}

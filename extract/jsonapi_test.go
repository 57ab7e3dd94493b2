package extract

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestGetJSONFollowsNextVerbatimOnTheAPIHostOnly(t *testing.T) {
	var seen []string
	var auth []string
	var env *testEnv
	env = newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.RequestURI())
		auth = append(auth, r.Header.Get("Authorization"))
		if !strings.HasPrefix(r.Header.Get("Accept"), "application/json, ") {
			t.Errorf("Accept = %q", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("cursor") == "" {
			w.Write([]byte(`{"data":[],"links":{"next":"` + env.srv.URL + `/v1/apps/1/customerReviews?cursor=AQ.AMt2C-U&limit=200&sort=-createdDate"}}`))
			return
		}
		w.Write([]byte(`{"data":[]}`))
	}))
	ctx := context.Background()
	first, err := env.client.GetJSON(ctx, "/v1/apps/1/customerReviews", url.Values{"limit": {"200"}, "sort": {"-createdDate"}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(first)
	next := s[strings.Index(s, env.srv.URL):strings.Index(s, `"}}`)]
	if _, err := env.client.GetJSON(ctx, next, nil); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[1] != "/v1/apps/1/customerReviews?cursor=AQ.AMt2C-U&limit=200&sort=-createdDate" {
		t.Errorf("requests: %v", seen)
	}
	for _, a := range auth {
		if !strings.HasPrefix(a, "Bearer ") {
			t.Errorf("missing token: %q", a)
		}
	}
	// A link to another host is refused before anything is sent.
	if _, err := env.client.GetJSON(ctx, "https://evil.example/v1/apps/1/customerReviews?cursor=x", nil); err == nil ||
		!strings.Contains(err.Error(), "off the API host") {
		t.Errorf("off-host link: %v", err)
	}
	if len(seen) != 2 {
		t.Errorf("an off-host link reached a server: %v", seen)
	}
}

func TestGetJSONErrors(t *testing.T) {
	env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeAppleError(w, http.StatusNotFound, "NOT_FOUND", "The specified resource does not exist",
			"There is no resource of type 'apps' with id '9'", "")
	}))
	_, err := env.client.GetJSON(context.Background(), "/v1/apps/9/customerReviews", nil)
	ae, ok := err.(*APIError)
	if !ok || ae.Status != 404 || !strings.Contains(err.Error(), "There is no resource of type 'apps'") {
		t.Fatalf("err = %v", err)
	}
}

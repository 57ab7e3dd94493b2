package main

import (
	"strings"
	"testing"
)

// The review queries agree with independent SQL over the loaded tables; the pipeline tests
// prove those tables equal the simulator's reviews byte for byte.
func TestReviewQueries(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "sales:\n  enabled: true", "sales:\n  enabled: false",
		"finance:\n  enabled: true", "finance:\n  enabled: false")
	if code, out, errs := runCLI(t, "run", "--config", cfg); code != 0 || !strings.Contains(out, "customer_reviews") {
		t.Fatalf("run: %d\n%s\n%s", code, out, errs)
	}
	scalar := func(sql string) string {
		t.Helper()
		code, out, errs := runCLI(t, "query", "--config", cfg, "--format", "csv", sql)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != 2 {
			t.Fatalf("%s: %d %q %s", sql, code, out, errs)
		}
		return lines[1]
	}
	checks := [][2]string{
		{"SELECT count(*) FROM unanswered_low_rating_reviews",
			"SELECT count(*) FROM customer_reviews WHERE rating <= 2 AND review_id NOT IN (SELECT review_id FROM review_responses)"},
		{"SELECT sum(reviews) FROM reviews_rating_by_week_territory", "SELECT count(*) FROM customer_reviews"},
		{"SELECT sum(stars_1 + stars_2 + stars_3 + stars_4 + stars_5) FROM reviews_rating_by_week_territory", "SELECT count(*) FROM customer_reviews"},
		{"SELECT sum(answered) FROM review_response_time", "SELECT count(*) FROM review_responses"},
		{"SELECT sum(reviews) FROM review_response_time", "SELECT count(*) FROM customer_reviews"},
	}
	for _, c := range checks {
		got, want := scalar(c[0]), scalar(c[1])
		if got != want || want == "0" {
			t.Errorf("%s = %s; %s = %s", c[0], got, c[1], want)
		}
	}
}

package enginetest

import (
	"bytes"
	"context"
	"net/url"
	"testing"
)

// Two harnesses serve the same JSON:API bytes (their links name the same host), so the
// versions archived in one compare with the other's, as runs against Apple would.
func TestHarnessesServeTheSameBytes(t *testing.T) {
	var docs [][]byte
	for range 2 {
		h := New(t, Options{})
		b, err := h.Client.GetJSON(context.Background(), "/v1/apps", url.Values{"limit": {"1"}})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(SimBaseURL+"/v1/apps?")) {
			t.Fatalf("links do not name %s: %s", SimBaseURL, b)
		}
		docs = append(docs, b)
	}
	if !bytes.Equal(docs[0], docs[1]) {
		t.Errorf("two harnesses served different bytes:\n%s\n%s", docs[0], docs[1])
	}
}

func TestCorruptPayloadsKeepsTheAppListing(t *testing.T) {
	h := New(t, Options{})
	api := CorruptPayloads(h.Client)
	ctx := context.Background()
	for _, tc := range []struct {
		target string
		intact bool
	}{
		{"/v1/apps", true},
		{SimBaseURL + "/v1/apps?limit=1", true},
		{"/v1/apps/" + h.Sim.AppIDs()[0] + "/perfPowerMetrics", false},
	} {
		want, err := h.Client.GetJSON(ctx, tc.target, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := api.GetJSON(ctx, tc.target, nil)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(got, want) != tc.intact {
			t.Errorf("%s: intact %v, want %v", tc.target, bytes.Equal(got, want), tc.intact)
		}
	}
}

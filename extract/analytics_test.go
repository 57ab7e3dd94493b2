package extract

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascetl/etl/simulator"
)

// simEnv is a client talking to the simulator over httptest, both on one fake clock.
func simEnv(t *testing.T) (*testEnv, *simulator.Server) {
	t.Helper()
	var clock *fakeClock
	sim := simulator.New(simulator.Options{Seed: 7, Now: func() time.Time { return clock.Now() }})
	env := newEnv(t, sim)
	clock = env.clock
	sim.AddKey(env.client.cfg.KeyID, &env.key.PublicKey)
	return env, sim
}

type apiDoc struct {
	Data []struct {
		ID         string         `json:"id"`
		Attributes map[string]any `json:"attributes"`
	} `json:"data"`
}

func getDoc(t *testing.T, c *Client, target string, q url.Values) apiDoc {
	t.Helper()
	b, err := c.GetJSON(context.Background(), target, q)
	if err != nil {
		t.Fatal(err)
	}
	var d apiDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAnalyticsAgainstSimulator(t *testing.T) {
	env, sim := simEnv(t)
	ctx := context.Background()
	app := sim.AppIDs()[0]
	body := []byte(`{"data":{"type":"analyticsReportRequests","attributes":{"accessType":"ONGOING"},` +
		`"relationships":{"app":{"data":{"type":"apps","id":"` + app + `"}}}}}`)
	created, err := env.client.PostJSON(ctx, "/v1/analyticsReportRequests", body)
	if err != nil {
		t.Fatal(err)
	}
	var one struct {
		Data struct{ ID string } `json:"data"`
	}
	if err := json.Unmarshal(created, &one); err != nil || one.Data.ID == "" {
		t.Fatalf("201 body %s: %v", created, err)
	}
	_, err = env.client.PostJSON(ctx, "/v1/analyticsReportRequests", body)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusConflict || !ae.HasCode("ENTITY_ERROR") {
		t.Fatalf("second create: %v", err)
	}

	env.clock.Add(72 * time.Hour)
	reports := getDoc(t, env.client, "/v1/analyticsReportRequests/"+one.Data.ID+"/reports",
		url.Values{"filter[name]": {"App Crashes"}})
	if len(reports.Data) != 1 {
		t.Fatalf("reports: %+v", reports)
	}
	insts := getDoc(t, env.client, "/v1/analyticsReports/"+reports.Data[0].ID+"/instances",
		url.Values{"filter[granularity]": {"DAILY"}})
	if len(insts.Data) == 0 {
		t.Fatal("no instances")
	}
	segPath := "/v1/analyticsReportInstances/" + insts.Data[0].ID + "/segments"
	segs := getDoc(t, env.client, segPath, nil)
	seg := segs.Data[0].Attributes
	segURL := seg["url"].(string)

	apiRequests := env.client.Stats().Requests
	b, err := env.client.Download(ctx, segURL)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(b)
	if hex.EncodeToString(sum[:]) != seg["checksum"] || float64(len(b)) != seg["sizeInBytes"] {
		t.Fatalf("downloaded %d bytes, checksum mismatch with %v", len(b), seg)
	}
	if st := sim.SegmentStats(); st.Downloads != 1 || st.Served != 1 || st.WithAuthorization != 0 {
		t.Fatalf("simulator saw %+v", st)
	}
	if got := env.client.Stats().Requests; got != apiRequests {
		t.Fatalf("a download counted as %d API requests", got-apiRequests)
	}

	// Past 300 s the URL is refused as expired; listing again gives a working one.
	env.clock.Add(301 * time.Second)
	_, err = env.client.Download(ctx, segURL)
	var de *DownloadError
	if !errors.Is(err, ErrURLExpired) || !errors.As(err, &de) || de.Status != 403 || de.Code != "AccessDenied" {
		t.Fatalf("expired download: %v", err)
	}
	if strings.Contains(err.Error(), "X-Amz-Signature") || len(env.waits.list()) != 0 {
		t.Fatalf("error shows the signature or was retried: %v (%v)", err, env.waits.list())
	}
	fresh := getDoc(t, env.client, segPath, nil).Data[0].Attributes["url"].(string)
	if b2, err := env.client.Download(ctx, fresh); err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("fresh download: %v", err)
	}
	if st := sim.SegmentStats(); st.Downloads != 3 || st.WithAuthorization != 0 || st.Expired != 1 {
		t.Fatalf("simulator saw %+v", st)
	}

	if err := env.client.Delete(ctx, "/v1/analyticsReportRequests/"+one.Data.ID); err != nil {
		t.Fatal(err)
	}
	if err := env.client.Delete(ctx, "/v1/analyticsReportRequests/"+one.Data.ID); !errors.As(err, &ae) || ae.Status != 404 {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := env.client.PostJSON(ctx, "/v1/analyticsReportRequests", body); err != nil {
		t.Fatalf("create after delete: %v", err)
	}
}

// TestDownloadRawServer checks the wire directly: no Authorization on any attempt, 5xx
// retried with backoff, S3 errors reported with status, Code and Message.
func TestDownloadRawServer(t *testing.T) {
	var mu sync.Mutex
	var auths []string
	calls := 0
	payload := gzipBytes(t, "Date\tCounts\n2026-11-20\t3\n")
	mux := http.NewServeMux()
	mux.HandleFunc("/seg/flaky.csv.gz", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(payload)
	})
	mux.HandleFunc("/seg/forged.csv.gz", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
			`<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match.</Message></Error>`)
	})
	mux.HandleFunc("/seg/gone.csv.gz", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "not here", http.StatusNotFound)
	})
	env := newEnv(t, mux)
	ctx := context.Background()
	q := "?X-Amz-Date=20261121T170000Z&X-Amz-Expires=300&X-Amz-Signature=abcdef0123456789"

	b, err := env.client.Download(ctx, env.srv.URL+"/seg/flaky.csv.gz"+q)
	if err != nil || !bytes.Equal(b, payload) {
		t.Fatalf("flaky: %v", err)
	}
	if w := env.waits.list(); len(w) != 1 || calls != 2 {
		t.Fatalf("retries: calls %d, waits %v", calls, w)
	}

	_, err = env.client.Download(ctx, env.srv.URL+"/seg/forged.csv.gz"+q)
	var de *DownloadError
	if !errors.As(err, &de) || de.Status != 403 || de.Code != "SignatureDoesNotMatch" || errors.Is(err, ErrURLExpired) ||
		!strings.Contains(err.Error(), "403 SignatureDoesNotMatch: The request signature") || strings.Contains(err.Error(), "abcdef") {
		t.Fatalf("forged: %v", err)
	}
	_, err = env.client.Download(ctx, env.srv.URL+"/seg/gone.csv.gz"+q)
	if !errors.As(err, &de) || de.Status != 404 || de.Code != "" || !strings.Contains(err.Error(), "404 Not Found: not here") {
		t.Fatalf("gone: %v", err)
	}
	if _, err := env.client.Download(ctx, "/relative/path"); err == nil {
		t.Fatal("relative URL accepted")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auths) != 4 {
		t.Fatalf("%d requests reached the server", len(auths))
	}
	for i, a := range auths {
		if a != "" {
			t.Fatalf("request %d carried Authorization %q", i, a)
		}
	}
	if st := env.client.Stats(); st.Requests != 0 {
		t.Fatalf("downloads counted as %d API requests", st.Requests)
	}
}

// TestPostJSONRetriesWithBody: the body and Content-Type go out on every attempt, with the
// bearer token; 500 is retried.
func TestPostJSONRetriesWithBody(t *testing.T) {
	var mu sync.Mutex
	var got []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.Header.Get("Content-Type")+" "+strings.SplitN(r.Header.Get("Authorization"), " ", 2)[0]+" "+string(b))
		n := len(got)
		mu.Unlock()
		if n == 1 {
			writeAppleError(w, 500, "UNEXPECTED_ERROR", "An unexpected error occurred.", "", "")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"data":{"id":"x"}}`)
	})
	env := newEnv(t, h)
	out, err := env.client.PostJSON(context.Background(), "/v1/analyticsReportRequests", []byte(`{"a":1}`))
	if err != nil || string(out) != `{"data":{"id":"x"}}` {
		t.Fatalf("PostJSON: %q %v", out, err)
	}
	want := `POST application/json Bearer {"a":1}`
	if len(got) != 2 || got[0] != want || got[1] != want {
		t.Fatalf("server saw %q", got)
	}
}

package sources_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// Helpers of the JSON:API snapshot families' tests (catalog, TestFlight, Xcode Cloud).

// tableRows reads every object of a table.
func tableRows(h *enginetest.Harness, name string) (*schemas.Table, []transform.CatalogRow) {
	h.T.Helper()
	t, _ := schemas.Lookup(name)
	keys, err := h.Store.List(context.Background(), "parquet/"+name+"/")
	if err != nil {
		h.T.Fatal(err)
	}
	var out []transform.CatalogRow
	for _, k := range keys {
		tbl, err := h.Store.ReadTable(context.Background(), k, h.Alloc)
		if err != nil {
			h.T.Fatalf("%s: %v", k, err)
		}
		rows, err := transform.CatalogRows(t, tbl)
		tbl.Release()
		if err != nil {
			h.T.Fatal(err)
		}
		out = append(out, rows...)
	}
	return t, out
}

// corruptValues wraps an API so that every JSON document stays valid JSON with its ids,
// types, relationships and links intact (so listings still work), but every number and
// boolean becomes the string "#bad#": a document only Parse can find wrong.
func corruptValues(api engine.API) engine.API { return &valueCorrupter{API: api} }

type valueCorrupter struct{ engine.API }

func (c *valueCorrupter) GetJSON(ctx context.Context, target string, q url.Values) ([]byte, error) {
	b, err := c.API.GetJSON(ctx, target, q)
	if err != nil {
		return b, err
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return b, nil
	}
	out, _ := json.Marshal(garbleValues(v, ""))
	return out, nil
}

func garbleValues(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		if key == "links" || key == "relationships" {
			return x
		}
		for k, e := range x {
			x[k] = garbleValues(e, k)
		}
	case []any:
		for i, e := range x {
			x[i] = garbleValues(e, key)
		}
	case float64, bool:
		return "#bad#"
	}
	return v
}

// failing wraps an API so that every GET whose path contains part fails (a 500 after
// the client's retries).
func failing(part string) func(engine.API) engine.API {
	return func(api engine.API) engine.API { return &failer{API: api, part: part} }
}

type failer struct {
	engine.API
	part   string
	status int // the API's answer; 0: a transport failure
}

// answering wraps an API so that every GET whose path contains part is answered status.
func answering(part string, status int) func(engine.API) engine.API {
	return func(api engine.API) engine.API { return &failer{API: api, part: part, status: status} }
}

var errInjected = errors.New("injected failure")

func (f *failer) GetJSON(ctx context.Context, target string, q url.Values) ([]byte, error) {
	if strings.Contains(target, f.part) {
		if f.status != 0 {
			return nil, &extract.APIError{Method: "GET", Path: target, Status: f.status}
		}
		return nil, errInjected
	}
	return f.API.GetJSON(ctx, target, q)
}

// requests counts the simulator's requests whose path contains part.
func requests(h *enginetest.Harness, part string) int {
	n := 0
	for p, c := range h.Sim.Stats().ByPath {
		if strings.Contains(p, part) {
			n += c
		}
	}
	return n
}

// sameObjects fails the test when a Parquet object differs between two snapshots.
func sameObjects(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	if d := enginetest.Diff(before, after); len(d) > 0 {
		t.Errorf("%s changed %v", what, d)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

package sources

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// Helpers of the families whose units are snapshots of the present read from JSON:API
// documents (the catalog dimensions, TestFlight, Xcode Cloud): one unit per UTC day,
// documents archived as received and decoded only by Parse.

// snapshotDay is the unit period of a snapshot taken at now: its UTC day.
func snapshotDay(now time.Time) string { return now.UTC().Format("2006-01-02") }

// pastSnapshot answers Gone for a unit of a day other than today's: Apple serves only the
// present, so a past day's snapshot (a unit left pending or failed) can no longer be taken.
func pastSnapshot(env *engine.FetchEnv, p engine.Planned) (engine.Fetched, bool) {
	if p.Unit.Period == snapshotDay(env.Now) {
		return engine.Fetched{}, false
	}
	return engine.Fetched{Outcome: engine.Gone, Detail: "a snapshot of a past day cannot be taken"}, true
}

// putDoc archives one document as received.
func putDoc(env *engine.FetchEnv, name string, body []byte) error {
	return env.Put(name, bytes.NewReader(body))
}

// isNotFound reports whether err is the API's 404.
func isNotFound(err error) bool {
	var ae *extract.APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// fieldError is a transform.JSONError worded as "<key>: field <path>: <what>".
type fieldError struct{ *transform.JSONError }

func (e fieldError) Error() string {
	return strings.Replace(e.JSONError.Error(), e.Key+": ", e.Key+": field ", 1)
}

func (e fieldError) Unwrap() error { return e.JSONError }

// docErr names where a payload is bad: the field (JSON path) of a bad value, or the byte
// offset of a document that is not JSON at all.
func docErr(key string, data []byte, err error) error {
	if err == nil {
		return nil
	}
	var je *transform.JSONError
	if !errors.As(err, &je) {
		return err
	}
	if je.Path != "" {
		return fieldError{je}
	}
	var v any
	var se *json.SyntaxError
	if errors.As(json.Unmarshal(data, &v), &se) {
		return fmt.Errorf("%s: invalid JSON at offset %d: %v", key, se.Offset, se)
	}
	return err
}

// decodeDoc decodes the JSON:API document of a payload (errors: docErr).
func decodeDoc(key string, data []byte) (*transform.Document, error) {
	doc, err := transform.DecodeDocument(key, data)
	return doc, docErr(key, data, err)
}

// readPayload reads one payload of the version being parsed.
func readPayload(in *engine.ParseInput, p load.Payload) ([]byte, error) {
	rc, err := in.Open(p)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Key, err)
	}
	return data, nil
}

// resourceRows calls fn with a row of t per resource of doc (lineage: the document's key,
// the resource's position, at).
func resourceRows(doc *transform.Document, data []byte, t *schemas.Table, at time.Time,
	fn func(r *transform.CatalogRow, res *transform.Resource) error) error {
	for i := range doc.Data {
		r, err := transform.ResourceRow(t, doc, &doc.Data[i], at)
		if err != nil {
			return docErr(doc.Key, data, err)
		}
		if err := fn(&r, &doc.Data[i]); err != nil {
			return docErr(doc.Key, data, err)
		}
	}
	return nil
}

// listIDs returns the ids of a list page's resources (Fetch reads no more of a document
// than the ids it must follow).
func listIDs(name string, body []byte) ([]string, error) {
	var doc struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%s: not a JSON:API list: %w", name, err)
	}
	ids := make([]string, len(doc.Data))
	for i, r := range doc.Data {
		if r.ID == "" {
			return nil, fmt.Errorf("%s: data[%d] has no id", name, i)
		}
		ids[i] = r.ID
	}
	return ids, nil
}

// partKey is one partition of a table keyed by app and month.
type partKey struct {
	table      *schemas.Table
	app, month string
}

// partRows groups a unit's rows by partition, in a deterministic order.
type partRows map[partKey][]transform.CatalogRow

func (pr partRows) add(t *schemas.Table, app, month string, r transform.CatalogRow) {
	k := partKey{t, app, month}
	pr[k] = append(pr[k], r)
}

// outputs builds one MergeByKey output per partition, ordered by table, app and month.
func (pr partRows) outputs(in *engine.ParseInput) (*engine.Parsed, error) {
	keys := make([]partKey, 0, len(pr))
	for k := range pr {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.table.Name != b.table.Name {
			return a.table.Name < b.table.Name
		}
		if a.app != b.app {
			return a.app < b.app
		}
		return a.month < b.month
	})
	var outs []engine.Output
	var recs []arrow.RecordBatch
	release := func() { releaseAll(recs) }
	for _, k := range keys {
		part, err := k.table.PartitionPath(k.app, k.month)
		if err != nil {
			release()
			return nil, err
		}
		rec, err := transform.CatalogRecord(in.Alloc, k.table, pr[k])
		if err != nil {
			release()
			return nil, err
		}
		recs = append(recs, rec)
		outs = append(outs, engine.Output{Table: k.table, Partition: part, Input: engine.Records(rec), Primary: true})
	}
	return &engine.Parsed{Outputs: outs, Release: release}, nil
}

// monthOf is the month partition of a day or time (UTC).
func monthOf(t time.Time) string { return t.UTC().Format("2006-01") }

// table returns a registered table (the names are constants of package schemas).
func table(name string) *schemas.Table {
	t, ok := schemas.Lookup(name)
	if !ok {
		panic("sources: table " + name + " is not registered")
	}
	return t
}

package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// apiSegment is one analyticsReportSegments resource.
type apiSegment struct {
	ID       string
	Checksum string
	Size     int64
	URL      string
}

// analyticsInstance loads one instance unless the ledger has it as loaded (instances never
// change once published, so a loaded one is never downloaded again) and records the
// outcome in the ledger and the summary.
func (p *Pipeline) analyticsInstance(ctx context.Context, app, access string, r schemas.AnalyticsReport, in apiInstance, sum *Summary) {
	u := analyticsUnit(app, access, r, in)
	prior, known, err := p.Store.Ledger().Get(ctx, u)
	if err != nil {
		sum.Planned++
		sum.add(outcome{Unit: u, State: load.Failed, Err: err})
		return
	}
	if known && (prior.State == load.Loaded || prior.State == load.Empty) {
		return
	}
	sum.Planned++
	t0 := time.Now()
	at := p.now().UTC()
	e := prior
	if !known {
		e = load.Entry{Unit: u, FirstSeen: at}
	}
	e.Attempts++
	e.UpdatedAt = at
	o := p.loadAnalyticsInstance(ctx, u.Vendor, access, r, in, &e, at)
	if ctx.Err() != nil && o.Err != nil {
		return // interrupted: the ledger stays as it was, the next run redoes the instance
	}
	e.State = o.State
	if o.Err != nil {
		e.Error = o.Err.Error()
	} else {
		e.Error = ""
	}
	o = p.record(ctx, e, o)
	o.Unit, o.Dur = u, time.Since(t0)
	sum.add(o)
	p.log().Info("unit", "family", u.Family, "report", u.Table(), "period", in.ProcessingDate, "app", app,
		"granularity", in.Granularity, "access", access, "state", o.State, "rows", o.Rows,
		"dur", o.Dur.Round(time.Millisecond).String())
}

func (p *Pipeline) loadAnalyticsInstance(ctx context.Context, app, access string, r schemas.AnalyticsReport, in apiInstance, e *load.Entry, at time.Time) outcome {
	fail := func(err error) outcome { return outcome{State: load.Failed, Err: err} }
	segs, err := p.analyticsSegments(ctx, in.ID)
	if isStatus(err, http.StatusNotFound) {
		return outcome{State: load.Expired} // gone (35 days) between the listing and now
	}
	if err != nil {
		return fail(fmt.Errorf("segments of instance %s: %w", in.ID, err))
	}
	t, ok := schemas.Lookup(r.Table)
	if !ok {
		return fail(fmt.Errorf("no table %s", r.Table))
	}
	parser, err := transform.NewAnalyticsParser(t, r, transform.AnalyticsInstance{
		ID: in.ID, Granularity: in.Granularity, ProcessingDate: in.ProcessingDate, AccessType: access}, p.alloc(), at)
	if err != nil {
		return fail(err)
	}
	defer parser.Release()
	rawDir := fmt.Sprintf("raw/analytics/%s/app_id=%s/%s/%s/%s/", r.Table, app, strings.ToLower(in.Granularity), in.ProcessingDate, strings.ToLower(access))
	var rawBytes int64
	for i, s := range segs {
		data, err := p.downloadSegment(ctx, in.ID, s)
		if err != nil {
			return fail(err)
		}
		key := fmt.Sprintf("%s%s-%02d.csv.gz", rawDir, safeName(in.ID), i+1)
		if _, err := p.Store.PutRaw(ctx, key, bytes.NewReader(data)); err != nil {
			return fail(err)
		}
		rawBytes += int64(len(data))
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return fail(fmt.Errorf("%s: not gzip: %w", key, err))
		}
		err = parser.AddSegment(key, zr)
		zr.Close()
		if err != nil {
			return fail(err)
		}
	}
	e.RawBytes = rawBytes
	rows := parser.Rows()
	if rows == 0 {
		e.Rows, e.Objects = 0, nil
		return outcome{State: load.Empty}
	}
	var drift []string
	d := parser.Drift()
	if len(d.Unknown) > 0 {
		drift = append(drift, "unknown columns kept as text: "+strings.Join(d.Unknown, ", "))
	}
	if len(d.Missing) > 0 {
		drift = append(drift, "expected columns missing (null): "+strings.Join(d.Missing, ", "))
	}
	var objects []string
	var bytesOut int64
	unchanged := true
	for _, m := range parser.Months() {
		rec := parser.Record(m)
		key := load.ParquetKey(r.Table, "app_id="+app+"/month="+m)
		info, err := p.Store.MergeParquet(ctx, key, schemas.AnalyticsInstanceID, []string{in.ID}, rec, load.ParquetOptions{Alloc: p.alloc()})
		rec.Release()
		if err != nil {
			return fail(err)
		}
		objects = append(objects, key)
		bytesOut += info.Bytes
		unchanged = unchanged && info.Unchanged
	}
	e.Rows, e.Bytes, e.Objects, e.Drift, e.LoadedAt = rows, bytesOut, objects, drift, at
	return outcome{State: load.Loaded, Rows: rows, Bytes: bytesOut, Drift: drift, Unchanged: unchanged}
}

// analyticsSegments lists an instance's segments (each listing mints fresh URLs).
func (p *Pipeline) analyticsSegments(ctx context.Context, instanceID string) ([]apiSegment, error) {
	var out []apiSegment
	err := p.eachResource(ctx, "/v1/analyticsReportInstances/"+url.PathEscape(instanceID)+"/segments",
		url.Values{"limit": {"200"}}, func(res jsonResource) error {
			var a struct {
				Checksum    string `json:"checksum"`
				SizeInBytes int64  `json:"sizeInBytes"`
				URL         string `json:"url"`
			}
			if err := json.Unmarshal(res.Attributes, &a); err != nil {
				return err
			}
			out = append(out, apiSegment{ID: res.ID, Checksum: a.Checksum, Size: a.SizeInBytes, URL: a.URL})
			return nil
		})
	return out, err
}

// downloadSegment fetches a segment from its pre-signed URL and checks its size and MD5.
// An expired URL (5 minutes) is refreshed by listing the instance's segments again, up to
// analytics.max_url_retries times; a size or checksum mismatch is retried the same way.
func (p *Pipeline) downloadSegment(ctx context.Context, instanceID string, s apiSegment) ([]byte, error) {
	var last error
	for attempt := 0; ; attempt++ {
		data, err := p.API.Download(ctx, s.URL)
		if err == nil {
			err = verifySegment(s, data)
			if err == nil {
				return data, nil
			}
		} else if !errors.Is(err, extract.ErrURLExpired) {
			return nil, fmt.Errorf("segment %s of instance %s: %w", s.ID, instanceID, err)
		}
		last = err
		if attempt >= p.Cfg.Analytics.MaxURLRetries {
			return nil, fmt.Errorf("segment %s of instance %s: %w (after %d refreshes)", s.ID, instanceID, last, attempt)
		}
		p.log().Info("analytics segment URL refreshed", "instance", instanceID, "segment", s.ID, "reason", err.Error())
		segs, err := p.analyticsSegments(ctx, instanceID)
		if err != nil {
			return nil, fmt.Errorf("segment %s of instance %s: refresh: %w", s.ID, instanceID, err)
		}
		found := false
		for _, x := range segs {
			if x.ID == s.ID {
				s, found = x, true
			}
		}
		if !found {
			return nil, fmt.Errorf("segment %s of instance %s: no longer listed", s.ID, instanceID)
		}
	}
}

// verifySegment checks sizeInBytes and the MD5 checksum (hex) of a downloaded segment.
func verifySegment(s apiSegment, data []byte) error {
	if s.Size > 0 && int64(len(data)) != s.Size {
		return fmt.Errorf("size %d bytes, sizeInBytes says %d", len(data), s.Size)
	}
	if s.Checksum != "" {
		sum := md5.Sum(data)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, s.Checksum) {
			return fmt.Errorf("md5 %s, checksum says %s", got, s.Checksum)
		}
	}
	return nil
}

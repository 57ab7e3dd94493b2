package pipeline

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// outcome is what happened to one unit in this run.
type outcome struct {
	Unit      report.Unit
	State     load.State
	Unchanged bool // fetched again, identical payload: nothing rewritten
	Deferred  bool // a re-check of loaded data skipped for lack of request budget
	Overdue   bool // pending past the time Apple should have published it
	Rows      int64
	Bytes     int64
	Drift     []string
	Err       error
	Dur       time.Duration
}

// process runs one unit: fetch, archive, transform, load, ledger. Every path that reaches
// Apple ends with a ledger entry, except a cancelled context, which leaves the ledger as it
// was so the next run redoes the unit.
func (p *Pipeline) process(ctx context.Context, pu planned) outcome {
	t0 := time.Now()
	o := p.fetchAndLoad(ctx, pu)
	o.Unit, o.Dur = pu.Unit, time.Since(t0)
	if ctx.Err() != nil && o.Err != nil {
		return o
	}
	level, msg := p.log().Info, "unit"
	if o.Err != nil {
		level = p.log().Warn
	}
	args := []any{"family", pu.Unit.Family, "report", pu.Unit.Table(), "period", pu.Unit.Period,
		"state", o.State, "rows", o.Rows, "bytes", o.Bytes, "dur", o.Dur.Round(time.Millisecond).String()}
	if pu.Unit.Region != "" {
		args = append(args, "region", pu.Unit.Region)
	}
	if o.Unchanged {
		args = append(args, "unchanged", true)
	}
	if len(o.Drift) > 0 {
		args = append(args, "drift", o.Drift)
	}
	if o.Err != nil {
		args = append(args, "err", o.Err.Error())
	}
	level(msg, args...)
	return o
}

func (p *Pipeline) fetchAndLoad(ctx context.Context, pu planned) outcome {
	u := pu.Unit
	entry := pu.Prior
	if !pu.Known {
		entry = load.Entry{Unit: u, FirstSeen: p.now().UTC()}
	}
	entry.Unit = u
	entry.Attempts++
	entry.UpdatedAt = p.now().UTC()

	kind := kindOf(u.Type, u.SubType, u.Frequency)
	version := ""
	var rep *extract.Report
	var err error
	if u.Family == report.Finance {
		rep, err = p.API.FinanceReport(ctx, u)
	} else {
		version = p.version(kind)
		rep, err = p.API.SalesReport(ctx, u, version)
	}
	if err != nil {
		if ctx.Err() != nil {
			return outcome{State: entry.State, Err: ctx.Err()}
		}
		state := load.Failed
		if errors.Is(err, extract.ErrBudgetExhausted) {
			state = load.Pending
		}
		if entry.State == load.Loaded || entry.State == load.Empty {
			if state == load.Pending {
				// A re-check the budget could not cover: the data we have stands.
				return outcome{State: entry.State, Deferred: true}
			}
			// Keep what we have; the error is still reported for this run.
			return outcome{State: load.Failed, Err: err}
		}
		entry.State, entry.Error = state, err.Error()
		// A unit left for lack of request budget is due and not loaded: the run is partial.
		return p.record(ctx, entry, outcome{State: state, Err: err, Overdue: state == load.Pending})
	}
	if rep.Version != "" && rep.Version != version && u.Family == report.Sales {
		p.log().Warn("version adopted", "report", kind, "requested", version, "apple_latest", rep.Version)
		p.setVersion(kind, rep.Version)
		version = rep.Version
	}

	switch rep.Outcome {
	case extract.Empty:
		return p.noData(ctx, entry, rep)
	case extract.NotYet:
		entry.State, entry.Error = load.Pending, rep.Detail
		return p.record(ctx, entry, outcome{State: load.Pending, Overdue: p.overdue(u)})
	case extract.Gone, extract.Discontinued: // Discontinued: rep.Detail says why, once per unit
		if entry.State == load.Loaded {
			return outcome{State: load.Loaded, Unchanged: true}
		}
		entry.State, entry.Error = load.Expired, rep.Detail
		return p.record(ctx, entry, outcome{State: load.Expired})
	}

	defer rep.Body.Close()
	raw, err := p.Store.PutRaw(ctx, load.RawKey(u, rep.FileName), rep.Body)
	if err != nil {
		if ctx.Err() != nil {
			return outcome{State: entry.State, Err: ctx.Err()}
		}
		entry.State, entry.Error = load.Failed, err.Error()
		return p.record(ctx, entry, outcome{State: load.Failed, Err: err})
	}
	if entry.State == load.Loaded && entry.Checksum == raw.SHA256 && entry.RawKey == raw.Key && entry.Version == version {
		return outcome{State: load.Loaded, Unchanged: true, Rows: entry.Rows}
	}
	entry.RawKey, entry.RawBytes, entry.Checksum, entry.Version = raw.Key, raw.Bytes, raw.SHA256, version
	return p.loadEntry(ctx, entry, p.now().UTC())
}

// noData handles Apple's "There were no sales for the date specified." Sales: final.
// Finance: Apple says the same for a month not published yet, so it is only final once the
// expected publication date is well past.
func (p *Pipeline) noData(ctx context.Context, entry load.Entry, rep *extract.Report) outcome {
	u := entry.Unit
	if u.Family == report.Finance {
		at, _ := report.ExpectedAvailable(u)
		if p.now().Before(at.AddDate(0, 0, p.Cfg.Finance.EmptyAfterDays)) {
			entry.State, entry.Error = load.Pending, rep.Detail
			return p.record(ctx, entry, outcome{State: load.Pending})
		}
	}
	if entry.State == load.Empty {
		return outcome{State: load.Empty, Unchanged: true} // nothing new: the ledger stays as it is
	}
	if entry.State == load.Loaded {
		// Apple served data before and now says none: keep the data, flag it.
		p.log().Warn("apple reports no data for a loaded unit; keeping loaded data", "unit", u.ID())
		return outcome{State: load.Loaded, Unchanged: true, Rows: entry.Rows}
	}
	entry.State, entry.Error = load.Empty, ""
	return p.record(ctx, entry, outcome{State: load.Empty})
}

// overdue reports whether a unit still unpublished is past its freshness due time.
func (p *Pipeline) overdue(u report.Unit) bool {
	due, ok := DueAt(p.Cfg, u)
	return ok && p.now().After(due)
}

// loadEntry derives Parquet from the archived raw payload of entry and records the result.
// Import and reparse use it too, so API data and hand-downloaded files load identically.
func (p *Pipeline) loadEntry(ctx context.Context, entry load.Entry, extractedAt time.Time) outcome {
	res, err := p.transformLoad(ctx, entry.Unit, entry.RawKey, entry.Version, extractedAt)
	if err != nil {
		if ctx.Err() != nil {
			return outcome{State: entry.State, Err: ctx.Err()}
		}
		entry.State, entry.Error = load.Failed, err.Error()
		return p.record(ctx, entry, outcome{State: load.Failed, Err: err})
	}
	entry.State, entry.Error = load.Loaded, ""
	entry.Rows, entry.Bytes, entry.Objects = res.Rows, res.Bytes, []string{res.Key}
	entry.HeaderHash, entry.Drift, entry.LoadedAt = res.HeaderHash, res.Drift, extractedAt
	return p.record(ctx, entry, outcome{State: load.Loaded, Rows: res.Rows, Bytes: res.Bytes, Drift: res.Drift})
}

type loaded struct {
	Key        string
	Rows       int64
	Bytes      int64
	HeaderHash string
	Drift      []string
}

func (p *Pipeline) transformLoad(ctx context.Context, u report.Unit, rawKey, version string, extractedAt time.Time) (loaded, error) {
	table, err := schemas.ForUnit(u)
	if err != nil {
		return loaded{}, err
	}
	part, err := u.Partition()
	if err != nil {
		return loaded{}, err
	}
	rc, err := p.Store.OpenRaw(ctx, rawKey)
	if err != nil {
		return loaded{}, err
	}
	defer rc.Close()
	gz, err := gzip.NewReader(rc)
	if err != nil {
		return loaded{}, fmt.Errorf("%s: not a gzip file: %w", rawKey, err)
	}
	defer gz.Close()
	rdr, err := transform.NewReader(gz, table, transform.Options{
		Key: rawKey, Version: version, ExtractedAt: extractedAt, Alloc: p.alloc(),
	})
	if err != nil {
		return loaded{}, err
	}
	defer rdr.Release()
	// Parse ahead on a second core while the Parquet writer encodes (BENCHMARKS.md).
	pf := transform.Prefetch(rdr, 2)
	defer pf.Stop() // before rdr.Release: the producer is done with the reader
	info, err := p.Store.WriteParquet(ctx, load.ParquetKey(table.Name, part), pf, load.ParquetOptions{Alloc: p.alloc()})
	if err != nil {
		return loaded{}, err
	}
	d := rdr.Drift()
	var drift []string
	for _, c := range d.Unknown {
		drift = append(drift, fmt.Sprintf("unknown column %q kept as text", c))
	}
	for _, c := range d.Missing {
		drift = append(drift, fmt.Sprintf("expected column %q missing (null)", c))
	}
	return loaded{Key: info.Key, Rows: info.Rows, Bytes: info.Bytes, HeaderHash: rdr.HeaderHash(), Drift: drift}, nil
}

// record writes the ledger entry; a ledger write failure turns the outcome into a failure.
// It is not cancelled with ctx: the unit's objects are committed by now, and a shutdown
// finishes the unit in flight rather than leave objects the ledger does not know.
func (p *Pipeline) record(ctx context.Context, e load.Entry, o outcome) outcome {
	if err := p.Store.Ledger().Put(context.WithoutCancel(ctx), e); err != nil {
		o.State, o.Err = load.Failed, fmt.Errorf("ledger: %w", err)
	}
	return o
}

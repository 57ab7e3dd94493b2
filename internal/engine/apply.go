package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/schemas"
)

// apply parses archived version v of entry's unit, loads its outputs and updates the
// entry (the caller records it). It is the one path from the archive to Parquet: run,
// import and reparse all end here. sp, when set, holds v's payloads already (a fetch just spooled them). stage, when
// set, receives the outputs of merge and slowly-changing tables instead of the store
// (a reparse rebuilds those from empty, then publishes them at once).
//
// A version that fails to parse, or whose outputs fail to load, never costs the unit its
// data: a loaded unit stays loaded, with the failed attempt in Error and on the version.
func (r *Runner) apply(ctx context.Context, src Source, entry *load.Entry, v *load.Version, stage *load.Store, sp *spool) outcome {
	drift := &driftNotes{note: r.note(entry.Unit)}
	in := &ParseInput{Unit: entry.Unit, Version: v, Alloc: r.alloc(), Note: drift.add,
		Open: func(p load.Payload) (io.ReadCloser, error) {
			if sp != nil {
				for i := range sp.payloads {
					if v.Payloads[i].Key == p.Key {
						return sp.content(i)
					}
				}
			}
			return r.Store.OpenPayload(ctx, p)
		}}
	parsed, err := src.Parse(ctx, in)
	if err != nil {
		return r.applyFailed(ctx, entry, v, err)
	}
	if parsed.Release != nil {
		defer parsed.Release()
	}
	if err := checkUTF8(parsed); err != nil {
		return r.applyFailed(ctx, entry, v, err)
	}
	if err := r.guardShrink(entry, parsed, drift); err != nil {
		return r.applyHeld(entry, v, err)
	}
	o := outcome{State: load.Loaded, Unchanged: true}
	var objects []string
	for _, out := range parsed.Outputs {
		st := r.Store
		if stage != nil && out.Table.Mode != schemas.Replace {
			st = stage
		}
		res, err := st.Load(ctx, out.Table, r.partition(out.Partition), out.Input, r.parquetOptions())
		if err != nil {
			var se *load.StreamError
			if errors.As(err, &se) {
				err = se.Err // a bad row of the report: its own error names the key, line and column
			}
			var shrink *ShrinkError
			if errors.As(err, &shrink) {
				return r.applyHeld(entry, v, shrink) // a stream that ended short: nothing was written
			}
			return r.applyFailed(ctx, entry, v, err)
		}
		if st == r.Store {
			r.touched.add(out.Table, r.partition(out.Partition))
		}
		if out.Primary {
			o.Rows += inputRows(out.Input, res)
		}
		o.Bytes += res.Bytes
		if !res.Unchanged {
			o.Unchanged = false
			o.Written++
		}
		objects = append(objects, res.Key)
	}
	if ref, ok := entry.FindVersion(v.ID); ok {
		ref.Loaded, ref.Error = true, ""
	}
	entry.State, entry.Error = load.Loaded, ""
	entry.Loaded, entry.Cursor = v.ID, v.Cursor
	entry.Rows, entry.Bytes, entry.Objects = o.Rows, o.Bytes, objects
	entry.HeaderHash, entry.Layout, entry.Drift = parsed.HeaderHash, parsed.Layout, drift.details
	entry.Version = v.ReportVersion
	entry.RawKey, entry.RawBytes, entry.Checksum = v.Payloads[0].Key, 0, v.Digest
	for _, p := range v.Payloads {
		entry.RawBytes += p.Bytes
	}
	entry.LoadedAt = r.now().UTC()
	return o
}

// applyFailed notes a version that did not load on the entry.
func (r *Runner) applyFailed(ctx context.Context, entry *load.Entry, v *load.Version, err error) outcome {
	if ctx.Err() != nil {
		return outcome{State: entry.State, Err: ctx.Err()}
	}
	if ref, ok := entry.FindVersion(v.ID); ok {
		ref.Error = err.Error()
	}
	entry.Error = err.Error()
	if entry.State != load.Loaded {
		entry.State = load.Failed
	}
	return outcome{State: entry.State, Err: err}
}

// driftNotes collects a unit's notes for its ledger entry and passes them on to the run.
type driftNotes struct {
	note    func(Note)
	details []string
	missing []driftColumn // the columns the Source reported missing ("missing <header>" subjects)
	unknown []driftColumn // and unknown ("unknown <header>")
}

// driftColumn is a column a drift note is about, with the note's ledger text.
type driftColumn struct{ name, detail string }

func (d *driftNotes) add(n Note) {
	if n.Kind == "drift" {
		det := fmt.Sprintf("%s: %s", n.Table, n.Detail)
		d.details = append(d.details, det)
		if c, ok := strings.CutPrefix(n.Subject, "missing "); ok {
			d.missing = append(d.missing, driftColumn{c, det})
		} else if c, ok := strings.CutPrefix(n.Subject, "unknown "); ok {
			d.unknown = append(d.unknown, driftColumn{c, det})
		}
	}
	d.note(n)
}

// since returns the columns this version reports missing, and unknown, that the loaded
// version's drift (its ledger entry's Drift) did not.
func (d *driftNotes) since(loaded []string) (lost, added []string) {
	had := make(map[string]bool, len(loaded))
	for _, x := range loaded {
		had[x] = true
	}
	for _, c := range d.missing {
		if !had[c.detail] {
			lost = append(lost, c.name)
		}
	}
	for _, c := range d.unknown {
		if !had[c.detail] {
			added = append(added, c.name)
		}
	}
	return lost, added
}

// inputRows is the rows a unit contributed to an output (not the rows of the merged
// partition).
func inputRows(in load.Input, res load.Result) int64 {
	if in.Stream != nil {
		return res.Rows
	}
	var n int64
	for _, r := range in.Records {
		n += r.NumRows()
	}
	return n
}

// parquetOptions are the options of every Parquet object the runner writes: its allocator
// and the configured codec (parquet.compression).
func (r *Runner) parquetOptions() load.ParquetOptions {
	opt := load.ParquetOptions{Alloc: r.alloc()}
	if r.Cfg != nil {
		opt.Compression = r.Cfg.Parquet.Compression
	}
	return opt
}

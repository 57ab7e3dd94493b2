package pipeline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/transform"
)

// ImportOptions fill in what a file and its name cannot tell.
type ImportOptions struct {
	Vendor string // default: the config's vendor number
	Period string // API form: 2026-11-20, 2026-11, 2026, or a fiscal 2026-02 for finance
	Region string // finance region, when the file name does not carry it
}

// Import loads Apple report files downloaded by hand (gzip or plain TSV). The report type
// is detected from the header and the file name; each file becomes a unit loaded exactly
// like API data (raw archive, Parquet, ledger). A file that fails does not stop the others.
func (p *Pipeline) Import(ctx context.Context, files []string, opt ImportOptions) (*Summary, error) {
	sum := newSummary(p.now())
	sum.Planned = len(files)
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		o := p.importFile(ctx, f, opt)
		if o.Err != nil {
			o.Err = fmt.Errorf("%s: %w", f, o.Err)
		}
		p.log().Info("import", "file", f, "unit", o.Unit.ID(), "state", o.State, "rows", o.Rows)
		sum.add(o)
	}
	sum.Finished = p.now()
	return sum, nil
}

func (p *Pipeline) importFile(ctx context.Context, path string, opt ImportOptions) outcome {
	fail := func(err error) outcome {
		return outcome{Unit: report.Unit{Family: report.Sales, Type: "unknown"}, State: load.Failed, Err: err}
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	magic, _ := br.Peek(2)
	gzipped := len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b

	head, err := readHead(br, gzipped)
	if err != nil {
		return fail(err)
	}
	det, err := transform.Detect(filepath.Base(path), head)
	if err != nil {
		return fail(err)
	}
	u := report.Unit{
		Family: det.Table.Family, Type: det.Table.Type, SubType: det.Table.SubType,
		Vendor: first(opt.Vendor, det.Vendor, p.Cfg.VendorNumber),
		Region: first(opt.Region, det.Region),
		Period: first(opt.Period, det.Period),
	}
	if len(det.Table.Frequencies) > 0 {
		u.Frequency = det.Table.Frequencies[0]
	}
	if u.Family == report.Finance && u.Type == report.FinanceDetail && u.Region == "" {
		u.Region = "Z1"
	}
	if u.Period == "" {
		return outcome{Unit: u, State: load.Failed, Err: fmt.Errorf("cannot tell the report period of this %s file: pass --period", det.Table.Name)}
	}
	if u.Family == report.Finance && u.Region == "" {
		return outcome{Unit: u, State: load.Failed, Err: fmt.Errorf("cannot tell the finance region of this file: pass --region (e.g. US, EU, ZZ)")}
	}
	if err := u.Validate(); err != nil {
		return outcome{Unit: u, State: load.Failed, Err: err}
	}

	name := filepath.Base(path)
	var body io.Reader = br
	if !gzipped {
		// The archive holds gzip payloads, like Apple's; plain files are compressed on the way.
		pr, pw := io.Pipe()
		go func() {
			zw := gzip.NewWriter(pw)
			_, err := io.Copy(zw, br)
			if err == nil {
				err = zw.Close()
			}
			pw.CloseWithError(err)
		}()
		body = pr
		defer pr.Close()
		name = strings.TrimSuffix(name, ".gz")
	}
	raw, err := p.Store.PutRaw(ctx, load.RawKey(u, name), body)
	if err != nil {
		return outcome{Unit: u, State: load.Failed, Err: err}
	}
	entry, known, err := p.Store.Ledger().Get(ctx, u)
	if err != nil {
		return outcome{Unit: u, State: load.Failed, Err: err}
	}
	if !known {
		entry = load.Entry{Unit: u, FirstSeen: p.now().UTC()}
	}
	entry.Unit, entry.Attempts, entry.UpdatedAt = u, entry.Attempts+1, p.now().UTC()
	entry.RawKey, entry.RawBytes, entry.Checksum, entry.Version = raw.Key, raw.Bytes, raw.SHA256, det.Version
	o := p.loadEntry(ctx, entry, p.now().UTC())
	o.Unit = u
	return o
}

// readHead returns up to 64 KiB of the decompressed start of the file without consuming it.
func readHead(br *bufio.Reader, gzipped bool) ([]byte, error) {
	peek, err := br.Peek(64 << 10)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, err
	}
	if !gzipped {
		return peek, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(peek))
	if err != nil {
		return nil, fmt.Errorf("not a valid gzip file: %w", err)
	}
	head, err := io.ReadAll(io.LimitReader(zr, 64<<10))
	if err != nil && err != io.ErrUnexpectedEOF && len(head) == 0 {
		return nil, fmt.Errorf("not a valid gzip file: %w", err)
	}
	return head, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// Reparse re-derives Parquet from the raw archive for every loaded or failed unit whose
// ledger id starts with prefix, without asking Apple again (after a parser fix, say).
func (p *Pipeline) Reparse(ctx context.Context, prefix string) (*Summary, error) {
	es, err := p.Store.Ledger().List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	sum := newSummary(p.now())
	for _, e := range es {
		if e.RawKey == "" || (e.State != load.Loaded && e.State != load.Failed) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		sum.Planned++
		at := e.LoadedAt
		if at.IsZero() {
			at = e.UpdatedAt
		}
		e.UpdatedAt = p.now().UTC()
		o := p.loadEntry(ctx, e, at)
		o.Unit = e.Unit
		sum.add(o)
	}
	sum.Finished = p.now()
	return sum, nil
}

package engine

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// Import loads files into the bucket exactly as if the API had served them:
//
//   - An Apple report downloaded by hand (gzip or plain) is recognised by the Source
//     that can detect it (Detector), from its name and header, and becomes a new
//     archived version of its unit, then loads like a fetch: an identical file changes
//     nothing, and one that fails to parse never replaces what was loaded.
//   - A directory is walked. Inside a raw archive tree (raw/<unit id>/<version>/ with its
//     version.json), every archived version is copied into this bucket's archive under
//     the same key and its unit is rebuilt like `etl reparse` (every version in fetch
//     order), so `etl import data/raw` into an empty data directory gives the same tables.
//     A version directory without its version.json (an interrupted fetch) is skipped, with
//     a "skipped" notice naming it.
//
// A file that fails does not stop the others.
func (r *Runner) Import(ctx context.Context, paths []string, hints ImportHints) (*Summary, error) {
	sum := newSummary(r.now())
	sum.observe = r.OnUnit
	files, err := expand(paths)
	if err != nil {
		return nil, err
	}
	manifests, hand, orphans := splitArchive(files)
	for _, dir := range orphans {
		r.notes.add(Note{Kind: "skipped", Subject: "interrupted fetch", Unit: dir,
			Detail: "a version directory without " + load.VersionManifest + " (an interrupted fetch) is not imported"})
	}
	units, fails := r.importVersions(ctx, manifests)
	for _, f := range fails {
		sum.Planned++
		r.add(sum, f)
	}
	if err := r.replay(ctx, sum, units); err != nil {
		sum.Finished = r.now()
		return sum, err
	}
	r.importFiles(ctx, sum, hand, hints)
	r.compactMonths(ctx, sum, false)
	sum.Finished = r.now()
	sum.Notes = r.notes.list()
	return sum, ctx.Err()
}

// expand lists the files under paths (directories are walked; hidden entries skipped).
func expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && len(d.Name()) > 0 && d.Name()[0] == '.' {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
	}
	return out, nil
}

// splitArchive separates archived versions (their manifests) from other files; the
// payloads of an archived version are read through its manifest. The payloads of a
// version directory without its manifest (an interrupted fetch: the archive writes the
// manifest last) are neither: they are the orphans, one directory each, never imported.
func splitArchive(files []string) (manifests, hand, orphans []string) {
	versionDirs := map[string]bool{}
	for _, f := range files {
		if filepath.Base(f) == load.VersionManifest {
			manifests = append(manifests, f)
			versionDirs[filepath.Dir(f)] = true
		}
	}
	seen := map[string]bool{}
	for _, f := range files {
		dir := filepath.Dir(f)
		switch {
		case versionDirs[dir]:
		case versionIDRE.MatchString(filepath.Base(dir)):
			if !seen[dir] {
				seen[dir] = true
				orphans = append(orphans, dir+string(filepath.Separator))
			}
		default:
			hand = append(hand, f)
		}
	}
	sort.Strings(manifests)
	sort.Strings(hand)
	sort.Strings(orphans)
	return manifests, hand, orphans
}

// versionIDRE matches a version directory's name (load.VersionID).
var versionIDRE = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{1,8}$`)

// importVersions copies archived versions into the bucket (those it does not hold yet) and
// returns their units to replay, each with every version it now has.
func (r *Runner) importVersions(ctx context.Context, manifests []string) ([]replayUnit, []outcome) {
	byUnit := map[string]*replayUnit{}
	var order []string
	var fails []outcome
	for _, m := range manifests {
		v, err := r.copyVersion(ctx, m)
		if err != nil {
			fails = append(fails, outcome{Unit: report.Unit{Family: "import", Type: "ARCHIVE"}, State: load.Failed, Err: err})
			continue
		}
		src, ok := r.source(v.Unit.Family)
		if !ok {
			fails = append(fails, outcome{Unit: v.Unit, State: load.Failed, Err: fmt.Errorf("%s: family %s is not enabled", m, v.Unit.Family)})
			continue
		}
		id := v.Unit.ID()
		ru := byUnit[id]
		if ru == nil {
			e, known, err := r.Store.Ledger().Get(ctx, v.Unit)
			if err != nil {
				fails = append(fails, outcome{Unit: v.Unit, State: load.Failed, Err: err})
				continue
			}
			if known && !r.owns(e) {
				fails = append(fails, outcome{Unit: v.Unit, State: load.Failed, Err: fmt.Errorf("%s: %w", m, r.foreignErr(e))})
				continue
			}
			if !known {
				e = load.Entry{Unit: v.Unit, Account: r.Account, Ref: v.Ref, FirstSeen: v.FetchedAt}
			}
			vs, err := r.entryVersions(ctx, e)
			if err != nil {
				fails = append(fails, outcome{Unit: v.Unit, State: load.Failed, Err: err})
				continue
			}
			ru = &replayUnit{src: src, entry: e, versions: vs}
			byUnit[id] = ru
			order = append(order, id)
		}
		if !hasVersion(ru.versions, v.ID) {
			ru.versions = append(ru.versions, v)
		}
	}
	out := make([]replayUnit, 0, len(order))
	for _, id := range order {
		ru := byUnit[id]
		sort.SliceStable(ru.versions, func(i, j int) bool { return ru.versions[i].FetchedAt.Before(ru.versions[j].FetchedAt) })
		out = append(out, *ru)
	}
	return out, fails
}

func hasVersion(vs []*load.Version, id string) bool {
	for _, v := range vs {
		if v.ID == id {
			return true
		}
	}
	return false
}

// copyVersion reads an archived version from a local tree and archives it in the bucket
// under the same keys, unless the bucket has it already.
func (r *Runner) copyVersion(ctx context.Context, manifest string) (*load.Version, error) {
	b, err := os.ReadFile(manifest)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	v, err := load.DecodeVersion(filepath.ToSlash(manifest), b)
	if err != nil {
		return nil, err
	}
	if ok, err := r.Store.Exists(ctx, v.ManifestKey()); err != nil || ok {
		return v, err
	}
	dir := filepath.Dir(manifest)
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	err = r.Store.PutVersion(ctx, v, func(i int) (io.Reader, error) {
		f, err := os.Open(filepath.Join(dir, filepath.Base(v.Payloads[i].Key)))
		if err != nil {
			return nil, err
		}
		files = append(files, f)
		return f, nil
	})
	return v, err
}

// importFiles loads hand-downloaded files: each is detected, then loaded through the
// worker pool like a fetch. Files of one unit go in turns, oldest name first, so each
// sees the ledger the previous one left.
func (r *Runner) importFiles(ctx context.Context, sum *Summary, files []string, hints ImportHints) {
	var rounds [][]job
	count := map[string]int{}
	for _, f := range files {
		j, err := r.detect(f, hints)
		if err != nil {
			sum.Planned++
			r.add(sum, outcome{Unit: report.Unit{Family: "import", Type: "UNRECOGNISED"}, State: load.Failed, Err: err})
			continue
		}
		id := j.p.Unit.ID()
		k := count[id]
		count[id]++
		for len(rounds) <= k {
			rounds = append(rounds, nil)
		}
		rounds[k] = append(rounds[k], j)
		sum.Planned++
		sum.FamilyPlanned[j.p.Unit.Family]++
	}
	for _, round := range rounds {
		if ctx.Err() != nil {
			return
		}
		r.work(ctx, sum, round)
	}
}

// detect asks every Detector about a file.
func (r *Runner) detect(path string, hints ImportHints) (job, error) {
	name := filepath.Base(path)
	head, err := readHead(path)
	if err != nil {
		// A file that cannot be read (a corrupt gzip stream) may still name its unit:
		// then the unit is tried and fails with this error, so its ledger entry notes
		// the failed attempt and keeps what it loaded.
		if j, ok := r.detectByName(path, name, hints); ok {
			return j, nil
		}
		return job{}, fmt.Errorf("%s: %w", path, err)
	}
	var firstErr error
	for _, src := range r.Sources {
		d, ok := src.(Detector)
		if !ok {
			continue
		}
		p, ok, err := d.Detect(name, head, hints)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if ok && err == nil {
			if err := p.Unit.Validate(); err != nil {
				return job{}, fmt.Errorf("%s: %w", path, err)
			}
			return job{src: &fileSource{Source: src, path: path}, p: p, reload: true, origin: "import:" + name}, nil
		}
	}
	if firstErr != nil {
		return job{}, fmt.Errorf("%s: %w", path, firstErr)
	}
	return job{}, fmt.Errorf("%s: not a report file etl knows (no family recognised its name and header)", path)
}

// detectByName asks the Detectors about a file's name alone (an empty head).
func (r *Runner) detectByName(path, name string, hints ImportHints) (job, bool) {
	for _, src := range r.Sources {
		if d, ok := src.(Detector); ok {
			if p, ok, err := d.Detect(name, nil, hints); ok && err == nil && p.Unit.Validate() == nil {
				return job{src: &fileSource{Source: src, path: path}, p: p, reload: true, origin: "import:" + name}, true
			}
		}
	}
	return job{}, false
}

// readHead returns up to 64 KiB of the decompressed start of a file.
func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	peek, err := br.Peek(64 << 10)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if len(peek) < 2 || peek[0] != 0x1f || peek[1] != 0x8b {
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

// fileSource fetches a unit from a local file: the one payload is the file as it is.
type fileSource struct {
	Source
	path string
}

func (f *fileSource) Fetch(ctx context.Context, env *FetchEnv, p Planned) (Fetched, error) {
	fh, err := os.Open(f.path)
	if err != nil {
		return Fetched{}, err
	}
	defer fh.Close()
	name := filepath.Base(f.path)
	if err := env.Put(name, fh); err != nil {
		return Fetched{}, fmt.Errorf("%s: %w", f.path, err)
	}
	return Fetched{Outcome: Data, ReportVersion: p.ReportVersion}, nil
}

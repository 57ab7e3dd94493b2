package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/load"
)

func TestSplitArchive(t *testing.T) {
	v1 := "raw/sales/SALES/SUMMARY/DAILY/1/2026-11-20/20261121T120000Z-3fa2c9d1/"
	v2 := "raw/sales/SALES/SUMMARY/DAILY/1/2026-11-20/20261121T130000Z-0b1c2d3e/" // interrupted: no manifest
	files := []string{
		"hand/S_D_1_20261120.txt.gz",
		v1 + "version.json",
		v1 + "S_D_1_20261120.txt.gz",
		v2 + "S_D_1_20261120.txt.gz",
		v2 + "S_D_1_20261120-2.txt.gz",
		"hand/20261121T120000Z/report.txt", // a folder named like a time, but no version id
		"a/version.json.bak",
	}
	manifests, hand, orphans := splitArchive(files)
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"manifests", manifests, []string{v1 + "version.json"}},
		{"hand", hand, []string{"a/version.json.bak", "hand/20261121T120000Z/report.txt", "hand/S_D_1_20261120.txt.gz"}},
		{"orphans", orphans, []string{v2}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

// exportRaw writes the fixture's archive to a directory, as data/raw lies on disk.
func (f *fixture) exportRaw(dir string) {
	f.t.Helper()
	keys, err := f.store.List(context.Background(), load.RawPrefix)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, k := range keys {
		b, err := f.store.Bucket().ReadAll(context.Background(), k)
		if err != nil {
			f.t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			f.t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			f.t.Fatal(err)
		}
	}
}

// Importing an archive tree into an empty bucket rebuilds the tables of the runs; a
// version directory without its manifest (an interrupted fetch) is not imported, and is
// reported once, as a notice naming it, not as a failure.
func TestImportArchiveTree(t *testing.T) {
	f := newFixture(t)
	plain, merging := newPlainSource(), newMergeSource()
	mergeHistory(t, f, merging)
	u := salesUnit("2026-11-20")
	plain.plan(u)
	plain.answer(u, data("r.txt", "a=1"))
	f.run(plain)
	want := f.snapshot("parquet/")
	dir := t.TempDir()
	f.exportRaw(dir)
	orphan := filepath.Join(dir, "raw", filepath.FromSlash(u.ID()), "20261122T000000Z-0b1c2d3e")
	if err := os.MkdirAll(orphan, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(orphan, "r.txt.gz"), gzipped(t, "a=9\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	g := newFixture(t)
	sum, err := g.runner(newPlainSource(), newMergeSource()).Import(context.Background(), []string{filepath.Join(dir, "raw")}, ImportHints{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ExitCode() != ExitOK || counts(sum.Totals()) != "loaded:3" {
		t.Errorf("import: exit %d, %s, failures %v", sum.ExitCode(), counts(sum.Totals()), sum.Failures)
	}
	if d := diff(want, g.snapshot("parquet/")); len(d) > 0 {
		t.Errorf("imported tables differ: %v", d)
	}
	notes := sum.NotesOf("skipped")
	if len(notes) != 1 || sum.Notes[0].First != orphan+string(filepath.Separator) {
		t.Errorf("notices %v, want one naming %s", sum.Notes, orphan)
	}
	if keys, _ := g.store.List(context.Background(), load.RawDir(u)); len(keys) != 2 {
		t.Errorf("archive of %s after the import: %v, want the one version", u.ID(), keys)
	}
}

// detectSource is a fakeSource whose reports can be imported by hand: a file
// "sales-<YYYY-MM-DD>-<n>.txt" holds the sales unit of that day.
type detectSource struct{ *fakeSource }

func (d detectSource) Detect(name string, head []byte, hints ImportHints) (Planned, bool, error) {
	rest, ok := strings.CutPrefix(name, "sales-")
	if !ok {
		return Planned{}, false, nil
	}
	if len(rest) < 10 {
		return Planned{}, false, errors.New("no day in the name: pass --period")
	}
	return Planned{Unit: salesUnit(rest[:10])}, true, nil
}

// Hand files of one unit are loaded in rounds, oldest name first, each seeing the ledger
// the one before left; files of other units go in the same rounds.
func TestImportHandFilesInRounds(t *testing.T) {
	f := newFixture(t)
	src := detectSource{newPlainSource()}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("sales-2026-11-20-1.txt", "a=1\n")
	write("sales-2026-11-20-2.txt", "a=2\n")
	write("sales-2026-11-20-3.txt", "a=2\n") // the same bytes as -2: no new version
	write("sales-2026-11-19-1.txt", "b=1\n")
	write("sales-x.txt", "c=1\n")
	write("notes.md", "not a report")
	f.tick(time.Minute)
	sum, err := f.runner(src).Import(context.Background(), []string{dir}, ImportHints{})
	if err != nil {
		t.Fatal(err)
	}
	if got := counts(sum.Totals()); got != "loaded:3 unchanged:1 failed:2" {
		t.Errorf("summary %s", got)
	}
	if len(sum.Failures) != 2 || !strings.Contains(strings.Join(sum.Failures, "\n"), "sales-x.txt: no day in the name: pass --period") ||
		!strings.Contains(strings.Join(sum.Failures, "\n"), "notes.md: not a report file etl knows") {
		t.Errorf("failures %q", sum.Failures)
	}
	u := salesUnit("2026-11-20")
	e := f.entry(u)
	if len(e.Versions) != 2 || e.Loaded != e.Versions[1].ID || e.Versions[0].Origin != "import:sales-2026-11-20-1.txt" ||
		e.Versions[1].Origin != "import:sales-2026-11-20-2.txt" {
		t.Errorf("entry %+v", e)
	}
	if got := strings.Join(f.rows(src.parquetKey(u)), " "); got != "a=2" {
		t.Errorf("rows %s, want the last file's", got)
	}
	// Round by round: the 19th's file and the 20th's first in round 0, before the rest.
	var order []string
	for _, p := range src.parses() {
		order = append(order, strings.Fields(p)[0][len(strings.Fields(p)[0])-2:])
	}
	if len(order) != 3 || order[2] != "20" {
		t.Errorf("parses by day %v, want the second file of the 20th last", order)
	}
}

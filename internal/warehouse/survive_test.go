package warehouse

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/blobs"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/internal/sources"
	"github.com/ascetl/etl/load"
)

// smallTree runs sales (4 days) and finance against the simulator into a data root and
// builds the views database there with its marts; it returns the root.
func smallTree(t *testing.T, compression string) string {
	t.Helper()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "data")
	h := enginetest.New(t, enginetest.Options{
		Config:  func(c *config.Config) { c.Parquet.Compression = compression },
		Sources: func(c *config.Config) []engine.Source { return sources.New(c) },
	})
	b, err := blobs.Open(ctx, "file://"+filepath.ToSlash(root)+"?metadata=skip")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h.Bucket, h.Store = b, load.New(b)
	h.RunOK(ctx)
	es, err := h.Store.Ledger().List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteLedger(ctx, b, LedgerRows(es, nil, time.Now()), compression); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteFileRates(ctx, b, nil, "USD", "", compression); err != nil {
		t.Fatal(err)
	}
	spec, err := LocalSpec(root, "USD", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = Replace(ctx, filepath.Join(root, "asc.duckdb"), root, spec, func(ctx context.Context, db *DB) error {
		_, err := db.WriteMarts(ctx, b, compression)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// failingViews queries every view of the database and returns those that fail.
func failingViews(t *testing.T, db *DB) (views int, failing []string) {
	t.Helper()
	names, err := db.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if _, err := db.Query(context.Background(), "SELECT count(*) FROM "+QuoteIdent(n)); err != nil {
			failing = append(failing, n)
		}
	}
	return len(names), failing
}

// TestMovedDataFolderKeepsWorking: the views name their files relative to the data root, so
// a data folder moved (or copied) elsewhere works, opened with its root or from inside it;
// views built with absolute paths (before issue 17) fail there.
func TestMovedDataFolderKeepsWorking(t *testing.T) {
	root := smallTree(t, "zstd")
	// The same tree with the views written the old way: absolute paths.
	absDB := filepath.Join(root, "absolute.duckdb")
	spec, err := LocalSpec(root, "USD", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := Replace(context.Background(), absDB, "", spec, nil); err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(t.TempDir(), "elsewhere", "data")
	if err := os.MkdirAll(filepath.Dir(moved), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(root, moved); err != nil {
		t.Fatal(err)
	}
	db, err := OpenWith(filepath.Join(moved, "asc.duckdb"), Options{Root: moved, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	n, failing := failingViews(t, db)
	db.Close()
	if len(failing) > 0 || n < 80 {
		t.Errorf("moved folder, opened with its root: %d of %d views fail: %v", len(failing), n, failing)
	}
	t.Chdir(moved)
	db, err = OpenWith("asc.duckdb", Options{ReadOnly: true}) // a client started in the data folder
	if err != nil {
		t.Fatal(err)
	}
	_, failing = failingViews(t, db)
	db.Close()
	if len(failing) > 0 {
		t.Errorf("moved folder, opened from inside it: %d views fail: %v", len(failing), failing)
	}
	t.Chdir(t.TempDir())
	db, err = OpenWith(filepath.Join(moved, "absolute.duckdb"), Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	na, failingAbs := failingViews(t, db)
	db.Close()
	if len(failingAbs) == 0 {
		t.Error("views with absolute paths survive a move: the test proves nothing")
	}
	t.Logf("moved data folder: 0 of %d views fail; with absolute paths %d of %d fail", n, len(failingAbs), na)
}

// TestHelperProcessHolder is not a test: it is a second process for
// TestOpenReaderNeverBlocksReplace. It opens the database read-write (an exclusive lock, as
// a notebook does), queries it, says "ready", waits for a line on stdin, queries again.
func TestHelperProcessHolder(t *testing.T) {
	path := os.Getenv("ETL_HOLD_DUCKDB")
	if path == "" {
		return
	}
	db, err := Open(path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	q := "SELECT count(*) FROM sales_summary_daily"
	var n int64
	if err := db.sql.QueryRow(q).Scan(&n); err != nil {
		fmt.Println("query:", err)
		os.Exit(2)
	}
	fmt.Println("ready", n)
	bufio.NewReader(os.Stdin).ReadString('\n')
	if err := db.sql.QueryRow(q).Scan(&n); err != nil {
		fmt.Println("query after:", err)
		os.Exit(2)
	}
	fmt.Println("still", n)
	db.Close()
	os.Exit(0)
}

// TestOpenReaderNeverBlocksReplace: a process holding asc.duckdb open read-write (which
// made `etl run` exit 3 with "Could not set lock on file" before issue 17) neither blocks
// nor breaks the rebuild; it keeps its old views, and new readers get the new file.
func TestOpenReaderNeverBlocksReplace(t *testing.T) {
	root := smallTree(t, "zstd")
	path := filepath.Join(root, "asc.duckdb")
	spec, err := LocalSpec(root, "USD", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cmd := osexec.Command(os.Args[0], "-test.run=^TestHelperProcessHolder$")
	cmd.Env = append(os.Environ(), "ETL_HOLD_DUCKDB="+path)
	cmd.Dir = root // the holder resolves the relative view paths from the data folder
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		t.Fatalf("holder: %q %v", line, err)
	}
	// What `etl run` did before: open the file in place. The lock is held.
	if db, err := Open(path); err == nil || !IsLocked(err) {
		if db != nil {
			db.Close()
		}
		t.Fatalf("opening the held file read-write: %v (the holder should lock it)", err)
	}
	spec.BuiltAt = time.Now().Add(time.Hour)
	if err := Replace(context.Background(), path, root, spec, nil); err != nil {
		t.Fatalf("replace while a reader holds the file: %v", err)
	}
	db, err := OpenWith(path, Options{Root: root, ReadOnly: true})
	if err != nil {
		t.Fatalf("a new reader: %v", err)
	}
	res := query(t, db, "SELECT CAST(built_at AS VARCHAR) FROM etl_settings")
	db.Close()
	if got := res.Rows[0][0].(string); !strings.HasPrefix(got, spec.BuiltAt.UTC().Format("2006-01-02 15")) {
		t.Errorf("a new reader sees views built at %s, want the new file's", got)
	}
	io.WriteString(stdin, "go\n")
	rest, _ := io.ReadAll(out)
	if err := cmd.Wait(); err != nil || !strings.HasPrefix(string(rest), "still "+strings.TrimPrefix(line, "ready ")) {
		t.Errorf("holder after the replace: %v %q", err, rest)
	}
}

// TestReplaceIgnoresStaleWAL: a write-ahead log a crashed client left next to the old file
// is not replayed into the new one.
func TestReplaceIgnoresStaleWAL(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "asc.duckdb")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"CHECKPOINT", "PRAGMA disable_checkpoint_on_shutdown", "SET checkpoint_threshold = '10GB'",
		"CREATE TABLE scratch AS SELECT 42 AS y"} {
		exec(t, db, s)
	}
	db.Close()
	if _, err := os.Stat(path + ".wal"); err != nil {
		t.Fatalf("no WAL left behind: %v", err)
	}
	spec, err := LocalSpec(filepath.Dir(path), "USD", time.Now()) // no table has data: typed empty views
	if err != nil {
		t.Fatal(err)
	}
	if err := Replace(ctx, path, filepath.Dir(path), spec, nil); err != nil {
		t.Fatal(err)
	}
	db, err = OpenWith(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res := query(t, db, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'scratch'")
	if n := res.Rows[0][0].(int64); n != 0 {
		t.Error("the stale WAL was replayed into the new views database")
	}
	if left, _ := filepath.Glob(path + ".new-*"); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestParquetCompression: parquet.compression reaches the loader's files and the marts.
func TestParquetCompression(t *testing.T) {
	for _, tc := range []struct{ name, want string }{{"snappy", "SNAPPY"}, {"zstd", "ZSTD"}, {"none", "UNCOMPRESSED"}} {
		t.Run(tc.name, func(t *testing.T) {
			root := smallTree(t, tc.name)
			db, err := OpenWith(filepath.Join(root, "asc.duckdb"), Options{Root: root, ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, glob := range []string{"parquet/sales_summary_daily/**/*.parquet", "parquet/marts/*/data.parquet",
				"parquet/etl_ledger/data.parquet", "parquet/finance_financial/**/*.parquet"} {
				res := query(t, db, "SELECT DISTINCT compression FROM parquet_metadata("+QuoteLiteral(glob)+")")
				if got := rowStrings(res); len(got) != 1 || got[0][0] != tc.want {
					t.Errorf("%s: compression %v, want %s", glob, got, tc.want)
				}
			}
		})
	}
}

// TestMartsOnAnEmptyRoot: before any data, every view binds, every mart is written (empty)
// and the totals are zero.
func TestMartsOnAnEmptyRoot(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := blobs.Open(ctx, "file://"+filepath.ToSlash(root)+"?metadata=skip")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	spec, err := LocalSpec(root, "EUR", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var ws []Written
	var h Headline
	err = Replace(ctx, filepath.Join(root, "asc.duckdb"), root, spec, func(ctx context.Context, db *DB) error {
		if ws, err = db.WriteMarts(ctx, b, ""); err != nil {
			return err
		}
		h, err = db.HeadlineTotals(ctx, time.Now().AddDate(0, 0, -7), time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != len(MartFiles()) {
		t.Errorf("%d marts written, want %d", len(ws), len(MartFiles()))
	}
	for _, w := range ws {
		if want := int64(0); w.Key != "parquet/marts/fiscal_calendar/data.parquet" && w.Rows != want || !w.Changed {
			t.Errorf("%s: %d rows, changed %v", w.Key, w.Rows, w.Changed)
		}
	}
	if h.Units() != 0 || h.Proceeds != "0.00" || h.ReportingCurrency != "EUR" || h.NewReviews != 0 {
		t.Errorf("headline %+v", h)
	}
}

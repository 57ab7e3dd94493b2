package warehouse

import (
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestCopyCSVToParquet(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "it's in.txt.gz") // a quote in the path must not break the SQL
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write([]byte("Provider\tUnits\tTitle\tBegin Date\nAPPLE\t3\tA\t01/02/2025\nAPPLE\t-1\tB C\t01/03/2025\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	db := openMem(t)
	ctx := context.Background()
	for _, codec := range []string{"", "zstd"} {
		out := filepath.Join(dir, "out-"+codec+".parquet")
		if err := db.CopyCSVToParquetWith(ctx, in, out, CopyOptions{Compression: codec, DateFormat: "%m/%d/%Y"}); err != nil {
			t.Fatal(err)
		}
		r := query(t, db, "SELECT count(*), sum(Units), max(\"Begin Date\") FROM read_parquet("+QuoteLiteral(out)+")")
		if got := rowStrings(r); got[0][0] != "2" || got[0][1] != "2" || got[0][2] != "2025-01-03" {
			t.Fatalf("%s: got %v", codec, got)
		}
	}
	if err := db.CopyCSVToParquet(ctx, in, filepath.Join(dir, "default.parquet")); err != nil {
		t.Fatal(err)
	}
	if err := db.CopyCSVToParquet(ctx, filepath.Join(dir, "missing.gz"), filepath.Join(dir, "x.parquet")); err == nil {
		t.Fatal("missing input: no error")
	}
}

package benchrun

// notes is the part of BENCHMARKS.md that explains the figures: written with the code it
// describes, regenerated with the figures. Figures quoted here (not in the tables above)
// were measured once, when issue 19 landed, and say so.
func (r *Report) notes(p func(string, ...any)) {
	p("%s", notesText)
}

const notesText = "## Where the time goes\n\n" +
	"An `etl import` of a large report is three stages (profile: `etl bench --profile`, or\n" +
	"`ETL_CPUPROFILE=FILE etl import ...`):\n\n" +
	"1. **The spool** (`internal/engine/spool.go`): the engine needs the content checksum of a\n" +
	"   fetch before anything else, because identical content must stay one version, and a version's\n" +
	"   id (and so every row's `_source_key`) contains it. The file is read once: one goroutine\n" +
	"   inflates it (klauspost/compress, about a fifth faster than `compress/gzip`), another hashes\n" +
	"   what it inflated and writes it, S2-compressed, to a content copy; a file imported from disk is\n" +
	"   referred to, not copied (it is read again for the archive, and refused if it changed). About\n" +
	"   0.45 s for a 1M-row file (BenchmarkSpoolPut); nothing else can run yet.\n" +
	"2. **The parse** (`transform.Reader`, on its own goroutine via `transform.Prefetch`): reads the S2\n" +
	"   copy (it decompresses several times faster than gzip: the second inflation is gone), splits\n" +
	"   lines and cells, fills Arrow builders (string data reserved from the previous batch; the\n" +
	"   lineage constants and `report_date` are shared arrays, not appended row by row). About 0.8 s\n" +
	"   of one core per 1M SALES rows (BenchmarkBigTransform).\n" +
	"3. **The encoding** (`load/encode.go`): each 16K-row batch's columns are encoded by two\n" +
	"   goroutines. String columns go into our own dictionary memo (a Go map per column and row group\n" +
	"   with a last-value shortcut): arrow-go's `BinaryMemoTable` takes every value as an `interface{}`\n" +
	"   (58 % of the old conversion's time was Parquet encoding, most of it there, and 99 % of its\n" +
	"   allocations). At the end of a 64K-row group each column writes its dictionary and indices in\n" +
	"   one call (arrow-go's dictionary-array path, minus its per-row distinct count: every entry of\n" +
	"   our dictionaries is referenced) and builds and compresses its one page on its goroutine;\n" +
	"   closing the row group only copies finished pages. About 1.0 s of CPU per 1M rows, on both\n" +
	"   cores.\n\n" +
	"Stages 2 and 3 overlap; together they keep both cores busy, and so does DuckDB: on this 2-CPU\n" +
	"machine both engines are bound by CPU time, and `etl import` now uses about as much CPU as\n" +
	"DuckDB's `COPY` (the CPU ratio in the table). The wall ratio then comes from overlap and the\n" +
	"spool: 0.8× would need about 20 % less CPU than DuckDB, or the checksum to stop preceding the\n" +
	"parse. The latter is the engine's guarantee (content-addressed versions; see above): it could\n" +
	"only be kept by parsing speculatively and deciding at commit time, which the engine does not\n" +
	"do. Before issue 19 the product path was 1.36×–1.56× DuckDB at 1M rows and 2.0× at 4M (the\n" +
	"issue's figures), with the conversion on one core and the file inflated twice.\n\n" +
	"What else changed in the writer, and why:\n\n" +
	"- **Bytes depend on rows only.** Values other than strings are kept for the row group and\n" +
	"  encoded in one piece, and a string column falls back to plain encoding at the exact value\n" +
	"  where its distinct values pass the dictionary page limit: the same rows give the same file\n" +
	"  however they were batched. A compacted month is built from whole row groups, so its bytes are\n" +
	"  a function of its days' rows, whether they come from the days' objects or from the month's.\n" +
	"- **Statistics** of dictionary-encoded strings are computed from the dictionary (arrow-go's\n" +
	"  `UpdateFromArrow` skips empty strings, which would let a reader prune row groups holding\n" +
	"  `''`).\n" +
	"- **zstd encoders** have a 1 MiB window (a page is at most about that; the default 8 MiB window\n" +
	"  costs each encoder a 16 MiB history buffer) and are kept across garbage collections.\n" +
	"- `_source_line` (unique, increasing) is written plain, without a dictionary that could only\n" +
	"  grow to the fallback.\n\n" +
	"## Memory\n\n" +
	"The live heap of a conversion is a few batches: the parse's queue (2) and the batch being built\n" +
	"(16K rows each), the row group's values kept for encoding and the string memos (64K rows), the\n" +
	"encoders: about 65 MiB for SALES, whatever the file's size. The binary sets a 75 % GC target and\n" +
	"a 112 MiB soft memory limit (`cmd/etl/main.go`; `GOGC` and `GOMEMLIMIT` override them), which keep\n" +
	"the heap near 110 MiB. The rest of the peak RSS is the executable itself: Go and DuckDB\n" +
	"initialisation touch about 85 MiB of the 175 MB binary's pages at start-up, in both engines'\n" +
	"figures (file-backed, shared, reclaimable). Before issue 19: 259–279 MiB (the issue's figures).\n\n" +
	"## Layout and compaction\n\n" +
	"Sales tables are partitioned by `vendor` and `month`; `report_date` (the first day a report\n" +
	"covers) is a `DATE` column of every file. An open month has one object per period,\n" +
	"`month=YYYY-MM/YYYY-MM-DD.parquet`; a completed month (`sales.lookback_days` + 1 days after its\n" +
	"end) is compacted at the end of the pass into `month=YYYY-MM/data.parquet`: the periods in order,\n" +
	"each in row groups of its own (the report_date statistics of a row group are one day, so a day\n" +
	"filter reads one day's row groups), and the list of periods with their own objects' sha256 in the\n" +
	"footer. A period loaded into a compacted month (late data, a restatement, a reparse) is written\n" +
	"as `_YYYY-MM-DD.pending`, which no reader lists (DuckDB reads `*.parquet`; Hive, Spark, Trino\n" +
	"and Athena skip `_` names), and the end of the pass rewrites that month only; when every pending\n" +
	"period has the sha256 the footer lists, nothing is rewritten. Compaction writes the month\n" +
	"object, then points the ledger entries at it, then deletes the period objects: each step leaves\n" +
	"every loaded entry backed by an object, and an interrupted run is finished by the next one.\n\n" +
	"Why not keep `report_date=` partitions for open months and use `month=` for compacted ones,\n" +
	"with views that coalesce: every reader needs the files of one table at one list of partition\n" +
	"keys. DuckDB fails `read_parquet('<table>/**/*.parquet', hive_partitioning = true)` on mixed\n" +
	"depths (\"Hive partition mismatch\"), Glue/Athena tables declare one key list, and Spark infers\n" +
	"one. With `month` as the key and the day inside the files, every engine reads one consistent\n" +
	"table, and `schemas.Table.Partition` says exactly that (`vendor`, `month`; `PeriodColumn`\n" +
	"`report_date`). Objects of the older layout (`report_date=` in the path) are moved by\n" +
	"`etl compact` and by `etl run` for the configured vendor.\n\n" +
	"With several accounts (`accounts:`) the months sit under `account=<name>/vendor=<n>/month=YYYY-MM/`\n" +
	"and each account's pass compacts its own. A sharded run (`--shard I/N`) does not compact while\n" +
	"it loads, since one month's days are units of different shards; the shard that completes the\n" +
	"job (the one that also rebuilds the views) compacts every account's months once all shards\n" +
	"have finished, leaving what one unsharded run leaves. `etl ddl` declares the sales tables'\n" +
	"`month` key (Athena: a monthly `yyyy-MM` projection) and `report_date` as a file column.\n" +
	"\n" +
	"## Other figures\n" +
	"\n" +
	"Measured once, when issue 19 was merged with main (2026-12-03, the same shared machine, load\n" +
	"average 3–4 on its 2 CPUs; every figure below is slower than on a quiet machine, both sides alike):\n" +
	"\n" +
	"- **The default run** (`etl run` with the embedded configuration and simulator, an empty data\n" +
	"  directory, the binary built beforehand), two runs each, interleaved: this branch 17.8 s and\n" +
	"  16.8 s, main before the merge 17.9 s and 15.1 s (main's figure on a quiet machine is about\n" +
	"  7.9 s). No regression beyond the noise. The second run: 0 Parquet objects written, 2.6 s.\n" +
	"- **The conversion under load.** In the pairs above each engine's CPU time is about its wall\n" +
	"  time: with other builds on the machine each child got about one core, so neither engine's\n" +
	"  parallelism shows, and the ratio is the ratio of CPU used (about 1:1).\n" +
	"- **The test suite.** `go test ./cmd/etl` took 521 s at that load (about 4–5 min on a quiet\n" +
	"  machine before the merge); the packages of the load path (`./load ./transform ./schemas\n" +
	"  ./internal/engine`) about 27 s, `./internal/sources` 153 s.\n" +
	"\n"

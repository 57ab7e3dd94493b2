#!/bin/sh
# Reproduces the figures of BENCHMARKS.md: machine description, the conversion comparison
# against DuckDB (with a CPU profile of our conversion), the extraction benchmark and the
# go test benchmarks. Usage: bench/compare.sh [OUTDIR]   (run from the repository root)
set -eu
out=${1:-bench-results}
mkdir -p "$out"
go build -o "$out/etl" ./cmd/etl
{
	echo "nproc: $(nproc)"
	grep -m1 'model name' /proc/cpuinfo || true
	grep MemTotal /proc/meminfo || true
	go version
	uptime
} | tee "$out/machine.txt"
"$out/etl" bench --repeat 5 --keep --profile --prefetch --dir "$out/files" | tee "$out/compare.txt"
go tool pprof -top -nodecount=30 "$out/etl" "$out"/files/ours-*.cpu.pprof > "$out/profile-top.txt" 2>/dev/null || true
go tool pprof -top -cum -nodecount=30 "$out/etl" "$out"/files/ours-*.cpu.pprof > "$out/profile-cum.txt" 2>/dev/null || true
"$out/etl" bench --extract --pace | tee "$out/extract.txt"
BENCH_ROWS=${BENCH_ROWS:-100000} go test -run '^$' -bench Big -benchtime 3x ./transform ./load | tee "$out/gotest-bench.txt"

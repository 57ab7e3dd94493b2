package simulator

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

func readBig(t *testing.T, write func(io.Writer, int, int64) error, rows int, seed int64) (string, [][]string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, rows, seed); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	var header string
	var out [][]string
	for sc.Scan() {
		if header == "" {
			header = sc.Text()
			continue
		}
		out = append(out, strings.Split(sc.Text(), "\t"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return header, out, buf.Bytes()
}

func TestWriteBigFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		write  func(io.Writer, int, int64) error
		header []string
		date   int // column holding the date
	}{
		{"sales", WriteBigSales, salesHeader, 9},
		{"subscription_event", WriteBigSubscriptionEvents, subscriptionEventHeader13, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 1000
			header, rows, raw := readBig(t, tc.write, n, 42)
			if header != strings.Join(tc.header, "\t") {
				t.Fatalf("header\n got %q\nwant %q", header, strings.Join(tc.header, "\t"))
			}
			if len(rows) != n {
				t.Fatalf("%d rows, want %d", len(rows), n)
			}
			for i, r := range rows {
				if len(r) != len(tc.header) {
					t.Fatalf("row %d has %d fields, want %d: %q", i, len(r), len(tc.header), r)
				}
				if r[tc.date] == "" || r[tc.date] == " " {
					t.Fatalf("row %d: empty date", i)
				}
			}
			if rows[0][tc.date] == rows[n-1][tc.date] {
				t.Errorf("rows do not span days: %s", rows[0][tc.date])
			}
			_, _, again := readBig(t, tc.write, n, 42)
			if !bytes.Equal(raw, again) {
				t.Error("not deterministic for a seed")
			}
			_, _, other := readBig(t, tc.write, n, 43)
			if bytes.Equal(raw, other) {
				t.Error("seed has no effect")
			}
			_, empty, _ := readBig(t, tc.write, 0, 42)
			if len(empty) != 0 {
				t.Errorf("0 rows gave %d", len(empty))
			}
		})
	}
}

package engine

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand"
	"strings"
	"testing"

	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/load"
)

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sha(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

// spooled puts each body into a new spool, in order.
func spooled(t *testing.T, bodies map[string][]byte, names ...string) *spool {
	t.Helper()
	sp := &spool{}
	t.Cleanup(sp.close)
	for _, n := range names {
		if err := sp.put(n, bytes.NewReader(bodies[n])); err != nil {
			t.Fatal(err)
		}
	}
	return sp
}

// archived archives the spool as a version of a sales unit in a new in-memory bucket.
func archived(t *testing.T, sp *spool) (*load.Store, *load.Version) {
	t.Helper()
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { b.Close() })
	st := load.New(b)
	v := sp.version(salesUnit("2026-11-20"), "", t0, Fetched{}, "api")
	if err := sp.archive(context.Background(), st, v); err != nil {
		t.Fatal(err)
	}
	return st, v
}

// The same report arriving gzipped (the API) and plain (a hand download) is one version:
// same payload checksum, same digest, same id; the gzip one is kept byte for byte.
func TestSpoolGzipAndPlainAreOneVersion(t *testing.T) {
	content := strings.Repeat("Provider\tSKU\tUnits\nAPPLE\tsku-1\t3\n", 50)
	gz := gzipped(t, content)
	a := spooled(t, map[string][]byte{"r.txt.gz": gz}, "r.txt.gz")
	b := spooled(t, map[string][]byte{"r.txt": []byte(content)}, "r.txt")
	pa, pb := a.payloads[0], b.payloads[0]
	if pa.SHA256 != sha([]byte(content)) || pb.SHA256 != pa.SHA256 {
		t.Errorf("checksums %s and %s, want both the content's %s", pa.SHA256, pb.SHA256, sha([]byte(content)))
	}
	if pa.Gzipped || !pb.Gzipped || pa.Bytes != int64(len(gz)) || pb.Bytes != int64(len(content)) {
		t.Errorf("payloads %+v and %+v", pa, pb)
	}
	u := salesUnit("2026-11-20")
	va, vb := a.version(u, "", t0, Fetched{}, "api"), b.version(u, "", t0, Fetched{}, "import:r.txt")
	if va.Digest != vb.Digest || va.ID != vb.ID {
		t.Errorf("versions %s (%s) and %s (%s) differ", va.ID, va.Digest, vb.ID, vb.Digest)
	}
	stored, err := a.open(0)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, stored); got != string(gz) {
		t.Error("a gzip payload is not kept byte for byte")
	}
	for name, sp := range map[string]*spool{"gzip": a, "plain": b} {
		r, err := sp.content(0)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, r); got != content {
			t.Errorf("%s: content reads back as %d bytes, want %d", name, len(got), len(content))
		}
		r.Close()
	}
}

// Payloads beyond the in-memory limit go to a temporary file and read back identically,
// those spooled before the spill included; archived, they are the same objects.
func TestSpoolSpillsToFile(t *testing.T) {
	defer func(n int64) { spoolMemory = n }(spoolMemory)
	spoolMemory = 4 << 10
	rnd := rand.New(rand.NewSource(1))
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(rnd.Intn(26))
		}
		return string(b)
	}
	bodies := map[string][]byte{
		"small.json": []byte(random(100)),
		"seg.csv.gz": gzipped(t, random(3000)),
		"big.json":   []byte(random(20000)),
		"last.json":  []byte(random(10)),
	}
	names := []string{"small.json", "seg.csv.gz", "big.json", "last.json"}
	sp := spooled(t, bodies, names...)
	if sp.stored.file == nil || sp.stored.buf.Len() != 0 {
		t.Fatalf("spool of %d bytes did not spill (file %v, %d bytes in memory)", sp.stored.size, sp.stored.file != nil, sp.stored.buf.Len())
	}
	mem := spooled(t, bodies, "small.json")
	if mem.stored.file != nil {
		t.Fatal("a small spool spilled")
	}
	for i, n := range names {
		r, err := sp.content(i)
		if err != nil {
			t.Fatal(err)
		}
		want := bodies[n]
		if strings.HasSuffix(n, ".gz") {
			zr, _ := gzip.NewReader(bytes.NewReader(want))
			want, _ = io.ReadAll(zr)
		}
		if got := readAll(t, r); got != string(want) {
			t.Errorf("%s reads back differently (%d bytes, want %d)", n, len(got), len(want))
		}
		r.Close()
		if sp.payloads[i].SHA256 != sha(want) {
			t.Errorf("%s: checksum %s, want %s", n, sp.payloads[i].SHA256, sha(want))
		}
	}

	st, v := archived(t, sp)
	b := st.Bucket()
	got, err := b.ReadAll(context.Background(), v.Payloads[1].Key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bodies["seg.csv.gz"]) {
		t.Error("the spilled gzip payload was not archived byte for byte")
	}
	for _, p := range v.Payloads {
		r, err := st.OpenPayload(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if c := readAll(t, r); sha([]byte(c)) != p.SHA256 {
			t.Errorf("archived %s does not match its checksum", p.Key)
		}
		r.Close()
	}
}

// A truncated gzip download still gets a checksum ("gzip:" and the sha256 of its bytes)
// and is archived byte for byte; reading its content fails naming the payload.
func TestSpoolTruncatedGzip(t *testing.T) {
	gz := gzipped(t, strings.Repeat("row\t1\n", 2000))
	cut := gz[:len(gz)/2]
	sp := spooled(t, map[string][]byte{"r.txt.gz": cut}, "r.txt.gz")
	if want := "gzip:" + sha(cut); sp.payloads[0].SHA256 != want {
		t.Errorf("checksum %s, want %s", sp.payloads[0].SHA256, want)
	}
	st, v := archived(t, sp)
	b := st.Bucket()
	got, err := b.ReadAll(context.Background(), v.Payloads[0].Key)
	if err != nil || !bytes.Equal(got, cut) {
		t.Errorf("archived %d bytes (%v), want the %d received", len(got), err, len(cut))
	}
	r, err := sp.content(0)
	if err == nil {
		_, err = io.ReadAll(r)
		r.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "r.txt.gz") {
		t.Errorf("reading a truncated payload: err = %v, want one naming it", err)
	}
}

// Payload keys are the names sanitised, ending in .gz, and distinct within a version.
func TestSpoolPayloadKeys(t *testing.T) {
	long := strings.Repeat("a", 250)
	for _, c := range []struct {
		names []string
		want  []string // file names inside the version directory
	}{
		{[]string{"page-00001.json"}, []string{"page-00001.json.gz"}},
		{[]string{"S_D_85012345_20261120.txt.gz"}, []string{"S_D_85012345_20261120.txt.gz"}},
		{[]string{"a b/c?.csv"}, []string{"a_b_c_.csv.gz"}},
		{[]string{"../x"}, []string{"___x.gz"}},
		{[]string{".hidden"}, []string{"_hidden.gz"}},
		{[]string{""}, []string{"payload.gz"}},
		{[]string{"x.json", "x.json", "x.json"}, []string{"x.json.gz", "x.json-2.gz", "x.json-3.gz"}},
		{[]string{"a b", "a_b", "a?b"}, []string{"a_b.gz", "a_b-2.gz", "a_b-3.gz"}},
		{[]string{"x", "x.gz"}, []string{"x.gz", "x-2.gz"}},
		{[]string{"x.json", "x.json", "x.json-2"}, []string{"x.json.gz", "x.json-2.gz", "x.json-2-2.gz"}},
		{[]string{long, long + "b"}, []string{long[:200] + ".gz", long[:198] + "-2.gz"}},
	} {
		sp := &spool{}
		for _, n := range c.names {
			if err := sp.put(n, strings.NewReader("body of "+n)); err != nil {
				t.Fatal(err)
			}
		}
		v := sp.version(salesUnit("2026-11-20"), "", t0, Fetched{}, "api")
		var got []string
		for _, p := range v.Payloads {
			if !strings.HasPrefix(p.Key, v.Dir()) {
				t.Errorf("%q: key %s outside %s", c.names, p.Key, v.Dir())
			}
			got = append(got, strings.TrimPrefix(p.Key, v.Dir()))
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%q: keys %q, want %q", c.names, got, c.want)
		}
		sp.close()
	}
}

// A payload that cannot be read is an error naming it, and the spool keeps nothing of it.
func TestSpoolReadError(t *testing.T) {
	sp := &spool{}
	defer sp.close()
	err := sp.put("page-00002.json", io.MultiReader(strings.NewReader("{"), errReader{}))
	if err == nil || !strings.Contains(err.Error(), "payload page-00002.json") {
		t.Errorf("err = %v", err)
	}
	if len(sp.payloads) != 0 {
		t.Errorf("a failed payload was kept: %+v", sp.payloads)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

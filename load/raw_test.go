package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"path"
	"strings"
	"testing"

	"github.com/ascetl/etl/report"
)

func salesUnit(vendor, period string) report.Unit {
	return report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: report.Daily,
		Vendor: vendor, Period: period}
}

func financeUnit(typ, region, vendor, period string) report.Unit {
	return report.Unit{Family: report.Finance, Type: typ, Region: region, Vendor: vendor, Period: period}
}

func TestRawKey(t *testing.T) {
	sales := salesUnit("85012345", "2026-11-20")
	fin := financeUnit(report.Financial, "US", "85012345", "2026-02")
	detail := financeUnit(report.FinanceDetail, "Z1", "85012345", "2026-02")
	const sp = "raw/sales/sales_summary_daily/vendor=85012345/2026-11-20/"
	cases := []struct {
		name string
		u    report.Unit
		file string
		want string
	}{
		{"apple name kept", sales, "S_D_85012345_20261120.txt.gz", sp + "S_D_85012345_20261120.txt.gz"},
		{"gz appended", sales, "report.txt", sp + "report.txt.gz"},
		{"empty", sales, "", sp + "report.gz"},
		{"traversal", sales, "../../x", sp + "___.._x.gz"},
		{"dot dot", sales, "..", sp + "__.gz"},
		{"hidden", sales, ".gz", sp + "_gz.gz"},
		{"absolute", sales, "/etc/passwd", sp + "_etc_passwd.gz"},
		{"separators and spaces", sales, `a/b\c d?.gz`, sp + "a_b_c_d_.gz"},
		{"unicode", sales, "réport.gz", sp + "r__port.gz"},
		{"long", sales, strings.Repeat("a", 500), sp + strings.Repeat("a", maxRawName) + ".gz"},
		{"finance financial has region", fin, "f.gz",
			"raw/finance/finance_financial/vendor=85012345/region=US/2026-02/f.gz"},
		{"finance detail has no region", detail, "f.gz",
			"raw/finance/finance_detail/vendor=85012345/2026-02/f.gz"},
		{"hostile unit cannot escape", salesUnit("../..", "../x"), "y",
			"raw/sales/sales_summary_daily/vendor=___../___x/y.gz"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := RawKey(tc.u, tc.file)
			if got != tc.want {
				t.Errorf("RawKey(%q) = %q, want %q", tc.file, got, tc.want)
			}
			if path.Clean(got) != got || !strings.HasPrefix(got, "raw/"+string(tc.u.Family)+"/") {
				t.Errorf("RawKey(%q) = %q escapes its prefix", tc.file, got)
			}
			for _, seg := range strings.Split(got, "/") {
				if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".") {
					t.Errorf("RawKey(%q) = %q has segment %q", tc.file, got, seg)
				}
			}
			if !strings.HasSuffix(got, ".gz") {
				t.Errorf("RawKey(%q) = %q does not end in .gz", tc.file, got)
			}
		})
	}
}

// failingReader yields n bytes of data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestPutRaw(t *testing.T) {
	payload := make([]byte, 3<<20+17)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range payload {
		payload[i] = byte(rng.UintN(256))
	}
	sum := sha256.Sum256(payload)
	key := RawKey(salesUnit("85012345", "2026-11-20"), "S_D_85012345_20261120.txt.gz")
	prior := []byte("previous payload")

	cases := []struct {
		name    string
		prior   bool
		reader  func(cancel context.CancelFunc) io.Reader
		wantErr error // nil = success
	}{
		{"round trip", false, func(context.CancelFunc) io.Reader { return bytes.NewReader(payload) }, nil},
		{"replace", true, func(context.CancelFunc) io.Reader { return bytes.NewReader(payload) }, nil},
		{"reader error, new", false, func(context.CancelFunc) io.Reader {
			return &failingReader{data: payload[:1<<20], err: errBoom}
		}, errBoom},
		{"reader error, replace", true, func(context.CancelFunc) io.Reader {
			return &failingReader{data: payload[:1<<20], err: errBoom}
		}, errBoom},
		{"cancelled mid-stream", true, func(cancel context.CancelFunc) io.Reader {
			return io.MultiReader(bytes.NewReader(payload[:1<<20]), readFunc(func([]byte) (int, error) {
				cancel()
				return 0, io.EOF
			}), bytes.NewReader(payload[1<<20:]))
		}, context.Canceled},
	}
	for _, be := range backends {
		for _, tc := range cases {
			t.Run(be.name+"/"+tc.name, func(t *testing.T) {
				s := New(be.open(t))
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tc.prior {
					if _, err := s.PutRaw(ctx, key, bytes.NewReader(prior)); err != nil {
						t.Fatal(err)
					}
				}
				info, err := s.PutRaw(ctx, key, tc.reader(cancel))
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), key) {
						t.Fatalf("err = %v, want %v naming %s", err, tc.wantErr, key)
					}
					want := []byte(nil)
					if tc.prior {
						want = prior
					}
					assertObject(t, s, key, want)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if info.Key != key || info.Bytes != int64(len(payload)) || info.SHA256 != hex.EncodeToString(sum[:]) {
					t.Errorf("info = %+v", info)
				}
				rc, err := s.OpenRaw(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				got, err := io.ReadAll(rc)
				if err != nil || !bytes.Equal(got, payload) {
					t.Fatalf("read back %d bytes (%v), want %d identical bytes", len(got), err, len(payload))
				}
				assertObject(t, s, key, payload)
			})
		}
	}
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

func TestStoreMisc(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			s := New(be.open(t))
			if _, err := s.OpenRaw(ctx, "raw/missing.gz"); !IsNotFound(err) || !strings.Contains(err.Error(), "raw/missing.gz") {
				t.Errorf("OpenRaw(missing) err = %v, want not found naming the key", err)
			}
			if err := s.Delete(ctx, "raw/missing.gz"); err != nil {
				t.Errorf("Delete(missing) = %v", err)
			}
			for _, k := range []string{"b/2", "a/1", "b/1", "c"} {
				if _, err := s.PutRaw(ctx, k, strings.NewReader(k)); err != nil {
					t.Fatal(err)
				}
			}
			keys, err := s.List(ctx, "b/")
			if err != nil || strings.Join(keys, ",") != "b/1,b/2" {
				t.Errorf("List(b/) = %q, %v", keys, err)
			}
			if err := s.Delete(ctx, "b/1"); err != nil {
				t.Fatal(err)
			}
			keys, err = s.List(ctx, "")
			if err != nil || strings.Join(keys, ",") != "a/1,b/2,c" {
				t.Errorf("List() = %q, %v", keys, err)
			}
			if ok, err := s.Exists(ctx, "b/1"); ok || err != nil {
				t.Errorf("Exists(deleted) = %v, %v", ok, err)
			}
		})
	}
}

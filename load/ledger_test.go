package load

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/report"
)

func loadedEntry(u report.Unit) Entry {
	t0 := time.Date(2026, 11, 21, 16, 5, 0, 0, time.UTC)
	return Entry{
		Unit: u, State: Loaded, Version: "1_0", Rows: 1234, Bytes: 56789,
		RawKey: RawKey(u, "f.gz"), RawBytes: 4321, Checksum: strings.Repeat("ab", 32),
		Objects: []string{"parquet/x/data.parquet"}, HeaderHash: "h1",
		Drift: []string{"unknown column: New Column"}, Attempts: 1,
		FirstSeen: t0, UpdatedAt: t0.Add(time.Minute), LoadedAt: t0.Add(time.Minute),
	}
}

func TestLedgerPutGet(t *testing.T) {
	u := salesUnit("85012345", "2026-11-20")
	cases := []struct {
		name    string
		entry   Entry
		wantErr string
	}{
		{"loaded", loadedEntry(u), ""},
		{"failed", Entry{Unit: u, State: Failed, Error: "500 from Apple", Attempts: 3,
			FirstSeen: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}, ""},
		{"finance empty", Entry{Unit: financeUnit(report.Financial, "US", "85012345", "2026-02"), State: Empty,
			FirstSeen: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, ""},
		{"invalid unit", Entry{Unit: salesUnit("../x", "2026-11-20"), State: Loaded}, "vendor number"},
		{"unknown state", Entry{Unit: u, State: "done"}, `unknown state "done"`},
		{"no state", Entry{Unit: u}, `unknown state ""`},
	}
	for _, be := range backends {
		for _, tc := range cases {
			t.Run(be.name+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				s := New(be.open(t))
				l := s.Ledger()
				err := l.Put(ctx, tc.entry)
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("Put err = %v, want %q", err, tc.wantErr)
					}
					if keys, _ := s.List(ctx, ""); len(keys) != 0 {
						t.Errorf("rejected Put wrote %q", keys)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if ok, _ := s.Exists(ctx, "_etl/ledger/"+tc.entry.Unit.ID()+".json"); !ok {
					t.Errorf("entry not at _etl/ledger/%s.json", tc.entry.Unit.ID())
				}
				got, ok, err := l.Get(ctx, tc.entry.Unit)
				if err != nil || !ok {
					t.Fatalf("Get = %v, %v", ok, err)
				}
				if !reflect.DeepEqual(got, tc.entry) {
					t.Errorf("Get =\n%+v\nwant\n%+v", got, tc.entry)
				}
			})
		}
	}
}

func TestLedgerGetMissingAndDefaults(t *testing.T) {
	ctx := context.Background()
	s := New(backends[0].open(t))
	l := s.Ledger()
	u := salesUnit("85012345", "2026-11-20")
	if _, ok, err := l.Get(ctx, u); ok || err != nil {
		t.Fatalf("Get(missing) = %v, %v", ok, err)
	}
	before := time.Now()
	if err := l.Put(ctx, Entry{Unit: u, State: Pending}); err != nil {
		t.Fatal(err)
	}
	e, ok, err := l.Get(ctx, u)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if e.UpdatedAt.Before(before.Add(-time.Second)) || !e.FirstSeen.Equal(e.UpdatedAt) {
		t.Errorf("defaults not applied: first_seen %v updated_at %v", e.FirstSeen, e.UpdatedAt)
	}
}

func TestLedgerList(t *testing.T) {
	var units []report.Unit
	for _, v := range []string{"85012345", "85012346"} {
		for d := 1; d <= 40; d++ {
			units = append(units, salesUnit(v, fmt.Sprintf("2026-10-%02d", d%31+1)))
		}
		units = append(units, financeUnit(report.Financial, "US", v, "2026-02"),
			financeUnit(report.Financial, "EU", v, "2026-02"), financeUnit(report.FinanceDetail, "Z1", v, "2026-02"))
	}
	cases := []struct {
		prefix string
		want   int
	}{
		{"", 2*31 + 6},
		{"sales/SALES/SUMMARY/DAILY/85012345/", 31},
		{"sales/SALES/SUMMARY/DAILY/85012345/2026-10-0", 9},
		{"finance/FINANCIAL/", 4},
		{"finance/FINANCE_DETAIL/Z1/85012346/", 1},
		{"sales/SALES/SUMMARY/WEEKLY/", 0},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			s := New(be.open(t))
			l := s.Ledger()
			for _, u := range units {
				if err := l.Put(ctx, loadedEntry(u)); err != nil {
					t.Fatal(err)
				}
			}
			for _, tc := range cases {
				got, err := l.List(ctx, tc.prefix)
				if err != nil {
					t.Fatalf("List(%q): %v", tc.prefix, err)
				}
				if len(got) != tc.want {
					t.Errorf("List(%q) = %d entries, want %d", tc.prefix, len(got), tc.want)
				}
				for i, e := range got {
					if !strings.HasPrefix(e.Unit.ID(), tc.prefix) {
						t.Errorf("List(%q) returned %s", tc.prefix, e.Unit.ID())
					}
					if i > 0 && got[i-1].Unit.ID() >= e.Unit.ID() {
						t.Errorf("List(%q) not sorted: %s before %s", tc.prefix, got[i-1].Unit.ID(), e.Unit.ID())
					}
					if !reflect.DeepEqual(e, loadedEntry(e.Unit)) {
						t.Errorf("List(%q) entry %s differs", tc.prefix, e.Unit.ID())
					}
				}
			}
		})
	}
}

func TestLedgerListCorrupt(t *testing.T) {
	u := salesUnit("85012345", "2026-11-20")
	other := salesUnit("85012345", "2026-11-21")
	cases := []struct {
		name, key, body, wantErr string
	}{
		{"not json", "_etl/ledger/sales/SALES/SUMMARY/DAILY/85012345/2026-11-19.json", "{oops", "corrupt ledger entry"},
		{"wrong unit", "_etl/ledger/sales/SALES/SUMMARY/DAILY/85012345/2026-11-19.json",
			`{"unit":{"family":"sales","type":"SALES","sub_type":"SUMMARY","frequency":"DAILY","vendor":"85012345","period":"2026-11-21"},"state":"loaded"}`,
			"is for unit sales/SALES/SUMMARY/DAILY/85012345/2026-11-21"},
		{"bad state", "_etl/ledger/sales/SALES/SUMMARY/DAILY/85012345/2026-11-19.json",
			`{"unit":{"family":"sales","type":"SALES","sub_type":"SUMMARY","frequency":"DAILY","vendor":"85012345","period":"2026-11-19"},"state":"weird"}`,
			`unknown state "weird"`},
	}
	for _, be := range backends {
		for _, tc := range cases {
			t.Run(be.name+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				s := New(be.open(t))
				l := s.Ledger()
				for _, x := range []report.Unit{u, other} {
					if err := l.Put(ctx, loadedEntry(x)); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := s.PutRaw(ctx, tc.key, strings.NewReader(tc.body)); err != nil {
					t.Fatal(err)
				}
				_, err := l.List(ctx, "")
				if err == nil || !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("List err = %v, want %q naming %s", err, tc.wantErr, tc.key)
				}
				if _, err := l.List(ctx, "sales/SALES/SUMMARY/DAILY/85012345/2026-11-2"); err != nil {
					t.Errorf("List of a prefix without the corrupt entry: %v", err)
				}
			})
		}
	}
}

func TestLedgerListCancelled(t *testing.T) {
	s := New(backends[0].open(t))
	if err := s.Ledger().Put(context.Background(), loadedEntry(salesUnit("1", "2026-11-20"))); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Ledger().List(ctx, ""); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("List(cancelled) err = %v", err)
	}
}

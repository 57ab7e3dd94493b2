package schemas

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ascetl/etl/report"
)

func TestCatalogTables(t *testing.T) {
	want := []string{DimAppsTable, DimAppVersionsTable, DimBuildsTable, DimInAppPurchaseTable, DimSubscriptionsTable,
		TestFlightTesterUsageTable, TestFlightBuildUsageTable, XcodeCloudRunsTable, XcodeCloudActionsTable}
	got := catalogTables()
	if len(got) != len(want) {
		t.Fatalf("%d catalog tables, want %d", len(got), len(want))
	}
	dims := map[string]bool{}
	for _, d := range DimTables() {
		dims[d] = true
	}
	for i, tb := range got {
		if tb.Name != want[i] {
			t.Errorf("table %d = %s, want %s", i, tb.Name, want[i])
		}
		if (tb.Family != report.Catalog && tb.Family != report.TestFlight && tb.Family != report.XcodeCloud) || report.TableName(tb.Family, tb.Type, "", "") != tb.Name {
			t.Errorf("%s: family %s type %s does not name the table", tb.Name, tb.Family, tb.Type)
		}
		if lk, ok := Lookup(tb.Name); !ok || lk != byName[tb.Name] {
			t.Errorf("%s not registered", tb.Name)
		}
		n := len(tb.Columns)
		if dims[tb.Name] {
			// The entity id first, the SCD columns last; one vendor object per table.
			if !strings.HasSuffix(tb.Columns[0].Name, "_id") || tb.Columns[0].Header != "id" {
				t.Errorf("%s: first column %s is not the entity id", tb.Name, tb.Columns[0].Name)
			}
			if tb.Columns[n-3].Name != ValidFrom || tb.Columns[n-2].Name != ValidTo || tb.Columns[n-1].Name != IsCurrent ||
				tb.Columns[n-3].Kind != DateISO || tb.Columns[n-1].Kind != Bool {
				t.Errorf("%s: SCD columns missing at the end", tb.Name)
			}
			if len(tb.Partition) != 1 || tb.Partition[0].Name != "vendor" {
				t.Errorf("%s: partition %v", tb.Name, tb.Partition)
			}
			continue
		}
		if len(tb.Partition) != 2 || tb.Partition[0].Name != "app_id" || tb.Partition[1].Name != "month" {
			t.Errorf("%s: partition %v", tb.Name, tb.Partition)
		}
	}
	// Golden fingerprint: a change to a catalog table's columns must be deliberate.
	h := sha256.New()
	for _, tb := range got {
		h.Write([]byte(tb.Name + "\n" + tb.ArrowSchema(nil).String() + "\n"))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != catalogFingerprint {
		t.Errorf("catalog schema fingerprint changed:\n got %s\nwant %s\n(update catalogFingerprint if intended)", got, catalogFingerprint)
	}
}

const catalogFingerprint = "cc2a244b3ecb6f6c24363d2adc3dfd82519f23918592fbda7b360139f6ba475c"

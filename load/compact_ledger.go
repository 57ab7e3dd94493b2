package load

// Repointing the ledger at a compacted month object (compact.go).

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// repointLedger points the ledger entries of the folded periods at the month object.
func (s *Store) repointLedger(ctx context.Context, t *schemas.Table, partition string, folded []string, monthKey string) error {
	byDay := map[string][]string{}
	for _, k := range folded {
		day, _ := periodOfName(path.Base(k))
		byDay[day] = append(byDay[day], k)
	}
	for _, day := range slices.Sorted(maps.Keys(byDay)) {
		if err := s.repointUnit(ctx, t, partition, day, byDay[day], monthKey); err != nil {
			return err
		}
	}
	return nil
}

// repointUnit replaces the objects from in the ledger entry of t's unit whose period
// starts on day by to (an entry that lists none of them is left as it is).
func (s *Store) repointUnit(ctx context.Context, t *schemas.Table, partition, day string, from []string, to string) error {
	vendor, err := vendorOf(partition)
	if err != nil {
		return err
	}
	u, err := periodUnit(t, vendor, day)
	if err != nil {
		return err
	}
	e, ok, err := s.Ledger().Get(ctx, u)
	if err != nil || !ok {
		return err // a period object with no entry (written by hand): nothing to repoint
	}
	changed := false
	var objs []string
	for _, o := range e.Objects {
		if slices.Contains(from, o) {
			o, changed = to, true
		}
		if !slices.Contains(objs, o) {
			objs = append(objs, o)
		}
	}
	if !changed {
		return nil
	}
	e.Objects = objs
	return s.Ledger().Put(ctx, e)
}

// vendorOf is the vendor of a sales partition path (vendor=<n>/..., after the account
// partition of an installation with several accounts).
func vendorOf(partition string) (string, error) {
	if strings.HasPrefix(partition, "account=") {
		_, partition, _ = strings.Cut(partition, "/")
	}
	first, _, _ := strings.Cut(partition, "/")
	if v, ok := strings.CutPrefix(first, "vendor="); ok && report.ValidVendor(v) {
		return v, nil
	}
	return "", fmt.Errorf("partition %q does not start with vendor=<n>", partition)
}

// periodUnit is the sales unit of t whose period starts on day.
func periodUnit(t *schemas.Table, vendor, day string) (report.Unit, error) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return report.Unit{}, err
	}
	u := report.Unit{Family: t.Family, Type: t.Type, SubType: t.SubType, Frequency: t.Frequency(), Vendor: vendor}
	switch u.Frequency {
	case report.Daily:
		u.Period = day
	case report.Weekly:
		u.Period = d.AddDate(0, 0, 6).Format(time.DateOnly)
	case report.Monthly:
		u.Period = d.Format("2006-01")
	case report.Yearly:
		u.Period = d.Format("2006")
	default:
		return report.Unit{}, fmt.Errorf("table %s: no period unit for frequency %q", t.Name, u.Frequency)
	}
	return u, u.Validate()
}

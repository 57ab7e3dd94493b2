package transform

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

func TestPrefetchSameBatchesAndErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	table, _ := schemas.Lookup("subscription_offer_code_redemption_summary_daily")
	head := "Date\tApp Name\tApp Apple ID\tSubscription Name\tSubscription Apple ID\tOffer Reference Name\tOffer Code\tTerritory\tRedemptions\n"
	var b strings.Builder
	b.WriteString(head)
	for i := 0; i < 100; i++ {
		b.WriteString("2026-11-20\tApp\t1\tSub\t2\tRef\tCODE\tUS\t3\n")
	}
	opt := Options{Key: "k", ExtractedAt: time.Unix(0, 0), Alloc: mem, BatchRows: 7}

	r, err := NewReader(strings.NewReader(b.String()), table, opt)
	if err != nil {
		t.Fatal(err)
	}
	p := Prefetch(r, 2)
	rows := 0
	for p.Next() {
		rows += int(p.RecordBatch().NumRows())
	}
	if p.Err() != nil || rows != 100 {
		t.Fatalf("rows %d err %v", rows, p.Err())
	}
	p.Stop()
	r.Release()

	// A bad row surfaces through Err, and stopping early releases what is queued.
	bad := b.String() + "2026-11-20\tApp\t1\tSub\t2\tRef\tCODE\tUS\tx\n"
	r, _ = NewReader(strings.NewReader(bad), table, opt)
	p = Prefetch(r, 2)
	for p.Next() {
	}
	var pe *ParseError
	if !errors.As(p.Err(), &pe) || pe.Line != 102 {
		t.Fatalf("err = %v", p.Err())
	}
	p.Stop()
	r.Release()

	r, _ = NewReader(strings.NewReader(b.String()), table, opt)
	p = Prefetch(r, 2)
	p.Next()
	p.Stop()
	p.Stop()
	r.Release()
}

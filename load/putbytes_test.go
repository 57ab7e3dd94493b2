package load

import (
	"context"
	"errors"
	"testing"

	"gocloud.dev/blob/memblob"
)

func TestPutBytesCommitsOrLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s := New(memblob.OpenBucket(nil))
	defer s.Bucket().Close()
	if err := s.PutBytes(ctx, "_etl/state/x.json", []byte(`{"a":1}`), "application/json"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Bucket().ReadAll(ctx, "_etl/state/x.json")
	if err != nil || string(got) != `{"a":1}` {
		t.Fatalf("read back %q, %v", got, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err = s.PutBytes(cctx, "_etl/state/y.json", []byte("{}"), "application/json")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v", err)
	}
	if ok, _ := s.Exists(ctx, "_etl/state/y.json"); ok {
		t.Fatal("a cancelled write left an object")
	}
}

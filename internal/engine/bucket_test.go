package engine

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

// spyBucket is a blob driver over an in-memory bucket that records every write and may
// intervene before one (fail it, or cancel a pass at a chosen write).
type spyBucket struct {
	inner *blob.Bucket
	mu    sync.Mutex
	wrote []string
	// before, when set, runs before each write; an error fails that write.
	before func(key string) error
}

// newSpyBucket returns the portable bucket and its spy.
func newSpyBucket(t testing.TB) (*blob.Bucket, *spyBucket) {
	inner := memblob.OpenBucket(nil)
	spy := &spyBucket{inner: inner}
	b := blob.NewBucket(spy)
	t.Cleanup(func() { b.Close(); inner.Close() })
	return b, spy
}

// writes returns the keys written since the last call, in order, and forgets them.
func (s *spyBucket) writes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.wrote
	s.wrote = nil
	return w
}

func (s *spyBucket) setBefore(f func(key string) error) {
	s.mu.Lock()
	s.before = f
	s.mu.Unlock()
}

func (s *spyBucket) ErrorCode(err error) gcerrors.ErrorCode { return gcerrors.Code(err) }
func (s *spyBucket) As(any) bool                            { return false }
func (s *spyBucket) ErrorAs(error, any) bool                { return false }
func (s *spyBucket) Close() error                           { return nil }

func (s *spyBucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	a, err := s.inner.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	return &driver.Attributes{ContentType: a.ContentType, Metadata: a.Metadata, ModTime: a.ModTime,
		Size: a.Size, MD5: a.MD5, ETag: a.ETag}, nil
}

// ListPaged lists everything in one page.
func (s *spyBucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	it := s.inner.List(&blob.ListOptions{Prefix: opts.Prefix, Delimiter: opts.Delimiter})
	page := &driver.ListPage{}
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return page, nil
		}
		if err != nil {
			return nil, err
		}
		page.Objects = append(page.Objects, &driver.ListObject{Key: o.Key, ModTime: o.ModTime, Size: o.Size, MD5: o.MD5, IsDir: o.IsDir})
	}
}

func (s *spyBucket) NewRangeReader(ctx context.Context, key string, offset, length int64, _ *driver.ReaderOptions) (driver.Reader, error) {
	r, err := s.inner.NewRangeReader(ctx, key, offset, length, nil)
	if err != nil {
		return nil, err
	}
	return &spyReader{r}, nil
}

type spyReader struct{ *blob.Reader }

func (r *spyReader) Attributes() *driver.ReaderAttributes {
	return &driver.ReaderAttributes{ContentType: r.ContentType(), ModTime: r.ModTime(), Size: r.Size()}
}
func (r *spyReader) As(any) bool { return false }

func (s *spyBucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	s.mu.Lock()
	s.wrote = append(s.wrote, key)
	before := s.before
	s.mu.Unlock()
	if before != nil {
		if err := before(key); err != nil {
			return nil, err
		}
	}
	return s.inner.NewWriter(ctx, key, &blob.WriterOptions{ContentType: contentType, Metadata: opts.Metadata, IfNotExist: opts.IfNotExist})
}

func (s *spyBucket) Copy(ctx context.Context, dst, src string, _ *driver.CopyOptions) error {
	return s.inner.Copy(ctx, dst, src, nil)
}

func (s *spyBucket) Delete(ctx context.Context, key string, _ *driver.DeleteOptions) error {
	return s.inner.Delete(ctx, key)
}

func (s *spyBucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", errors.New("spyBucket: no signed URLs")
}

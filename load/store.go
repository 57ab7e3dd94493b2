// Package load writes what the pipeline produces into the bucket: the raw archive of Apple
// payloads (byte-for-byte), one Parquet object per table partition, and the ledger that
// records the state of every unit of work.
//
// Every object is written through a gocloud blob.Writer, which makes it visible only when
// Close succeeds. All writes here follow one rule: commit only if everything went well;
// on any error or context cancellation abort the writer (cancel its own context, then
// Close), so the key keeps its previous content or stays absent — never half-written.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Store is the bucket the pipeline writes to. It is safe for concurrent use.
type Store struct {
	b     *blob.Bucket
	dir   string   // local directory behind a file:// bucket, for atomic creates (lock.go)
	locks keyLocks // serialises Load of one object (load.go)
}

// New returns a Store over b. The caller keeps ownership of b and closes it.
func New(b *blob.Bucket) *Store { return &Store{b: b} }

// Bucket returns the underlying bucket.
func (s *Store) Bucket() *blob.Bucket { return s.b }

// IsNotFound reports whether err (possibly wrapped) says an object does not exist.
func IsNotFound(err error) bool { return err != nil && gcerrors.Code(err) == gcerrors.NotFound }

// Exists reports whether an object exists at key.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	ok, err := s.b.Exists(ctx, key)
	if err != nil {
		return false, fmt.Errorf("exists %s: %w", key, err)
	}
	return ok, nil
}

// Delete removes the object at key; an absent object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.b.Delete(ctx, key); err != nil && !IsNotFound(err) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// List returns every key under prefix (no delimiter: the whole subtree), sorted.
//
// fileblob lists a directory, then reads each entry's attributes: a temporary file that
// another process renames into place in between (shards writing the same directories) is
// NotFound. Such a listing is taken again, up to listAttempts times.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	for attempt := 1; ; attempt++ {
		keys, err := s.list(ctx, prefix)
		if err == nil || !IsNotFound(err) || attempt == listAttempts || ctx.Err() != nil {
			return keys, err
		}
	}
}

// listAttempts bounds the listings List takes when entries vanish under it.
const listAttempts = 20

func (s *Store) list(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	it := s.b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		if !obj.IsDir {
			keys = append(keys, obj.Key)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// countingWriter is what producers write into. It counts bytes, fails fast once ctx is
// done, and has no Close method, so a producer that closes what it was given (pqarrow's
// FileWriter does) cannot commit the blob behind our back. After discard() it swallows
// writes, which lets a producer flush and free its buffers on the abort path without
// sending anything more to the bucket.
type countingWriter struct {
	ctx     context.Context
	w       io.Writer
	n       int64
	discard bool
	// swallow makes a failed write (an error from the bucket, or ctx cancelled) succeed
	// from the producer's point of view: the first failure is kept in err and later bytes
	// are dropped. pqarrow frees its column encoders only when its Close succeeds, so the
	// Parquet path must never see a write error; write() aborts on err afterwards.
	swallow bool
	err     error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.discard {
		return len(p), nil
	}
	err := c.ctx.Err()
	n := 0
	if err == nil {
		n, err = c.w.Write(p)
		c.n += int64(n)
	}
	if err != nil && c.swallow {
		c.err, c.discard = err, true
		return len(p), nil
	}
	return n, err
}

// write streams fill's output into a new object at key and commits it only if fill
// returns nil and ctx is still live; otherwise the writer is aborted and nothing becomes
// visible. It returns the number of bytes committed. Errors are not wrapped with the key;
// callers do that.
func (s *Store) write(ctx context.Context, key string, opts *blob.WriterOptions, fill func(*countingWriter) error) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The bytes reach the bucket through a pipe and Bucket.Upload (the drivers' Upload
	// path), not Writer.Write: gocloud v0.47's azureblob writer panics when a Write-path
	// upload is aborted (its upload goroutine nils the pipe reader Close then closes).
	// Found by internal/blobs TestConformance/azure.
	uo := blob.WriterOptions{}
	if opts != nil {
		uo = *opts
	}
	if uo.ContentType == "" {
		uo.ContentType = "application/octet-stream" // Upload requires one
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := s.b.Upload(wctx, key, pr, &uo)
		ended := err
		if ended == nil {
			ended = io.ErrClosedPipe
		}
		pr.CloseWithError(ended) // a producer still writing gets the upload's error
		done <- err
	}()
	cw := &countingWriter{ctx: ctx, w: pw}
	err := fill(cw)
	if err == nil {
		err = cw.err
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		cancel() // abort: the driver sees a cancelled context and discards the upload
		pw.CloseWithError(err)
		<-done
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		return 0, err
	}
	pw.Close()
	if err := <-done; err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		return 0, err
	}
	return cw.n, nil
}

// PutBytes stores data at key through the same commit-or-abort path as every other write
// (small JSON state and manifests use it); the error names the key.
func (s *Store) PutBytes(ctx context.Context, key string, data []byte, contentType string) error {
	_, err := s.write(ctx, key, &blob.WriterOptions{ContentType: contentType}, func(w *countingWriter) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

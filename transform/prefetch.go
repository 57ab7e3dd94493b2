package transform

import "github.com/apache/arrow-go/v18/arrow"

// Prefetch reads ahead: it runs r (decompression and parsing) in its own goroutine and
// hands finished record batches to the consumer (the Parquet writer) through a queue of
// depth batches, so parsing and encoding use two cores. Memory grows by at most depth
// batches. Call Stop when done — before r.Release — even after an error.
func Prefetch(r *Reader, depth int) *Prefetched {
	if depth < 1 {
		depth = 1
	}
	p := &Prefetched{schema: r.Schema(), ch: make(chan arrow.RecordBatch, depth), quit: make(chan struct{})}
	go func() {
		defer close(p.ch)
		for r.Next() {
			rec := r.RecordBatch()
			rec.Retain() // the reader drops its reference on its next Next
			select {
			case p.ch <- rec:
			case <-p.quit:
				rec.Release()
				return
			}
		}
		p.err = r.Err()
	}()
	return p
}

// Prefetched is the consumer side of Prefetch; it has the RecordReader methods.
type Prefetched struct {
	schema *arrow.Schema
	ch     chan arrow.RecordBatch
	quit   chan struct{}
	cur    arrow.RecordBatch
	err    error // set by the producer before it closes ch
	done   bool
}

func (p *Prefetched) Schema() *arrow.Schema          { return p.schema }
func (p *Prefetched) RecordBatch() arrow.RecordBatch { return p.cur }

// Next moves to the next batch; the previous one is released.
func (p *Prefetched) Next() bool {
	if p.cur != nil {
		p.cur.Release()
		p.cur = nil
	}
	rec, ok := <-p.ch
	p.cur = rec
	return ok
}

// Err is the reader's error, valid once Next has returned false.
func (p *Prefetched) Err() error { return p.err }

// Stop ends the producer and releases every batch still queued. It waits for the
// producer to finish, so the reader is no longer in use when it returns.
func (p *Prefetched) Stop() {
	if p.done {
		return
	}
	p.done = true
	close(p.quit)
	for rec := range p.ch {
		rec.Release()
	}
	if p.cur != nil {
		p.cur.Release()
		p.cur = nil
	}
}

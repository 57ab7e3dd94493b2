package load

import (
	"io"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// zstdWindow is the match window of the zstd encoders of Parquet pages. arrow-go's codec
// uses klauspost/compress's default of 8 MiB, and each encoder then keeps a 16 MiB history
// buffer; a page is at most about a MiB (the data page size, the dictionary page limit), so
// a 1 MiB window compresses it the same and the encoders of the writer's goroutines take a
// few MiB instead of 32+ (BENCHMARKS.md, "Memory").
const zstdWindow = 1 << 20

func init() {
	orig, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		panic(err)
	}
	compress.RegisterCodec(compress.Codecs.Zstd, zstdCodec{Codec: orig})
}

// zstdCodec is arrow-go's zstd codec with pooled encoders of a small window; decoding is
// arrow-go's.
type zstdCodec struct {
	compress.Codec
}

// zstdEncoders keeps idle encoders by level, a few each: unlike a sync.Pool it is not
// emptied by every garbage collection, and an encoder is costly to make (its tables).
var zstdEncoders sync.Map // zstd.EncoderLevel -> chan *zstd.Encoder

func zstdIdle(level zstd.EncoderLevel) chan *zstd.Encoder {
	if c, ok := zstdEncoders.Load(level); ok {
		return c.(chan *zstd.Encoder)
	}
	c, _ := zstdEncoders.LoadOrStore(level, make(chan *zstd.Encoder, 2*runtime.GOMAXPROCS(0)))
	return c.(chan *zstd.Encoder)
}

func getZstd(level zstd.EncoderLevel) *zstd.Encoder {
	select {
	case enc := <-zstdIdle(level):
		return enc
	default:
		enc, _ := zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderLevel(level),
			zstd.WithEncoderConcurrency(1), zstd.WithAllLitEntropyCompression(true), zstd.WithWindowSize(zstdWindow))
		return enc
	}
}

func putZstd(level zstd.EncoderLevel, enc *zstd.Encoder) {
	select {
	case zstdIdle(level) <- enc:
	default: // enough idle ones
	}
}

func (z zstdCodec) Encode(dst, src []byte) []byte {
	return z.EncodeLevel(dst, src, compress.DefaultCompressionLevel)
}

func (zstdCodec) EncodeLevel(dst, src []byte, level int) []byte {
	lv := zstd.SpeedDefault
	if level != compress.DefaultCompressionLevel {
		lv = zstd.EncoderLevelFromZstd(level)
	}
	enc := getZstd(lv)
	defer putZstd(lv, enc)
	return enc.EncodeAll(src, dst[:0])
}

// DecodeWithError, NewReader, NewWriter and NewWriterLevel are arrow-go's.

func (z zstdCodec) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(z.Codec, dst, src)
}

func (z zstdCodec) NewReader(r io.Reader) io.ReadCloser {
	return z.Codec.(compress.StreamingCodec).NewReader(r)
}

func (z zstdCodec) NewWriter(w io.Writer) io.WriteCloser {
	return z.Codec.(compress.StreamingCodec).NewWriter(w)
}

func (z zstdCodec) NewWriterLevel(w io.Writer, level int) (io.WriteCloser, error) {
	return z.Codec.(compress.StreamingCodec).NewWriterLevel(w, level)
}

package simulator

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Storm is a rate of HTTP-level faults, drawn for every request to every route (Inject's
// faults, by contrast, target one unit). It is what a flaky network or a misbehaving proxy
// in front of Apple looks like, and what `etl simulate --faults` and simulator.faults in
// config.yaml set:
//
//   - ServerError ("500"): 500 UNEXPECTED_ERROR with Apple's error JSON (an S3 InternalError
//     XML document on the pre-signed segment downloads). The request never reaches its
//     route: nothing is charged to the rate budget.
//   - RateLimited ("429"): 429 RATE_LIMIT_EXCEEDED with Retry-After: 1 (S3's 503 SlowDown on
//     the segment downloads). Not charged either, as the simulator's own 429s.
//   - Reset ("reset"): the route answers (and charges the budget, as Apple counts a request
//     it served), then the connection is closed with a TCP reset: before anything is
//     written, after the headers, or half-way through the body (a third each).
//   - Truncate ("truncate"): a 200 with a body arrives cut in half. Half the time the
//     Content-Length promises the whole body and the connection closes after the half (a
//     proxy that died mid-transfer); the other half the body is sent chunked without a
//     Content-Length and ends cleanly after the half, so that only the content itself (a
//     gzip trailer, a JSON document's end, sizeInBytes and the checksum) shows the cut. A
//     HEAD, an empty body or an error status gets no fault.
//
// Decision: the draw for the n-th request (n counted from 1 per Server, whatever its route)
// is a hash of the storm's seed (Options.StormSeed, else Seed) and n, so a storm is the same for the same seed and the
// same sequence of requests; with concurrent clients which request is the n-th may vary.
type Storm struct {
	ServerError, RateLimited, Reset, Truncate float64
}

// stormKeys are the names of a Storm's rates in ParseStorm's syntax, in String's order.
var stormKeys = []string{"500", "429", "reset", "truncate"}

func (st *Storm) rate(key string) *float64 {
	switch key {
	case "500":
		return &st.ServerError
	case "429":
		return &st.RateLimited
	case "reset":
		return &st.Reset
	case "truncate":
		return &st.Truncate
	}
	return nil
}

// ParseStorm reads "500=0.2,429=0.1,reset=0.05,truncate=0.05": comma-separated
// fault=probability pairs, each probability in [0, 1] and their sum at most 1. "" is no
// storm. Errors name the pair at fault.
func ParseStorm(s string) (Storm, error) {
	var st Storm
	if strings.TrimSpace(s) == "" {
		return st, nil
	}
	seen := map[string]bool{}
	for i, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		k = strings.ToLower(strings.TrimSpace(k))
		p := st.rate(k)
		switch {
		case !ok:
			return Storm{}, fmt.Errorf("fault %d %q: want fault=probability (e.g. 500=0.2)", i+1, pair)
		case p == nil:
			return Storm{}, fmt.Errorf("fault %d %q: unknown fault %q (want one of %s)", i+1, pair, k, strings.Join(stormKeys, ", "))
		case seen[k]:
			return Storm{}, fmt.Errorf("fault %d %q: %s is given twice", i+1, pair, k)
		}
		seen[k] = true
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 {
			return Storm{}, fmt.Errorf("fault %d %q: probability %q must be a number between 0 and 1", i+1, pair, strings.TrimSpace(v))
		}
		*p = f
	}
	if sum := st.ServerError + st.RateLimited + st.Reset + st.Truncate; sum > 1+1e-9 {
		return Storm{}, fmt.Errorf("faults %q: the probabilities add up to %.3g, more than 1", s, sum)
	}
	return st, nil
}

// String renders the storm in ParseStorm's syntax ("" when there is none).
func (st Storm) String() string {
	var parts []string
	for _, k := range stormKeys {
		if v := *st.rate(k); v > 0 {
			parts = append(parts, k+"="+strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	return strings.Join(parts, ",")
}

// Active reports whether any fault has a positive rate.
func (st Storm) Active() bool { return st.ServerError+st.RateLimited+st.Reset+st.Truncate > 0 }

type stormFault int

const (
	stormNone stormFault = iota
	storm500
	storm429
	stormReset
	stormTruncate
)

var stormNames = map[stormFault]string{storm500: "500", storm429: "429", stormReset: "reset", stormTruncate: "truncate"}

// stormState is a server's storm: the request counter and what was injected.
type stormState struct {
	n      atomic.Uint64
	mu     sync.Mutex
	counts map[string]int
}

// draw picks the fault of the n-th request and a variant number in [0, 6).
func (s *Server) draw(n uint64) (stormFault, int) {
	h := fnv.New64a()
	var b [16]byte
	seed := s.opt.StormSeed
	if seed == 0 {
		seed = s.opt.Seed
	}
	binary.LittleEndian.PutUint64(b[:8], uint64(seed))
	binary.LittleEndian.PutUint64(b[8:], n)
	h.Write([]byte("asc-simulator-storm|"))
	h.Write(b[:])
	x := mix64(h.Sum64())
	u := float64(x>>11) / (1 << 53)
	variant := int((x & 0xff) % 6)
	st := s.opt.Storm
	for _, f := range []struct {
		p float64
		f stormFault
	}{{st.ServerError, storm500}, {st.RateLimited, storm429}, {st.Reset, stormReset}, {st.Truncate, stormTruncate}} {
		if u < f.p {
			return f.f, variant
		}
		u -= f.p
	}
	return stormNone, variant
}

// mix64 is splitmix64's finaliser: it spreads FNV's bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// StormStats counts the faults the storm injected since New, by name ("500", "429",
// "reset", "truncate").
func (s *Server) StormStats() map[string]int {
	s.storm.mu.Lock()
	defer s.storm.mu.Unlock()
	out := make(map[string]int, len(s.storm.counts))
	for k, v := range s.storm.counts {
		out[k] = v
	}
	return out
}

func (s *Server) countStorm(f stormFault) {
	s.storm.mu.Lock()
	defer s.storm.mu.Unlock()
	if s.storm.counts == nil {
		s.storm.counts = map[string]int{}
	}
	s.storm.counts[stormNames[f]]++
}

// serveStorm answers r through the storm: it returns false when this request draws no
// fault (the caller serves it as usual).
func (s *Server) serveStorm(w *statusWriter, r *http.Request) bool {
	if !s.opt.Storm.Active() {
		return false
	}
	f, variant := s.draw(s.storm.n.Add(1))
	presigned := strings.HasPrefix(r.URL.Path, segmentPrefix)
	switch f {
	case storm500:
		s.countStorm(f)
		if presigned {
			writeS3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		} else {
			writeError(w, errUnexpected())
		}
		return true
	case storm429:
		s.countStorm(f)
		if presigned {
			w.Header().Set("Retry-After", "1")
			writeS3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		} else {
			writeError(w, errRateLimited(1))
		}
		return true
	case stormReset, stormTruncate:
		rec := &recorder{header: http.Header{}}
		s.dispatch(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		if f == stormTruncate && (r.Method == http.MethodHead || rec.status != http.StatusOK || rec.body.Len() < 2) {
			replay(w, rec) // nothing to cut
			return true
		}
		s.countStorm(f)
		w.status = rec.status
		if f == stormTruncate && variant%2 == 1 {
			cutChunked(w, rec)
			return true
		}
		s.cutConnection(w, r, rec, f, variant)
		return true
	}
	return false
}

// recorder holds a route's whole answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rc *recorder) Header() http.Header { return rc.header }

func (rc *recorder) WriteHeader(code int) {
	if rc.status == 0 {
		rc.status = code
	}
}

func (rc *recorder) Write(b []byte) (int, error) {
	rc.WriteHeader(http.StatusOK)
	return rc.body.Write(b)
}

// replay writes a recorded answer as it is.
func replay(w http.ResponseWriter, rc *recorder) {
	for k, v := range rc.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rc.status)
	_, _ = w.Write(rc.body.Bytes())
}

// cutChunked sends the first half of the body chunked, without a Content-Length, and ends
// the response cleanly: the transfer looks complete.
func cutChunked(w http.ResponseWriter, rc *recorder) {
	for k, v := range rc.header {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rc.status)
	body := rc.body.Bytes()
	_, _ = w.Write(body[:len(body)/2])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush() // headers and the half go out chunked
	}
}

// cutConnection takes the connection over and writes part of the answer, then resets it:
// a reset writes nothing, the headers, or the headers and half the body (variant % 3), then
// sends RST; a truncation writes the headers, with the full Content-Length, and half the
// body, then closes normally.
func (s *Server) cutConnection(w *statusWriter, r *http.Request, rc *recorder, f stormFault, variant int) {
	conn, buf, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil { // not hijackable (HTTP/2): the closest we can do is a clean half
		cutChunked(w, rc)
		return
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok && f == stormReset {
		_ = tc.SetLinger(0) // Close sends RST, as a dropped connection does (a truncation ends with FIN)
	}
	part := 2 // headers and half the body
	if f == stormReset {
		part = variant % 3
	}
	if part == 0 {
		return
	}
	body := rc.body.Bytes()
	if r.Method == http.MethodHead {
		body = nil
	}
	rc.header.Set("Content-Length", strconv.Itoa(len(body)))
	rc.header.Set("Connection", "close")
	if rc.header.Get("Date") == "" {
		rc.header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", rc.status, http.StatusText(rc.status))
	keys := make([]string, 0, len(rc.header))
	for k := range rc.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range rc.header[k] {
			fmt.Fprintf(buf, "%s: %s\r\n", k, v)
		}
	}
	buf.WriteString("\r\n")
	if part == 2 {
		buf.Write(body[:len(body)/2])
	}
	_ = buf.Flush()
}

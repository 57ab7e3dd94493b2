package simulator

import (
	"fmt"
	"time"
)

const window = time.Hour

// bucket is a rolling one-hour request log for one API key.
type bucket struct{ times []time.Time }

func (b *bucket) prune(now time.Time) {
	i := 0
	for i < len(b.times) && !b.times[i].After(now.Add(-window)) {
		i++
	}
	b.times = b.times[i:]
}

// take charges one request to the bucket of kid ("" = the global bucket for requests whose
// key is unknown). It returns the remaining budget after the request and, when the budget
// is exhausted, the seconds until the oldest request leaves the window (the request is then
// not recorded).
//
// Decision (429): Retry-After = seconds until the oldest request in the window leaves it (≥ 1);
// FaultRateLimited uses 60. A rejected request is not recorded in the window. Requests whose
// token names no registered kid are charged to one global bucket; requests with a known kid but
// an invalid token are charged to that key (and answered 401).
func (s *Server) take(kid string) (remaining int, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	b := s.buckets[kid]
	if b == nil {
		b = &bucket{}
		s.buckets[kid] = b
	}
	b.prune(now)
	if len(b.times) >= s.opt.RateLimit {
		wait := b.times[0].Add(window).Sub(now)
		secs := int((wait + time.Second - 1) / time.Second)
		return 0, max(secs, 1)
	}
	b.times = append(b.times, now)
	return s.opt.RateLimit - len(b.times), 0
}

// peek is the remaining budget of kid without charging a request.
func (s *Server) peek(kid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[kid]
	if b == nil {
		return s.opt.RateLimit
	}
	b.prune(s.now())
	return max(s.opt.RateLimit-len(b.times), 0)
}

func (s *Server) rateHeader(remaining int) string {
	return fmt.Sprintf("user-hour-lim:%d;user-hour-rem:%d;", s.opt.RateLimit, remaining)
}

package extract

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RateLimit is one parsed X-Rate-Limit header, e.g. "user-hour-lim:3500;user-hour-rem:500;".
// -1 means the value was absent or unreadable.
type RateLimit struct {
	Limit, Remaining int
}

// ParseRateLimit reads Apple's X-Rate-Limit header. It tolerates a missing header, unknown
// pairs, spaces, a missing trailing ';' and garbage (ignored). ok reports whether the
// remaining count was found.
func ParseRateLimit(h string) (rl RateLimit, ok bool) {
	rl = RateLimit{Limit: -1, Remaining: -1}
	for _, pair := range strings.Split(h, ";") {
		k, v, found := strings.Cut(pair, ":")
		if !found {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "user-hour-lim":
			rl.Limit = n
		case "user-hour-rem":
			rl.Remaining = n
		}
	}
	return rl, rl.Remaining >= 0
}

// budgetForget is how long an announced remaining count is trusted without news. Apple's
// window is a rolling hour, so an hour after the last answer the whole budget is back.
const budgetForget = time.Hour

// budget shares Apple's announced hourly budget between all requests of a client.
//
// Before a request is sent, reserve takes a slot: once the remaining count is known,
// remaining − inFlight − reserve must stay above zero, otherwise ErrBudgetExhausted.
// Apple counts requests in the order they arrive, not in the order we sent them, so a
// response to a request that was already in flight when the current count was learned may
// only lower the count; a response to a request sent after it was learned is fresher and
// replaces it (the count rises as the rolling hour frees requests). A response without
// the header just consumes one from the known count.
type budget struct {
	reserve int
	share   int // processes sharing the key (withShare); <= 1: the whole budget
	now     func() time.Time

	mu        sync.Mutex
	limit     int // -1 unknown
	remaining int // -1 unknown
	updated   time.Time
	inFlight  int
	seq       uint64 // sequence of the last request sent
	basis     uint64 // requests sent when remaining was last set: later ones are fresher
	// sent holds when our requests of the last hour got their answers, oldest first. The
	// answer time is never earlier than when Apple counted the request, so a request
	// leaves our window no sooner than it leaves Apple's.
	sent []time.Time
}

// prune forgets our requests older than Apple's rolling hour. Each of them was counted in
// the remaining count, so Apple's budget has grown by one for each.
func (b *budget) prune(now time.Time) {
	i := 0
	for i < len(b.sent) && !b.sent[i].After(now.Add(-time.Hour)) {
		i++
	}
	if i == 0 {
		return
	}
	b.sent = b.sent[i:]
	if b.remaining >= 0 {
		b.remaining += i
		if b.limit >= 0 && b.remaining > b.limit {
			b.remaining = b.limit
		}
	}
}

// exhausted says whether no request fits the known budget, and if so how long until our
// oldest request of the hour leaves Apple's window (0 when we have none to wait for: the
// budget was spent by someone else, and nothing tells when it frees).
func (b *budget) exhausted() (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.prune(now)
	if !b.sliceFull() && (b.remaining < 0 || b.remaining-b.inFlight-b.reserve > 0) {
		return false, 0
	}
	if len(b.sent) == 0 {
		return true, 0
	}
	return true, max(b.sent[0].Add(time.Hour).Sub(now), time.Second)
}

func newBudget(reserve int, now func() time.Time) *budget {
	return &budget{reserve: reserve, now: now, limit: -1, remaining: -1}
}

// withShare makes the budget one of n processes' on the same key: besides Apple's
// remaining count (which every process sees, late), this process keeps to its own slice
// of the hour, (limit − reserve)/n requests of its own in any rolling hour, so that n
// processes together never exceed limit − reserve, whatever order Apple counts them in.
func (b *budget) withShare(n int) *budget {
	b.share = n
	return b
}

// sliceFull reports whether this process has used its slice of the hour (withShare);
// false while the limit is unknown.
func (b *budget) sliceFull() bool {
	if b.share <= 1 || b.limit < 0 {
		return false
	}
	slice := max((b.limit-b.reserve)/b.share, 1)
	return len(b.sent)+b.inFlight >= slice
}

// acquire reserves a slot for one request and returns its sequence number.
func (b *budget) acquire() (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if b.remaining >= 0 && now.Sub(b.updated) >= budgetForget {
		b.remaining, b.limit = -1, -1
	}
	b.prune(now)
	if b.remaining >= 0 && b.remaining-b.inFlight-b.reserve <= 0 {
		return 0, fmt.Errorf("%w: %d remaining this hour, %d in flight, %d reserved",
			ErrBudgetExhausted, b.remaining, b.inFlight, b.reserve)
	}
	if b.sliceFull() {
		return 0, fmt.Errorf("%w: this process's share (1/%d) of the hour's %d requests is used: %d sent, %d in flight",
			ErrBudgetExhausted, b.share, b.limit-b.reserve, len(b.sent), b.inFlight)
	}
	b.inFlight++
	b.seq++
	return b.seq, nil
}

// release ends the reservation of request seq. header is the response's X-Rate-Limit
// value; sent says whether the request may have reached Apple (false when it could not be
// sent at all, true with an empty header for network errors after sending).
func (b *budget) release(seq uint64, header string, sent bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inFlight--
	if sent {
		b.sent = append(b.sent, b.now())
	}
	if rl, ok := ParseRateLimit(header); ok {
		if b.remaining < 0 || seq > b.basis || rl.Remaining < b.remaining {
			b.basis = b.seq
			b.remaining = rl.Remaining
			if rl.Limit >= 0 {
				b.limit = rl.Limit
			}
			b.updated = b.now()
		}
		return
	}
	if sent && b.remaining > 0 {
		b.remaining--
	}
}

// snapshot returns the last known limit and remaining count (-1 unknown).
func (b *budget) snapshot() (limit, remaining int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit, b.remaining
}

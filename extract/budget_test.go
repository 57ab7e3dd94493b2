package extract

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestParseRateLimit(t *testing.T) {
	tests := []struct {
		in       string
		lim, rem int
		ok       bool
	}{
		{"user-hour-lim:3500;user-hour-rem:500;", 3500, 500, true},
		{"user-hour-lim:3600;user-hour-rem:0;", 3600, 0, true},
		{"", -1, -1, false},
		{"user-hour-lim:3500;user-hour-rem:500", 3500, 500, true},         // no trailing ';'
		{" user-hour-lim : 3500 ; user-hour-rem : 12 ; ", 3500, 12, true}, // spaces
		{"User-Hour-Rem:7;", -1, 7, true},                                 // case
		{"user-minute-lim:60;user-hour-lim:3500;foo:bar;user-hour-rem:499;x;", 3500, 499, true},
		{"user-hour-rem:abc;user-hour-lim:3500;", 3500, -1, false},
		{"user-hour-rem:-3;", -1, -1, false},
		{"garbage;;;::;", -1, -1, false},
		{"user-hour-rem:10:20;", -1, -1, false},
		{"user-hour-rem:99999999999999999999;", -1, -1, false},
		{"\x00\xff;user-hour-rem:5", -1, 5, true},
	}
	for _, tt := range tests {
		rl, ok := ParseRateLimit(tt.in)
		if rl.Limit != tt.lim || rl.Remaining != tt.rem || ok != tt.ok {
			t.Errorf("ParseRateLimit(%q) = %+v, %v; want lim %d rem %d ok %v", tt.in, rl, ok, tt.lim, tt.rem, tt.ok)
		}
	}
}

func TestBudget(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	b := newBudget(1, clock.Now)

	// Unknown budget: anything goes.
	s1, err := b.acquire()
	if err != nil {
		t.Fatal(err)
	}
	s2, err := b.acquire()
	if err != nil {
		t.Fatal(err)
	}
	// Responses out of order: the later request's header wins.
	b.release(s2, "user-hour-lim:10;user-hour-rem:3;", true)
	b.release(s1, "user-hour-lim:10;user-hour-rem:4;", true)
	if lim, rem := b.snapshot(); lim != 10 || rem != 3 {
		t.Fatalf("snapshot = %d/%d, want 10/3 (stale header applied)", lim, rem)
	}
	// rem 3, reserve 1: two may be in flight (leaving the reserved one), not three.
	s3, err := b.acquire()
	if err != nil {
		t.Fatalf("first acquire with rem 3: %v", err)
	}
	s3b, err := b.acquire()
	if err != nil {
		t.Fatalf("second acquire with rem 3: %v", err)
	}
	if _, err := b.acquire(); !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("acquire with rem 3, 2 in flight, reserve 1: err = %v, want ErrBudgetExhausted", err)
	}
	b.release(s3b, "user-hour-rem:3;", true)
	// A response without header consumes one from the known count.
	b.release(s3, "", true)
	if _, rem := b.snapshot(); rem != 2 {
		t.Fatalf("rem = %d after a header-less response, want 2", rem)
	}
	// Not sent at all: nothing consumed.
	s4, _ := b.acquire()
	b.release(s4, "", false)
	if _, rem := b.snapshot(); rem != 2 {
		t.Fatalf("rem = %d after an unsent request, want 2", rem)
	}
	s5, _ := b.acquire()
	b.release(s5, "user-hour-rem:1;", true)
	if _, err := b.acquire(); !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("rem 1 reserve 1: err = %v, want ErrBudgetExhausted", err)
	}
	// After an hour without news the rolling window has refilled.
	clock.Add(time.Hour)
	if _, err := b.acquire(); err != nil {
		t.Fatalf("after an hour: %v", err)
	}
	if lim, rem := b.snapshot(); lim != -1 || rem != -1 {
		t.Fatalf("after an hour snapshot = %d/%d, want unknown", lim, rem)
	}
}

// Apple counts requests as they arrive. A response to a request that was in flight when
// the count was learned may only lower it; one sent later may raise it (the hour rolls).
func TestBudgetOutOfOrderResponses(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBudget(0, func() time.Time { return now })
	s1, _ := b.acquire()
	s2, _ := b.acquire()
	b.release(s2, "user-hour-lim:12;user-hour-rem:11;", true) // counted first by Apple
	b.release(s1, "user-hour-lim:12;user-hour-rem:10;", true) // sent first, counted second
	if _, rem := b.snapshot(); rem != 10 {
		t.Fatalf("remaining = %d, want 10: a lower count from an in-flight request was ignored", rem)
	}
	s3, _ := b.acquire()
	b.release(s3, "user-hour-lim:12;user-hour-rem:11;", true) // sent later: the window rolled
	if _, rem := b.snapshot(); rem != 11 {
		t.Fatalf("remaining = %d, want 11 from a fresher response", rem)
	}
}

// Our own requests leave Apple's rolling hour; the budget grows back by one for each.
func TestBudgetRollingHour(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBudget(0, func() time.Time { return now })
	s1, _ := b.acquire()
	b.release(s1, "user-hour-lim:2;user-hour-rem:1;", true)
	now = now.Add(10 * time.Minute)
	s2, _ := b.acquire()
	b.release(s2, "user-hour-lim:2;user-hour-rem:0;", true)
	if full, wait := b.exhausted(); !full || wait != 50*time.Minute {
		t.Fatalf("exhausted = %v, wait %v; want true, 50m", full, wait)
	}
	if _, err := b.acquire(); !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("acquire with no budget: %v", err)
	}
	now = now.Add(50 * time.Minute) // the first request leaves the window
	if full, _ := b.exhausted(); full {
		t.Fatal("budget should have one request again")
	}
	if _, err := b.acquire(); err != nil {
		t.Fatal(err)
	}
}

// One of n processes on a key keeps to its slice of the hour, (limit − reserve)/n of its
// own requests, however much Apple says remains; the slice frees as the hour rolls.
func TestBudgetShare(t *testing.T) {
	for _, tc := range []struct {
		share, reserve, want int
	}{
		{3, 0, 4},  // 12/3
		{3, 3, 3},  // (12-3)/3
		{1, 0, 12}, // the whole budget (remaining decides)
		{20, 0, 1}, // at least one
	} {
		now := time.Unix(0, 0)
		b := newBudget(tc.reserve, func() time.Time { return now }).withShare(tc.share)
		sent := 0
		for sent < 50 {
			s, err := b.acquire()
			if err != nil {
				if !errors.Is(err, ErrBudgetExhausted) {
					t.Fatal(err)
				}
				break
			}
			sent++
			// Apple's count shows no one else: the cap is this process's slice alone.
			b.release(s, fmt.Sprintf("user-hour-lim:12;user-hour-rem:%d;", 12-sent/tc.share), true)
			now = now.Add(time.Minute)
		}
		want := tc.want
		if tc.share == 1 {
			want = 12 - tc.reserve
		}
		if sent != want {
			t.Errorf("share %d reserve %d: %d requests sent, want %d", tc.share, tc.reserve, sent, want)
		}
		if full, wait := b.exhausted(); tc.share > 1 && (!full || wait <= 0) {
			t.Errorf("share %d: exhausted = %v, %v; want a wait for the rolling hour", tc.share, full, wait)
		}
		now = now.Add(time.Hour)
		if _, err := b.acquire(); err != nil {
			t.Errorf("share %d: after the hour rolled: %v", tc.share, err)
		}
	}
}

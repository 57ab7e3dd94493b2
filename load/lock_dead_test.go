package load

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestLockTakenOverFromDeadHolder: on the same host, a lock whose holder's process is gone
// is taken over at once; a live holder, or a holder on another host (or in another PID
// namespace), keeps it until its TTL.
func TestLockTakenOverFromDeadHolder(t *testing.T) {
	me, _ := os.Hostname()
	myNS := pidNamespace()
	tests := []struct {
		name       string
		host, ns   string
		pid        int
		alive      bool
		takenOver  bool
		legacyLock bool // written before host and PID were recorded
	}{
		{"dead, same host", me, myNS, 4242, false, true, false},
		{"alive, same host", me, myNS, 4242, true, false, false},
		{"dead, other host", "elsewhere", myNS, 4242, false, false, false},
		{"dead, other PID namespace", me, "pid:[1]", 4242, false, false, false},
		{"lock without host and PID", "", "", 0, false, false, true},
	}
	for _, be := range lockBackends {
		for _, tt := range tests {
			t.Run(be.name+"/"+tt.name, func(t *testing.T) {
				setLockClock(t, time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
				s := be.contenders(t, 1)[0]
				ctx := context.Background()
				// The holder: another process of this host (or not), as recorded.
				lockSelf = func() (string, int, string) { return tt.host, tt.pid, tt.ns }
				l, err := s.AcquireLock(ctx, "run", "etl run host=x pid=4242", 5*time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				_ = l // never released: the holder was killed
				lockSelf = func() (string, int, string) { return me, os.Getpid(), myNS }
				processAlive = func(pid int) bool { return pid != 4242 || tt.alive }
				t.Cleanup(func() { lockSelf, processAlive = defaultLockSelf, alive })
				l2, err := s.AcquireLock(ctx, "run", "etl run next", 5*time.Minute)
				if !tt.takenOver {
					if !errors.Is(err, ErrLocked) {
						t.Fatalf("want ErrLocked, got %v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("not taken over: %v", err)
				}
				dead, ok := l2.TakenFromDead()
				if !ok || dead.PID != 4242 || dead.Host != me {
					t.Errorf("TakenFromDead = %+v %v", dead, ok)
				}
				if info := l2.Info(); info.PID != os.Getpid() || info.Host != me || info.PIDNS != myNS {
					t.Errorf("the new generation does not record this process: %+v", info)
				}
			})
		}
	}
}

// TestAliveSeesRealProcesses: this process is alive; a child that exited, reaped or not
// (a zombie), is not.
func TestAliveSeesRealProcesses(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc: a zombie cannot be told from a live process here")
	}
	if !alive(os.Getpid()) {
		t.Fatal("this process reads as dead")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start a child:", err)
	}
	pid := cmd.Process.Pid
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) { // exited but not waited for: a zombie
		if time.Now().After(deadline) {
			t.Fatalf("child %d still alive (or a zombie read as alive)", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Wait()
	if alive(pid) {
		t.Errorf("reaped child %d reads as alive", pid)
	}
}

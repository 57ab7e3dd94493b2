//go:build unix

package load

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"
)

// alive reports whether process pid exists and is not a zombie: signal 0 checks that it
// exists (EPERM: it does, under another user), and on Linux /proc/<pid>/stat says whether
// it already exited and only waits to be reaped (state Z or X), as a process killed by a
// parent that has not waited for it yet does.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc (not Linux): signal 0 is all there is
	}
	// pid (comm) state …: comm may hold spaces and parentheses, so read after the last ')'.
	if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
		switch b[i+2] {
		case 'Z', 'X', 'x':
			return false
		}
	}
	return true
}

// pidNamespace identifies the PID namespace of this process (Linux), so that a PID is
// compared only with PIDs of the same namespace (containers on one host).
func pidNamespace() string {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return ns
}

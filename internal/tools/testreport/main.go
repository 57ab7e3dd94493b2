// Command testreport reads `go test -json` output on stdin and prints what a person needs:
// the output of every failed test, every skipped test with its reason, and one summary line
// with the pass, fail and skip counts. It exits 1 when a test or package failed, and also
// when any test was skipped unless -allow-skips is given: the test command starts every
// server the suite needs, so a skip there means a server did not start.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

type result struct {
	pass, fail, skip int
	failed           []string
	skipped          []string
	pkgFail          []string
}

func main() {
	allowSkips := flag.Bool("allow-skips", false, "do not fail when tests were skipped")
	flag.Parse()
	r, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(1)
	}
	os.Exit(r.code(*allowSkips))
}

func (r *result) code(allowSkips bool) int {
	if r.fail > 0 || len(r.pkgFail) > 0 || (r.skip > 0 && !allowSkips) {
		return 1
	}
	return 0
}

// summarize consumes the event stream and writes the report to w.
func summarize(in io.Reader, w io.Writer) (*result, error) {
	out := map[string]*strings.Builder{} // package/test -> output lines
	r := &result{}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			fmt.Fprintln(w, string(line)) // build errors and other plain lines
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			b := out[key]
			if b == nil {
				b = &strings.Builder{}
				out[key] = b
			}
			b.WriteString(e.Output)
		case "pass":
			if e.Test != "" {
				r.pass++
			} else {
				fmt.Fprintf(w, "ok   %s (%.1fs)\n", e.Package, e.Elapsed)
			}
			delete(out, key)
		case "skip":
			if e.Test != "" {
				r.skip++
				r.skipped = append(r.skipped, key+": "+lastLines(out[key], 2))
			}
			delete(out, key)
		case "fail":
			if e.Test != "" {
				r.fail++
				r.failed = append(r.failed, key)
				fmt.Fprintf(w, "--- FAIL %s\n%s", key, text(out[key]))
			} else {
				r.pkgFail = append(r.pkgFail, e.Package)
				fmt.Fprintf(w, "FAIL %s (%.1fs)\n%s", e.Package, e.Elapsed, text(out[key]))
			}
			delete(out, key)
		}
	}
	if err := sc.Err(); err != nil {
		return r, err
	}
	sort.Strings(r.skipped)
	for _, s := range r.skipped {
		fmt.Fprintln(w, "SKIP", s)
	}
	fmt.Fprintf(w, "tests: %d passed, %d failed, %d skipped; packages failed: %d\n", r.pass, r.fail, r.skip, len(r.pkgFail))
	return r, nil
}

func text(b *strings.Builder) string {
	if b == nil {
		return ""
	}
	return b.String()
}

func lastLines(b *strings.Builder, n int) string {
	lines := strings.Split(strings.TrimSpace(text(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " | ")
}

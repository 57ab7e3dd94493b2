package main

import (
	"strings"
	"testing"
)

func TestSummarizeCountsAndExitCode(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"fine\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestB","Output":"    x_test.go:9: no server: connection refused\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestB"}`,
		`{"Action":"output","Package":"p","Test":"TestC","Output":"    x_test.go:3: boom\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestC"}`,
		`{"Action":"fail","Package":"p","Elapsed":1.5}`,
		`# build output that is not json`,
	}, "\n")
	var w strings.Builder
	r, err := summarize(strings.NewReader(in), &w)
	if err != nil {
		t.Fatal(err)
	}
	if r.pass != 1 || r.fail != 1 || r.skip != 1 || len(r.pkgFail) != 1 {
		t.Fatalf("counts %+v", r)
	}
	got := w.String()
	for _, want := range []string{"--- FAIL p TestC", "boom", "SKIP p TestB: x_test.go:9: no server: connection refused",
		"tests: 1 passed, 1 failed, 1 skipped; packages failed: 1", "# build output"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if r.code(true) != 1 {
		t.Error("a failure must exit 1 even with -allow-skips")
	}
	skipOnly := &result{pass: 3, skip: 1}
	if skipOnly.code(false) != 1 || skipOnly.code(true) != 0 {
		t.Error("skips fail unless allowed")
	}
	if (&result{pass: 3}).code(false) != 0 {
		t.Error("all passed must exit 0")
	}
}

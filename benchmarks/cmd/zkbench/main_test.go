package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/benchmarks/harness"
)

func TestCountTiny(t *testing.T) {
	out := t.TempDir()
	if err := newApp().Run([]string{"zkbench", "--configs", "tiny", "--d-model", "16", "--seq", "2", "--out", out}); err != nil {
		t.Fatal(err)
	}
	rs, err := harness.Load(out)
	if err != nil || len(rs) != 2 || rs[0].Name != "tiny" || rs[1].Name != "custom-d16-h1-s2-b1" || rs[1].ConstraintsR1CS <= rs[0].ConstraintsR1CS {
		t.Fatalf("results %v, %v", rs, err)
	}
	if _, err := os.Stat(filepath.Join(out, harness.CSVFile)); err != nil {
		t.Fatal(err)
	}
	// --merge accumulates results from another folder.
	into := t.TempDir()
	if err := newApp().Run([]string{"zkbench", "--configs", "", "--d-model", "8", "--heads", "2", "--seq", "1", "--out", into}); err != nil {
		t.Fatal(err)
	}
	if err := newApp().Run([]string{"zkbench", "--merge", out, "--out", into}); err != nil {
		t.Fatal(err)
	}
	if rs, err := harness.Load(into); err != nil || len(rs) != 3 {
		t.Fatalf("merged %v, %v", rs, err)
	}
	if err := newApp().Run([]string{"zkbench", "--merge", t.TempDir(), "--out", into}); err == nil {
		t.Fatal("merging an empty folder succeeded")
	}
}

func TestBadFlags(t *testing.T) {
	out := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--configs", "tiny,huge"}, `unknown configuration "huge"`},
		{[]string{"--configs", "tiny", "--stages", "all"}, `unknown stage "all"`},
		{[]string{"--configs", "", "--d-model", "30", "--heads", "4"}, "not a multiple of heads"},
		{[]string{"--configs", ""}, "nothing to measure"},
		{[]string{"--configs", "tiny", "extra"}, "unexpected arguments"},
	} {
		err := newApp().Run(append([]string{"zkbench", "--out", out}, tc.args...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

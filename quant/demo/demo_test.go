package demo

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
)

// TestWriteMatchesTestdata pins the generated demo files to the copy in
// testdata/demo that the README's commands and the benchmarks read.
func TestWriteMatchesTestdata(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, Model); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{quant.ExampleWeights, quant.ExampleConfig, quant.ExampleInput, quant.ExampleCalibration} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "demo", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from testdata/demo/%s: regenerate it with go run ./testdata/gen", name, name)
		}
	}
}

func TestTinyValid(t *testing.T) {
	if err := Tiny.Validate(); err != nil {
		t.Fatal(err)
	}
}

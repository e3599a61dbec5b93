package modelio_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
)

func TestSaltsRoundTrip(t *testing.T) {
	s, err := modelio.RandomSalts()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "salts.json")
	v := quant.Visibility{Input: quant.VisibilityPrivate, Output: quant.VisibilityHashed, Weights: quant.VisibilityFixed}
	if err := modelio.WriteSalts(path, s, v); err != nil {
		t.Fatal(err)
	}
	got, in, out, err := modelio.ReadSalts(path)
	if err != nil {
		t.Fatal(err)
	}
	if !in || out || got.Input != s.Input {
		t.Fatalf("read back %v (input %v, output %v)", got, in, out)
	}
}

// Arbitrary bytes are an error or salts, never a panic.
func FuzzReadSalts(f *testing.F) {
	f.Add([]byte(`{"media_type": "application/vnd.zkinfer.salts.v1+json", "input": "0x01"}`))
	f.Add([]byte(`{"media_type": "application/vnd.zkinfer.salts.v1+json", "output": "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "s.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, _, _ = modelio.ReadSalts(path)
	})
}

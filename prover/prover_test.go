package prover_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

func tinyModel(t *testing.T, seed uint64) *quant.Model {
	t.Helper()
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 4, DHidden: 8, SeqLen: 1, Activation: quant.ActivationReLU}
	m, err := quant.Quantize(quant.RandomModel(cfg, seed), quant.Scales{StreamFrac: 4, HiddenFrac: 4})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func compileTiny(t *testing.T, seed uint64) *prover.Circuit {
	t.Helper()
	c, err := prover.Compile(tinyModel(t, seed), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func compilePlonkTiny(t *testing.T, seed uint64) *prover.Circuit {
	t.Helper()
	c, err := prover.Compile(tinyModel(t, seed), nil, prover.WithBackend(prover.BackendPLONK))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestArtifactsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	c := compileTiny(t, 1)
	// Compiling the same model again gives the same circuit digest: an
	// auditor can recompute it.
	if again := compileTiny(t, 1); again.Header.CircuitDigest != c.Header.CircuitDigest {
		t.Fatalf("circuit digest not reproducible: %s vs %s", again.Header.CircuitDigest, c.Header.CircuitDigest)
	}
	cPath := filepath.Join(dir, "c.zkc")
	if err := prover.WriteCircuit(cPath, c); err != nil {
		t.Fatal(err)
	}
	c2, err := prover.ReadCircuit(cPath)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Header.CircuitDigest != c.Header.CircuitDigest || c2.CS.GetNbConstraints() != c.CS.GetNbConstraints() {
		t.Fatal("circuit changed through its file")
	}
	keys, err := prover.SetupDev(c2, nil)
	if err != nil {
		t.Fatal(err)
	}
	pkPath, vkPath := filepath.Join(dir, "pk"), filepath.Join(dir, "vk")
	if err := prover.WriteKeys(pkPath, vkPath, keys); err != nil {
		t.Fatal(err)
	}
	_, pkh, err := prover.ReadProvingKey(pkPath)
	if err != nil {
		t.Fatal(err)
	}
	if pkh.Setup != prover.SetupDevUnsafe || pkh.Warning == "" || pkh.CircuitDigest != c.Header.CircuitDigest {
		t.Fatalf("key header: %+v", pkh)
	}
	if _, _, err := prover.ReadVerifyingKey(vkPath); err != nil {
		t.Fatal(err)
	}
	// Writes are atomic: nothing but the artifacts is left in the directory.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Fatalf("directory holds %d entries", len(entries))
	}

	// Mixing kinds, truncation, altered bytes and foreign files are errors.
	if _, _, err := prover.ReadVerifyingKey(pkPath); !errors.Is(err, prover.ErrUnsupportedVersion) {
		t.Errorf("pk read as vk: %v", err)
	}
	data, _ := os.ReadFile(vkPath)
	for name, bad := range map[string][]byte{
		"truncated":  data[:len(data)-10],
		"altered":    append(append([]byte(nil), data[:len(data)-1]...), data[len(data)-1]^1),
		"no header":  []byte("zkinfer\n"),
		"foreign":    []byte("PK\x03\x04"),
		"bad header": []byte("zkinfer\n{not json}\n"),
		"newer":      []byte("zkinfer\n{\"format\": \"application/vnd.zkinfer.vk.v2\"}\n"),
	} {
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, bad, 0o644)
		if _, _, err := prover.ReadVerifyingKey(p); !errors.Is(err, prover.ErrArtifact) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestWriteFailsCleanly(t *testing.T) {
	c := compileTiny(t, 2)
	// A directory that does not exist: an error, no panic, nothing written.
	if err := prover.WriteCircuit(filepath.Join(t.TempDir(), "missing", "c.zkc"), c); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

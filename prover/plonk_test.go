package prover_test

import (
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kzgbls "github.com/consensys/gnark-crypto/ecc/bls12-381/kzg"
	kzgbn254 "github.com/consensys/gnark-crypto/ecc/bn254/kzg"

	"github.com/zkinfer/zkinfer/prover"
)

func TestPlonkDevAndSRSFile(t *testing.T) {
	dir := t.TempDir()
	c := compilePlonkTiny(t, 5)
	if c.Header.Backend != prover.BackendPLONK {
		t.Fatalf("backend %q", c.Header.Backend)
	}
	cPath := filepath.Join(dir, "c.zkc")
	if err := prover.WriteCircuit(cPath, c); err != nil {
		t.Fatal(err)
	}
	c, err := prover.ReadCircuit(cPath)
	if err != nil {
		t.Fatal(err)
	}
	m, tr := tinyTrace(t, 5)

	dev, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if dev.VKHeader.Setup != prover.SetupDevUnsafe || dev.VKHeader.Backend != prover.BackendPLONK {
		t.Fatalf("dev header: %+v", dev.VKHeader)
	}

	// An SRS file: gnark-crypto's encoding, exactly the size the circuit needs.
	need := prover.SRSSize(c)
	srs, err := kzgbn254.NewSRS(uint64(need), big.NewInt(12345))
	if err != nil {
		t.Fatal(err)
	}
	srsPath := filepath.Join(dir, "srs.bin")
	if err := prover.WriteSRS(srsPath, srs); err != nil {
		t.Fatal(err)
	}
	s, err := prover.ReadSRS(srsPath)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := prover.SetupPLONK(c, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if keys.VKHeader.Setup != prover.SetupKZGSRS || keys.VKHeader.SetupDigest != s.Digest || !strings.HasPrefix(s.Digest, "sha256:") {
		t.Fatalf("srs header: %+v", keys.VKHeader)
	}
	pkPath, vkPath := filepath.Join(dir, "pk"), filepath.Join(dir, "vk")
	if err := prover.WriteKeys(pkPath, vkPath, keys); err != nil {
		t.Fatal(err)
	}
	pk, pkh, err := prover.ReadProvingKey(pkPath)
	if err != nil {
		t.Fatal(err)
	}
	vk, _, err := prover.ReadVerifyingKey(vkPath)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := prover.Prove(c, pk, pkh, m, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := prover.Verify(vk, proof.Proof, proof.Public); err != nil {
		t.Fatalf("PLONK proof rejected: %v", err)
	}
	// The dev keys' verifier does not accept it: another SRS.
	if err := prover.Verify(dev.VK, proof.Proof, proof.Public); err == nil {
		t.Fatal("proof verified under another setup's key")
	}

	t.Run("undersized SRS", func(t *testing.T) {
		small, _ := kzgbn254.NewSRS(uint64(need-1), big.NewInt(7))
		p := filepath.Join(t.TempDir(), "small.bin")
		prover.WriteSRS(p, small)
		s, err := prover.ReadSRS(p)
		if err != nil {
			t.Fatal(err)
		}
		_, err = prover.SetupPLONK(c, s, nil)
		if !errors.Is(err, prover.ErrSRS) || !strings.Contains(err.Error(), "needs") {
			t.Fatalf("undersized SRS: %v", err)
		}
	})

	t.Run("SRS for another curve", func(t *testing.T) {
		bls, _ := kzgbls.NewSRS(uint64(need), big.NewInt(7))
		p := filepath.Join(t.TempDir(), "bls.bin")
		f, _ := os.Create(p)
		bls.WriteTo(f)
		f.Close()
		if _, err := prover.ReadSRS(p); !errors.Is(err, prover.ErrSRS) {
			t.Fatalf("BLS12-381 SRS: %v", err)
		}
	})

	t.Run("damaged SRS", func(t *testing.T) {
		data, _ := os.ReadFile(srsPath)
		for name, bad := range map[string][]byte{
			"truncated":    data[:len(data)/2],
			"huge count":   append([]byte{0xff, 0xff, 0xff, 0xff}, data[4:]...),
			"empty":        nil,
			"trailing":     append(append([]byte(nil), data...), 0),
			"swapped vk g": append(append([]byte(nil), data[:4]...), append(append([]byte(nil), data[36:68]...), data[4:36]...)...),
		} {
			p := filepath.Join(t.TempDir(), "bad.bin")
			os.WriteFile(p, bad, 0o644)
			if _, err := prover.ReadSRS(p); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
	})

	t.Run("mixing backends", func(t *testing.T) {
		g := compileTiny(t, 5)
		gk, err := prover.SetupDev(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := prover.Prove(c, gk.PK, gk.PKHeader, m, tr, nil); !errors.Is(err, prover.ErrBackendMismatch) {
			t.Errorf("groth16 key for a PLONK circuit: %v", err)
		}
		// A key whose header was relabelled is still caught by its type.
		h := gk.PKHeader
		h.Backend, h.CircuitDigest = prover.BackendPLONK, c.Header.CircuitDigest
		if _, err := prover.Prove(c, gk.PK, h, m, tr, nil); !errors.Is(err, prover.ErrBackendMismatch) {
			t.Errorf("relabelled groth16 key: %v", err)
		}
		if err := prover.Verify(gk.VK, proof.Proof, proof.Public); !errors.Is(err, prover.ErrBackendMismatch) {
			t.Errorf("PLONK proof, Groth16 key: %v", err)
		}
		if _, err := prover.SetupPLONK(g, s, nil); !errors.Is(err, prover.ErrBackendMismatch) {
			t.Errorf("SRS setup of a Groth16 circuit: %v", err)
		}
	})
}

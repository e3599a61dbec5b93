package prover_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// ceremony runs a 3-party ceremony for c through files in dir, as the CLI
// does, and returns the paths of the phase 1 and phase 2 contributions.
func ceremony(t *testing.T, dir string, c *prover.Circuit) (p1, p2 []string, srs *prover.MPCSRS) {
	t.Helper()
	contribute := func(start *prover.Contribution, phase string) []string {
		var paths []string
		cur := start
		for i, who := range []string{"alice", "bob", "carol"} {
			next, err := prover.Contribute(cur, who)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, phase+"-"+string(rune('1'+i))+".mpc")
			if err := prover.WriteContribution(path, next); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, path)
			// The next participant starts from the published file.
			if cur, err = prover.ReadContribution(path); err != nil {
				t.Fatal(err)
			}
		}
		return paths
	}
	start, err := prover.NewPhase1(prover.CeremonyDomain(c))
	if err != nil {
		t.Fatal(err)
	}
	p1 = contribute(start, "p1")
	srs, err = prover.SealPhase1(read(t, p1), []byte("beacon 1"))
	if err != nil {
		t.Fatal(err)
	}
	srsPath := filepath.Join(dir, "phase1.srs")
	if err := prover.WriteMPCSRS(srsPath, srs); err != nil {
		t.Fatal(err)
	}
	if srs, err = prover.ReadMPCSRS(srsPath); err != nil {
		t.Fatal(err)
	}
	start2, err := prover.NewPhase2(c, srs)
	if err != nil {
		t.Fatal(err)
	}
	p2 = contribute(start2, "p2")
	return p1, p2, srs
}

func read(t *testing.T, paths []string) []*prover.Contribution {
	t.Helper()
	out := make([]*prover.Contribution, len(paths))
	for i, p := range paths {
		c, err := prover.ReadContribution(p)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = c
	}
	return out
}

func TestCeremonyThreeParties(t *testing.T) {
	dir := t.TempDir()
	c := compileTiny(t, 5)
	p1, p2, srs := ceremony(t, dir, c)
	if err := prover.VerifyPhase1(read(t, p1)); err != nil {
		t.Fatal(err)
	}
	if err := prover.VerifyPhase2(c, srs, read(t, p2)); err != nil {
		t.Fatal(err)
	}
	keys, err := prover.ExtractKeys(c, srs, read(t, p2), []byte("beacon 2"))
	if err != nil {
		t.Fatal(err)
	}
	if keys.VKHeader.Setup != prover.SetupGroth16MPC || keys.VKHeader.SetupDigest == "" || keys.VKHeader.Warning != "" {
		t.Fatalf("key header: %+v", keys.VKHeader)
	}
	// The keys prove and verify.
	m, tr := tinyTrace(t, 5)
	proof, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := prover.Verify(keys.VK, proof.Proof, proof.Public); err != nil {
		t.Fatalf("proof with ceremony keys rejected: %v", err)
	}
	// An auditor recomputes the keys from the transcript.
	if err := prover.AuditCeremony(c, keys.VK, keys.VKHeader, read(t, p1), read(t, p2)); err != nil {
		t.Fatalf("audit: %v", err)
	}
	// Dropping a contribution, reordering, or another circuit's keys fail the audit.
	if err := prover.AuditCeremony(c, keys.VK, keys.VKHeader, read(t, p1[:2]), read(t, p2)); err == nil {
		t.Error("audit passed with phase 1 missing its last contribution")
	}
	if err := prover.AuditCeremony(c, keys.VK, keys.VKHeader, read(t, p1), read(t, []string{p2[0], p2[2], p2[1]})); !errors.Is(err, prover.ErrCeremony) {
		t.Errorf("reordered phase 2: %v", err)
	}

	t.Run("tampered contribution", func(t *testing.T) {
		// A participant publishes a state whose points do not follow from
		// the previous one, with a consistent file digest: the proof of
		// knowledge no longer matches.
		bad := filepath.Join(t.TempDir(), "p2-2.mpc")
		// Swap the first two private-wire points: both stay on the curve.
		rewritePayload(t, p2[1], bad, func(p []byte) {
			off := 2 + 32 + 4
			a := append([]byte(nil), p[off:off+32]...)
			copy(p[off:off+32], p[off+32:off+64])
			copy(p[off+32:off+64], a)
		})
		contribs := read(t, []string{p2[0]})
		k, err := prover.ReadContribution(bad)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		contribs = append(contribs, k, read(t, p2[2:])[0])
		err = prover.VerifyPhase2(c, srs, contribs)
		if !errors.Is(err, prover.ErrCeremony) || !strings.Contains(err.Error(), "contribution 2") {
			t.Fatalf("tampered contribution: %v", err)
		}
	})

	t.Run("tampered phase 1 contribution", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "p1-3.mpc")
		// Swap two G1 powers of τ: each point stays valid, the powers do not.
		rewritePayload(t, p1[2], bad, func(p []byte) {
			off := 3*96 + 8 + 64
			a := append([]byte(nil), p[off:off+32]...)
			copy(p[off:off+32], p[off+32:off+64])
			copy(p[off+32:off+64], a)
		})
		contribs := append(read(t, p1[:2]), read(t, []string{bad})...)
		if err := prover.VerifyPhase1(contribs); !errors.Is(err, prover.ErrCeremony) {
			t.Fatalf("tampered phase 1: %v", err)
		}
	})

	t.Run("flipped byte", func(t *testing.T) {
		data, _ := os.ReadFile(p2[1])
		data[len(data)-40] ^= 1
		bad := filepath.Join(t.TempDir(), "bad.mpc")
		os.WriteFile(bad, data, 0o644)
		if _, err := prover.ReadContribution(bad); !errors.Is(err, prover.ErrCorrupted) {
			t.Fatalf("flipped byte: %v", err)
		}
	})

	t.Run("truncated transcript", func(t *testing.T) {
		data, _ := os.ReadFile(p1[1])
		bad := filepath.Join(t.TempDir(), "short.mpc")
		os.WriteFile(bad, data[:len(data)/2], 0o644)
		if _, err := prover.ReadContribution(bad); !errors.Is(err, prover.ErrCorrupted) {
			t.Fatalf("truncated file: %v", err)
		}
		// A transcript missing its first contribution.
		if err := prover.VerifyPhase1(read(t, p1[1:])); !errors.Is(err, prover.ErrCeremony) {
			t.Fatalf("transcript without contribution 1: %v", err)
		}
	})

	t.Run("another circuit", func(t *testing.T) {
		other := compileTiny(t, 6)
		if err := prover.VerifyPhase2(other, srs, read(t, p2)); !errors.Is(err, prover.ErrCircuitMismatch) {
			t.Fatalf("contributions of another circuit: %v", err)
		}
		// Its keys do not pass the audit of this transcript either.
		if err := prover.AuditCeremony(other, keys.VK, keys.VKHeader, read(t, p1), read(t, p2)); !errors.Is(err, prover.ErrCircuitMismatch) {
			t.Fatalf("audit against another circuit: %v", err)
		}
	})

	t.Run("plonk circuit", func(t *testing.T) {
		pc := compilePlonkTiny(t, 5)
		if _, err := prover.NewPhase2(pc, srs); !errors.Is(err, prover.ErrBackendMismatch) {
			t.Fatalf("phase 2 for a PLONK circuit: %v", err)
		}
	})
}

// rewritePayload copies an artifact, changes its payload and fixes the
// header's digest, as a dishonest participant could.
func rewritePayload(t *testing.T, src, dst string, change func([]byte)) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(data), "\n", 3)
	var h map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &h); err != nil {
		t.Fatal(err)
	}
	payload := []byte(lines[2])
	change(payload)
	sum := sha256.Sum256(payload)
	h["payload_sha256"] = hex.EncodeToString(sum[:])
	hdr, _ := json.Marshal(h)
	if err := os.WriteFile(dst, []byte(lines[0]+"\n"+string(hdr)+"\n"+string(payload)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func tinyTrace(t *testing.T, seed uint64) (*quant.Model, *quant.Trace) {
	t.Helper()
	m := tinyModel(t, seed)
	xq, err := m.QuantizeInput(quant.RandomSamples(m.Config, 1, seed)[0])
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward(xq)
	if err != nil {
		t.Fatal(err)
	}
	return m, tr
}

func TestPhase1Bounds(t *testing.T) {
	for _, n := range []uint64{0, 1, 3, prover.MaxCeremonyDomain * 2} {
		if _, err := prover.NewPhase1(n); err == nil {
			t.Errorf("domain %d accepted", n)
		}
	}
}

// A phase 1 larger than the circuit needs serves it too: phase 1 is shared
// between circuits up to its size.
func TestCeremonyLargerPhase1(t *testing.T) {
	c := compileTiny(t, 8)
	p1, err := prover.NewPhase1(2 * prover.CeremonyDomain(c))
	if err != nil {
		t.Fatal(err)
	}
	if p1, err = prover.Contribute(p1, "solo"); err != nil {
		t.Fatal(err)
	}
	srs, err := prover.SealPhase1([]*prover.Contribution{p1}, []byte{9})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := prover.NewPhase2(c, srs)
	if err != nil {
		t.Fatal(err)
	}
	if p2, err = prover.Contribute(p2, "solo"); err != nil {
		t.Fatal(err)
	}
	keys, err := prover.ExtractKeys(c, srs, []*prover.Contribution{p2}, []byte{10})
	if err != nil {
		t.Fatal(err)
	}
	m, tr := tinyTrace(t, 8)
	proof, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := prover.Verify(keys.VK, proof.Proof, proof.Public); err != nil {
		t.Fatalf("proof with keys from a larger phase 1 rejected: %v", err)
	}
	// A phase 1 too small for the circuit is refused.
	small, _ := prover.NewPhase1(prover.CeremonyDomain(c) / 2)
	small, _ = prover.Contribute(small, "solo")
	ssrs, err := prover.SealPhase1([]*prover.Contribution{small}, []byte{9})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prover.NewPhase2(c, ssrs); !errors.Is(err, prover.ErrCeremony) {
		t.Fatalf("phase 1 too small: %v", err)
	}
}

package verifier_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
	"github.com/zkinfer/zkinfer/verifier"
)

// Adversarial tests of committed weights (attack review 2): what a host who
// publishes keys and basis files can and cannot make a verifier accept.

// writeBasisFile writes points in the basis file format (magic, count,
// compressed points) and returns the header entry naming it.
func writeBasisFile(t *testing.T, path string, count uint64, pts []curve.G1Affine) *prover.WeightsBasis {
	t.Helper()
	data := []byte("zkinfer.weights-basis.v1\n")
	data = binary.BigEndian.AppendUint64(data, count)
	for i := range pts {
		c := pts[i].Bytes()
		data = append(data, c[:]...)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return &prover.WeightsBasis{Weights: len(pts), Digest: "sha256:" + hex.EncodeToString(sum[:])}
}

// proveHeader proves m with f's keys on a fixed random input and bundles
// it with vkh as the verifying key's header (a host's own, possibly forged).
func proveHeader(t *testing.T, f *committedFixture, m *quant.Model, vkh prover.Header) *verifier.Bundle {
	t.Helper()
	xq, err := m.QuantizeInput(graphtest.Tensor(rand.New(rand.NewPCG(9, 9)), 1, quant.ShapeSize(m.InputShape())).Data)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward(xq)
	if err != nil {
		t.Fatal(err)
	}
	p, err := prover.Prove(f.c, f.keys.PK, f.keys.PKHeader, m, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := verifier.NewBundle(m, f.c, f.keys.VK, vkh, p, tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tinyCommitted is one dense layer (4 → 3, one token): the smallest
// committed-weights circuit, for a ceremony.
func tinyCommitted(t testing.TB, seed uint64) *quant.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	return graphtest.Chain(t, rng, []int{1, 4},
		graphtest.Node{Name: "fc", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 4, 3), graphtest.Tensor(rng, 0.1, 3), false), In: []string{"x"}})
}

// ceremonyKeys runs a one-party ceremony (both phases) for c.
// The transcript comes back as a function: the audit consumes contributions.
func ceremonyKeys(t *testing.T, c *prover.Circuit) (keys *prover.Keys, transcript func() (p1, p2 []*prover.Contribution)) {
	t.Helper()
	start, err := prover.NewPhase1(prover.CeremonyDomain(c))
	if err != nil {
		t.Fatal(err)
	}
	c1, err := prover.Contribute(start, "alice")
	if err != nil {
		t.Fatal(err)
	}
	// Contributions are consumed by sealing: keep copies through files.
	dir := t.TempDir()
	save := func(name string, k *prover.Contribution) func() *prover.Contribution {
		path := filepath.Join(dir, name)
		if err := prover.WriteContribution(path, k); err != nil {
			t.Fatal(err)
		}
		return func() *prover.Contribution {
			r, err := prover.ReadContribution(path)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	r1 := save("p1.mpc", c1)
	srs, err := prover.SealPhase1([]*prover.Contribution{r1()}, []byte("beacon 1"))
	if err != nil {
		t.Fatal(err)
	}
	start2, err := prover.NewPhase2(c, srs)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := prover.Contribute(start2, "bob")
	if err != nil {
		t.Fatal(err)
	}
	r2 := save("p2.mpc", c2)
	if keys, err = prover.ExtractKeys(c, srs, []*prover.Contribution{r2()}, []byte("beacon 2")); err != nil {
		t.Fatal(err)
	}
	return keys, func() (p1, p2 []*prover.Contribution) {
		return []*prover.Contribution{r1()}, []*prover.Contribution{r2()}
	}
}

// A ceremony coordinator who publishes the audited verifying key with a
// forged weights basis in its header. The verifying key cannot check the
// basis (its points are the proving key's), so without the audit checking
// the header the forgery works with no trapdoor at all: for the published
// model m and other weights o (same circuit), the coordinator changes one
// basis point so that Σ m_j·B'_j = Σ o_j·B_j, proves o with the real key,
// and every auditor computes, from m and the forged basis, the model
// commitment of o's proof. AuditCeremony must refuse the forged header.
// (Before the fix, the audit compared only the gnark key bytes: it passed.)
func TestCommittedAttackCeremonyForgedBasis(t *testing.T) {
	m := tinyCommitted(t, 3)
	c, err := prover.Compile(m, nil, prover.WithVisibility(committedVis))
	if err != nil {
		t.Fatal(err)
	}
	keys, transcript := ceremonyKeys(t, c)
	audit := func(vkh prover.Header) error {
		p1, p2 := transcript()
		return prover.AuditCeremony(c, keys.VK, vkh, p1, p2)
	}
	dir := t.TempDir()
	f := &committedFixture{m: m, c: c, keys: keys, basis: filepath.Join(dir, "vk.basis")}
	if err := prover.WriteWeightsBasis(f.basis, c.CS, keys.PK); err != nil {
		t.Fatal(err)
	}
	if err := audit(keys.VKHeader); err != nil {
		t.Fatalf("honest audit: %v", err)
	}

	// The other model: one weight moved (i), still int8.
	o := otherCommitted(t, m)
	wm, err := graph.WeightValues(m)
	if err != nil {
		t.Fatal(err)
	}
	wo, err := graph.WeightValues(o)
	if err != nil {
		t.Fatal(err)
	}
	i := -1
	for j := range wm {
		if wm[j] != wo[j] {
			i = j
		}
	}
	k := -1
	for j := range wm {
		if j != i && wm[j] != 0 {
			k = j
			break
		}
	}
	if i < 0 || k < 0 {
		t.Fatal("no differing weight or no nonzero weight")
	}
	b, err := prover.ReadWeightsBasis(f.basis, keys.VKHeader.WeightsBasis)
	if err != nil {
		t.Fatal(err)
	}
	// B'_k = B_k + ((o_i − m_i)/m_k)·B_i: Σ m_j·B'_j = Σ m_j·B_j + (o_i − m_i)·B_i = Σ o_j·B_j.
	var s, inv fr.Element
	s.SetInt64(wo[i] - wm[i])
	inv.SetInt64(wm[k])
	inv.Inverse(&inv)
	s.Mul(&s, &inv)
	var sb big.Int
	var shift curve.G1Affine
	shift.ScalarMultiplication(&b[i], s.BigInt(&sb))
	forged := append([]curve.G1Affine(nil), b...)
	forged[k].Add(&forged[k], &shift)
	forgedPath := filepath.Join(dir, "forged.basis")
	wb := writeBasisFile(t, forgedPath, uint64(len(forged)), forged)
	vkh := keys.VKHeader
	vkh.WeightsBasis = wb

	// The forgery's effect on a verifier who trusts the header: the model
	// commitment of m over the forged basis is o's proof's.
	ob := proveHeader(t, f, o, vkh)
	fb, err := prover.ReadWeightsBasis(forgedPath, vkh.WeightsBasis)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := prover.CommittedCommitment(m, fb)
	if err != nil {
		t.Fatal(err)
	}
	if reg != ob.ModelCommitment {
		t.Fatalf("forgery arithmetic: %s, o's proof %s", reg, ob.ModelCommitment)
	}
	forgedBundle := *ob
	a, err := verifier.PinKey(verifier.AnchorVKFile, "vk.key", keys.VK, vkh)
	if err != nil {
		t.Fatal(err)
	}
	a.Commitment = reg
	if _, err := verifier.Verify(&forgedBundle, a); err != nil {
		t.Fatalf("the forged header's bundle (trust assumption demo): %v", err)
	}
	if err := verifier.CheckModelBasis(&forgedBundle, a, m, forgedPath, nil); err != nil {
		t.Fatalf("CheckModelBasis with the forged basis (trust assumption demo): %v", err)
	}

	// The audit is what stops it.
	if err := audit(vkh); !errors.Is(err, prover.ErrCeremony) {
		t.Fatalf("audit of a key header with a forged weights basis: %v, want ErrCeremony", err)
	}
	// So is any other relabelled layout field of the header.
	relabel := keys.VKHeader
	vis := *relabel.Visibility
	vis.Output = quant.VisibilityPublic
	relabel.Visibility = &vis
	if err := audit(relabel); !errors.Is(err, prover.ErrCeremony) {
		t.Fatalf("audit of a key header with a relabelled visibility: %v, want ErrCeremony", err)
	}
}

// A basis file that is not the pinned key's: another setup's basis of the
// same circuit (its own digest), a truncated or extended file, a file with
// the pinned digest but under another key's header: all refused.
func TestCommittedAttackBasisSwap(t *testing.T) {
	m := tinyCommitted(t, 5)
	c, err := prover.Compile(m, nil, prover.WithVisibility(committedVis))
	if err != nil {
		t.Fatal(err)
	}
	k1, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := prover.SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b1, b2 := filepath.Join(dir, "1.basis"), filepath.Join(dir, "2.basis")
	if err := prover.WriteWeightsBasis(b1, c.CS, k1.PK); err != nil {
		t.Fatal(err)
	}
	if err := prover.WriteWeightsBasis(b2, c.CS, k2.PK); err != nil {
		t.Fatal(err)
	}
	if *k1.VKHeader.WeightsBasis == *k2.VKHeader.WeightsBasis {
		t.Fatal("two setups, one basis")
	}
	if _, err := prover.ReadWeightsBasis(b2, k1.VKHeader.WeightsBasis); !errors.Is(err, prover.ErrCircuitMismatch) {
		t.Fatalf("another key's basis: %v, want ErrCircuitMismatch", err)
	}
	f := &committedFixture{m: m, c: c, keys: k1, basis: b1}
	bundle := proveHeader(t, f, m, k1.VKHeader)
	a1, err := verifier.PinKey(verifier.AnchorVKFile, "1.key", k1.VK, k1.VKHeader)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifier.CheckModelBasis(bundle, a1, m, b1, nil); err != nil {
		t.Fatalf("honest: %v", err)
	}
	if err := verifier.CheckModelBasis(bundle, a1, m, b2, nil); err == nil {
		t.Fatal("CheckModelBasis with another key's basis file")
	}
	// Key 1's bundle against key 2 pinned (with key 2's basis, which
	// matches its header): not the pinned key.
	a2, err := verifier.PinKey(verifier.AnchorVKFile, "2.key", k2.VK, k2.VKHeader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(bundle, a2); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("key 1's bundle pinned to key 2: %v, want ErrKeyMismatch", err)
	}
	// Key 1's bundle relabelled with key 2's basis header: the layout is
	// in the digest.
	rb := *bundle
	rb.WeightsBasis = k2.VKHeader.WeightsBasis
	if _, err := verifier.Verify(&rb, a1); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("bundle relabelled with another basis header: %v, want ErrKeyMismatch", err)
	}
	// What a registrant registers: the model's commitment over the key's
	// basis, for a model of the key's architecture only. A model with as
	// many parameters but another architecture (a requantization shift
	// moved) would get a commitment that proofs of its numbers in the key's
	// architecture (another model) prove.
	if reg, err := prover.CommittedCommitmentFor(k1.VKHeader, m, b1); err != nil || reg != bundle.ModelCommitment {
		t.Fatalf("registrant's commitment %s (%v), the proof's %s", reg, err, bundle.ModelCommitment)
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	arch, err := quant.ParseModelJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	arch.Graph.Nodes[0].Op.(*ops.QLinear).Shift++
	if _, err := prover.CommittedCommitmentFor(k1.VKHeader, arch, b1); !errors.Is(err, prover.ErrCircuitMismatch) {
		t.Fatalf("registrant's commitment of another architecture: %v, want ErrCircuitMismatch", err)
	}
	if _, err := prover.CommittedCommitmentFor(k1.PKHeader, m, b1); err != nil {
		t.Fatalf("from the proving key's header: %v", err)
	}

	// Truncated and extended basis files.
	data, err = os.ReadFile(b1)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string][]byte{
		"truncated": data[:len(data)-1],
		"extended":  append(append([]byte(nil), data...), 0),
		"empty":     nil,
	} {
		p := filepath.Join(dir, name+".basis")
		if err := os.WriteFile(p, d, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := prover.ReadWeightsBasis(p, k1.VKHeader.WeightsBasis); err == nil {
			t.Errorf("%s basis file read", name)
		}
	}
}

// Hostile basis files and header entries (a host publishes both, the
// header inside a key the verifier pins): malformed counts (negative, zero,
// overflowing the file size), zero or repeated points, points off the
// curve. Each is a clear error: no panic, no allocation from the count
// before the file size is checked. (Before the fix, a header with
// Weights = −1 and a one-byte file panicked on slicing, and Weights = 2^59
// overflowed the size check into a makeslice panic.)
func TestCommittedAttackHostileBasis(t *testing.T) {
	dir := t.TempDir()
	var g curve.G1Affine
	_, _, g, _ = curve.Generators()
	var g2, g3 curve.G1Affine
	g2.Double(&g)
	g3.Add(&g2, &g)
	path := filepath.Join(dir, "b.basis")
	read := func(name string, want *prover.WeightsBasis) {
		t.Helper()
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s: panic: %v", name, r)
			}
		}()
		if _, err := prover.ReadWeightsBasis(path, want); err == nil {
			t.Errorf("%s: read", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	// Well-formed reference: three distinct points read.
	ok := writeBasisFile(t, path, 3, []curve.G1Affine{g, g2, g3})
	if _, err := prover.ReadWeightsBasis(path, ok); err != nil {
		t.Fatalf("well-formed basis: %v", err)
	}
	read("nil header", nil)

	// A header whose digest matches a one-byte file, count −1 (size 1).
	if err := os.WriteFile(path, []byte{'z'}, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte{'z'})
	read("negative count", &prover.WeightsBasis{Weights: -1, Digest: "sha256:" + hex.EncodeToString(sum[:])})
	// A header whose count overflows the expected size to 33 bytes: the
	// magic and the count alone.
	huge := uint64(1) << 59
	wb := writeBasisFile(t, path, huge, nil)
	wb.Weights = int(huge)
	read("overflowing count", wb)
	wb.Weights = 0
	read("zero count", wb)
	wb = writeBasisFile(t, path, 3, []curve.G1Affine{g, g2, g3})
	wb.Commitment = -1
	read("negative commitment index", wb)
	wb.Commitment = 1 << 40
	read("huge commitment index", wb)

	var zero curve.G1Affine
	read("zero point", writeBasisFile(t, path, 3, []curve.G1Affine{g, zero, g3}))
	read("repeated point", writeBasisFile(t, path, 3, []curve.G1Affine{g, g2, g}))
	read("count field not the header's", func() *prover.WeightsBasis {
		w := writeBasisFile(t, path, 4, []curve.G1Affine{g, g2, g3})
		return w
	}())
	// A point off the curve (its x has no square root or is not canonical).
	w := writeBasisFile(t, path, 3, []curve.G1Affine{g, g2, g3})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The smallest x with x³ + 3 a non-residue, flagged compressed.
	var x, y fp.Element
	for x.SetOne(); ; x.Add(&x, new(fp.Element).SetOne()) {
		y.Square(&x).Mul(&y, &x).Add(&y, new(fp.Element).SetUint64(3))
		if y.Legendre() == -1 {
			break
		}
	}
	xb := x.Bytes()
	xb[0] |= 0b10 << 6
	copy(data[len(data)-32:], xb[:])
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum = sha256.Sum256(data)
	w.Digest = "sha256:" + hex.EncodeToString(sum[:])
	read("point off the curve", w)
	// A digest that is not the file's.
	w = writeBasisFile(t, path, 3, []curve.G1Affine{g, g2, g3})
	w.Digest = "sha256:00"
	read("wrong digest", w)
}

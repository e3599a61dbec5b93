package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/kzg"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/plonk"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/logger"
	"github.com/consensys/gnark/test/unsafekzg"

	"github.com/zkinfer/zkinfer/circuits"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
)

func init() {
	// gnark logs every compile and proof to stdout; the CLI reports progress itself.
	logger.Disable()
}

// CurveBN254 is the only curve: the EVM has pairing precompiles for it alone.
const CurveBN254 = "bn254"

// DevSetupWarning is printed and recorded wherever dev keys appear.
const DevSetupWarning = "UNSAFE: single-party dev setup; the machine that ran it knows the toxic waste and can forge proofs. Do not use in production."

// Circuit is a compiled constraint system with its header.
type Circuit struct {
	CS     constraint.ConstraintSystem
	Header Header
}

// CompileOption configures Compile.
type CompileOption func(*compileConfig)

type compileConfig struct {
	backend        string
	visibility     quant.Visibility
	settingsDigest string
	rangeChecks    string
}

// Range-check strategies of a circuit (WithRangeChecks).
const (
	// RangeChecksLookup uses gnark's std/rangecheck: few constraints, one
	// BSB22 commitment in the proof (~123 k gas to verify under Groth16).
	RangeChecksLookup = "lookup"
	// RangeChecksBits decomposes values into bits: ~3× the constraints of
	// an ffn block, no commitment. Circuits with lookup tables (gpt2) keep a
	// commitment anyway, so it only pays off for ffn models verified on chain.
	RangeChecksBits = "bits"
)

// WithRangeChecks chooses the range-check strategy (RangeChecksLookup, the
// default, or RangeChecksBits); it is recorded in the circuit header and the
// bundle, so an auditor recompiles the same circuit.
func WithRangeChecks(kind string) CompileOption {
	return func(c *compileConfig) { c.rangeChecks = kind }
}

// WithSettingsDigest records the digest of the settings file the model came
// from in the circuit header, and so in keys and bundles.
func WithSettingsDigest(d string) CompileOption {
	return func(c *compileConfig) { c.settingsDigest = d }
}

// WithVisibility chooses how the circuit exposes the model input and output
// (modelio); the default is quant.DefaultVisibility. The choice is recorded
// in the circuit header and the keys'.
func WithVisibility(v quant.Visibility) CompileOption {
	return func(c *compileConfig) { c.visibility = v }
}

// WithBackend chooses the proving system the circuit is compiled for:
// BackendGroth16 (R1CS, the default) or BackendPLONK (SCS).
func WithBackend(name string) CompileOption {
	return func(c *compileConfig) { c.backend = name }
}

// Compile builds and compiles the circuit of m, to R1CS for Groth16 (the
// default) or to SCS for PLONK (WithBackend).
func Compile(m *quant.Model, p Progress, opts ...CompileOption) (*Circuit, error) {
	cfg := compileConfig{backend: DefaultBackend, visibility: quant.DefaultVisibility}
	for _, o := range opts {
		o(&cfg)
	}
	if err := CheckBackend(cfg.backend); err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	var builder frontend.NewBuilder = r1cs.NewBuilder
	if cfg.backend == BackendPLONK {
		builder = scs.NewBuilder
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	// Per-part visibility in its canonical form, the one the header records.
	vis, err := cfg.visibility.Resolve(m.InputParts(), m.OutputParts())
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	cfg.visibility = vis
	modelDigest, err := m.Digest()
	if err != nil {
		return nil, err
	}
	commitment, err := quant.CommitString(m)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	var fpOpts []fixedpoint.Option
	switch cfg.rangeChecks {
	case "", RangeChecksLookup:
		cfg.rangeChecks = ""
	case RangeChecksBits:
		fpOpts = append(fpOpts, fixedpoint.WithBitDecomposition())
	default:
		return nil, fmt.Errorf("compile: range checks %q: want %q or %q", cfg.rangeChecks, RangeChecksLookup, RangeChecksBits)
	}
	if cin, cout := cfg.visibility.CommittedIO(); (cin || cout) && cfg.backend != BackendGroth16 {
		// As for committed weights: PLONK's BSB22 commitments are
		// blinded inside its prover (committedio.go).
		return nil, fmt.Errorf("compile: %w: %s input or output needs the %s backend (its BSB22 commitment): gnark's %s prover blinds its commitments with randomness it does not expose, so they cannot name the values; use hashed with %s", quant.ErrValidation, quant.VisibilityCommitted, BackendGroth16, cfg.backend, cfg.backend)
	}
	if cfg.visibility.Weights == quant.VisibilityCommitted && cfg.backend != BackendGroth16 {
		// gnark's PLONK prover blinds every BSB22 commitment with two
		// random evaluations drawn inside the prover (not a hint, so not
		// overridable), which makes the commitment a random point rather
		// than a function of the weights: nothing a registry could name.
		// See "PLONK" in committed.go.
		return nil, fmt.Errorf("compile: %w: %s weights need the %s backend (its BSB22 commitment): gnark's %s prover blinds its commitments with randomness it does not expose, so they cannot name the weights; use hashed weights with %s", quant.ErrValidation, quant.VisibilityCommitted, BackendGroth16, cfg.backend, cfg.backend)
	}
	circuit, err := circuits.New(m, cfg.visibility, fpOpts...)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	var arch string
	if cfg.visibility.Weights != quant.VisibilityFixed {
		if arch, err = quant.ArchitectureDigest(m); err != nil {
			return nil, fmt.Errorf("compile: %w", err)
		}
	}
	done := orSilent(p).Start("compiling circuit (" + cfg.backend + ")")
	restoreGC := tuneGCForCompile()
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), builder, circuit)
	restoreGC()
	done()
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	detachLookupBlueprints(cs)
	releaseCompileGarbage()
	digest, err := digestOf(streamedSystem{cs})
	if err != nil {
		return nil, err
	}
	return &Circuit{CS: cs, Header: Header{
		Format:         FormatCircuit,
		Backend:        cfg.backend,
		Curve:          CurveBN254,
		CircuitDigest:  digest,
		ModelDigest:    modelDigest,
		Commitment:     commitment,
		Architecture:   arch,
		Visibility:     &cfg.visibility,
		Input:          SpecOf(m.InputParts(), rowsShape(m.InputShape()), m.InputFrac()),
		Output:         SpecOf(m.OutputParts(), rowsShape(m.OutputShape()), m.OutputFrac()),
		SettingsDigest: cfg.settingsDigest,
		RangeChecks:    cfg.rangeChecks,
		Constraints:    cs.GetNbConstraints(),
		Tool:           ToolVersion,
		Gnark:          GnarkVersion(),
		Created:        time.Now().UTC(),
	}}, nil
}

// CheckModel checks that m proves with the circuit of header h: with fixed
// weights m must be the model the circuit was compiled from; with hashed or
// public weights it must have the circuit's architecture digest
// (quant.ArchitectureDigest), whatever its weights.
func CheckModel(h Header, m *quant.Model) error {
	if h.IO().Weights == quant.VisibilityFixed || h.IO().Weights == "" {
		d, err := m.Digest()
		if err != nil {
			return err
		}
		if h.ModelDigest != "" && d != h.ModelDigest {
			return fmt.Errorf("%w: circuit was compiled from model %s, not %s", ErrCircuitMismatch, h.ModelDigest, d)
		}
		return nil
	}
	a, err := quant.ArchitectureDigest(m)
	if err != nil {
		return err
	}
	if a != h.Architecture {
		return fmt.Errorf("%w: circuit is for architecture %s, the model's is %s (same settings and requantization shifts needed)", ErrCircuitMismatch, h.Architecture, a)
	}
	return nil
}

// detachLookupBlueprints replaces the lookup-table blueprints of a freshly
// compiled system by copies of what they serialize (their entries).
//
// gnark's std/lookup/logderivlookup embeds each table's blueprint in the
// table and registers a pointer to that field in the constraint system;
// the table also holds the builder, so the compiled system kept the whole
// frontend alive: 0.88 GB per million constraints instead of 0.41
// (benchmarks/NOTES.md, 2026-11-30). The copy is what decoding the circuit
// file gives (the rest of the blueprint only serves compilation), so the
// encoding, the digest and proving are unchanged.
func detachLookupBlueprints(ccs constraint.ConstraintSystem) {
	sys, ok := ccs.(*cs.R1CS) // R1CS and SparseR1CS are one type in gnark
	if !ok {
		return
	}
	for i, bp := range sys.Blueprints {
		if lh, ok := bp.(*constraint.BlueprintLookupHint[constraint.U64]); ok {
			sys.Blueprints[i] = &constraint.BlueprintLookupHint[constraint.U64]{EntriesCalldata: slices.Clone(lh.EntriesCalldata)}
		}
	}
}

func digestOf(w io.WriterTo) (string, error) {
	h := sha256.New()
	if _, err := w.WriteTo(h); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// WriteCircuit writes a compiled circuit atomically.
func WriteCircuit(path string, c *Circuit) error {
	return writeArtifact(path, c.Header, streamedSystem{c.CS})
}

// ReadCircuit reads a compiled circuit.
func ReadCircuit(path string) (*Circuit, error) {
	h, payload, err := readArtifact(path, FormatCircuit)
	if err != nil {
		return nil, err
	}
	if h.Curve != CurveBN254 {
		return nil, fmt.Errorf("%s: %w: curve %q (supported: %s)", path, ErrUnsupportedVersion, h.Curve, CurveBN254)
	}
	// Circuits from before model commitments lack the commitment's public
	// input: proofs of them would not be what bundles describe.
	if h.Visibility == nil || h.Commitment == "" {
		return nil, fmt.Errorf("%s: %w: circuit without visibility and model commitment (compiled by an older zkinfer); compile it again", path, ErrUnsupportedVersion)
	}
	cs, err := newCS(h.Backend)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := Decode(cs, payload); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Circuit{CS: cs, Header: h}, nil
}

// Decode runs a gnark decoder on untrusted bytes. gnark's decoders are not
// hardened against hostile input: BN254 verifying keys and proofs of either
// backend are first walked (checkEncoding) so that no declared length makes
// gnark allocate beyond the payload or our limits, and a panic becomes an
// error. Every error wraps ErrCorrupted.
func Decode(r io.ReaderFrom, payload []byte) (err error) {
	if err := checkEncoding(r, payload); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupted, p)
		}
	}()
	n, err := r.ReadFrom(bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupted, err)
	}
	// The walker and gnark must agree on where the encoding ends.
	if checkedType(r) && n != int64(len(payload)) {
		return fmt.Errorf("%w: decoded %d of %d bytes", ErrCorrupted, n, len(payload))
	}
	return nil
}

// Keys are a key pair of either backend with their headers. The headers
// record how the keys were made (Setup, SetupDigest).
type Keys struct {
	PK       ProvingKey
	VK       VerifyingKey
	PKHeader Header
	VKHeader Header
}

// SetupDev runs an UNSAFE single-party setup for c (see DevSetupWarning):
// Groth16's setup, or for PLONK an SRS whose secret this process picked
// (gnark's unsafekzg).
func SetupDev(c *Circuit, p Progress) (*Keys, error) {
	done := orSilent(p).Start("setup (dev, unsafe)")
	defer done()
	var (
		pk  ProvingKey
		vk  VerifyingKey
		err error
	)
	switch c.Header.Backend {
	case BackendGroth16:
		// gnark's groth16.Setup with faster fixed-base multiplications
		// (groth16setup.go): the same keys, several times sooner.
		r1cs, ok := c.CS.(*cs.R1CS)
		if !ok {
			return nil, fmt.Errorf("setup: %w: a Groth16 circuit that is not a BN254 R1CS (%T)", ErrCorrupted, c.CS)
		}
		pk, vk, err = setupGroth16(r1cs)
	case BackendPLONK:
		var srs, lagrange kzg.SRS
		if srs, lagrange, err = unsafekzg.NewSRS(c.CS); err == nil {
			pk, vk, err = plonk.Setup(c.CS, srs, lagrange)
		}
	default:
		err = CheckBackend(c.Header.Backend)
	}
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	return newKeys(c, pk, vk, SetupDevUnsafe, "", DevSetupWarning)
}

// newKeys labels a key pair of circuit c with how it was made, and the
// proving key with the digest of its verifying key (CheckKeyPair).
func newKeys(c *Circuit, pk ProvingKey, vk VerifyingKey, setup, digest, warning string) (*Keys, error) {
	h := c.Header
	h.Setup, h.SetupDigest, h.Warning, h.Created = setup, digest, warning, time.Now().UTC()
	h.Tool, h.Gnark = ToolVersion, GnarkVersion()
	h.Ceremony, h.VKDigest = nil, ""
	if h.IO().Weights == quant.VisibilityCommitted {
		wb, err := WeightsBasisOf(c.CS, pk)
		if err != nil {
			return nil, fmt.Errorf("setup: %w", err)
		}
		h.WeightsBasis = wb
	}
	cin, cout := h.IO().CommittedIO()
	for _, s := range []struct {
		side string
		on   bool
		dst  **IOBasis
	}{{SideInput, cin, &h.InputBasis}, {SideOutput, cout, &h.OutputBasis}} {
		if !s.on {
			continue
		}
		b, err := IOBasisOf(c.CS, h.IO(), pk, s.side)
		if err != nil {
			return nil, fmt.Errorf("setup: %w", err)
		}
		*s.dst = b
	}
	pkh, vkh := h, h
	pkh.Format, vkh.Format = FormatProvingKey, FormatVerifyingKey
	d, err := VerifyingKeyDigest(vk, vkh.Layout())
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	pkh.VKDigest = d
	return &Keys{PK: pk, VK: vk, PKHeader: pkh, VKHeader: vkh}, nil
}

// WriteKeys writes the proving and verifying keys atomically, as far as two
// files can be: both are written in full to temporary files beside their
// targets before either is renamed into place, so an interruption leaves
// the old pair, or at worst (between the two renames) the new proving key
// beside the old verifying key, which CheckKeyPair refuses.
func WriteKeys(pkPath, vkPath string, k *Keys) error {
	if k.PKHeader.VKDigest == "" {
		return fmt.Errorf("%s: proving key header does not name its verifying key", pkPath)
	}
	pk, err := pendingArtifact(pkPath, k.PKHeader, rawPK{k.PK})
	if err != nil {
		return err
	}
	defer pk.Cleanup()
	vk, err := pendingArtifact(vkPath, k.VKHeader, k.VK)
	if err != nil {
		return err
	}
	defer vk.Cleanup()
	if err := pk.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("%s: %w", pkPath, err)
	}
	if err := vk.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("%s: %w", vkPath, err)
	}
	return nil
}

// CheckKeyPair checks that a proving key (its header pkh) and the verifying
// key vk (header vkh) were made together: the proving key's header names the
// verifying key by its digest. A proof made with the proving key of one
// setup never verifies with the verifying key of another; this says so
// before proving rather than after. The error wraps ErrKeyPair.
func CheckKeyPair(pkh Header, vk VerifyingKey, vkh Header) error {
	if pkh.VKDigest == "" {
		return fmt.Errorf("%w: the proving key does not name its verifying key (made by an older zkinfer)", ErrKeyPair)
	}
	d, err := VerifyingKeyDigest(vk, vkh.Layout())
	if err != nil {
		return err
	}
	if d != pkh.VKDigest {
		return fmt.Errorf("%w: the proving key was made with verifying key %s, this verifying key is %s (keys of two setups, e.g. one interrupted while writing them)", ErrKeyPair, pkh.VKDigest, d)
	}
	return nil
}

// ReadProvingKey reads a proving key of either backend; the header names which.
func ReadProvingKey(path string) (ProvingKey, Header, error) {
	h, payload, err := readArtifact(path, FormatProvingKey)
	if err != nil {
		return nil, h, err
	}
	pk, err := NewProvingKey(h.Backend)
	if err != nil {
		return nil, h, fmt.Errorf("%s: %w", path, err)
	}
	if err := Decode(rawPK{pk}, payload); err != nil {
		return nil, h, fmt.Errorf("%s: %w", path, err)
	}
	return pk, h, nil
}

// rawPK encodes a proving key uncompressed and decodes it without subgroup
// checks, which makes loading several times faster. That is safe here: the
// proving key only serves its owner's prover, a bad one can only yield proofs
// the verifying key rejects, and the payload digest catches corruption.
type rawPK struct{ pk ProvingKey }

func (r rawPK) WriteTo(w io.Writer) (int64, error)   { return r.pk.WriteRawTo(w) }
func (r rawPK) ReadFrom(rd io.Reader) (int64, error) { return r.pk.UnsafeReadFrom(rd) }

// ReadVerifyingKey reads a verifying key of either backend; the header names which.
func ReadVerifyingKey(path string) (VerifyingKey, Header, error) {
	h, payload, err := readArtifact(path, FormatVerifyingKey)
	if err != nil {
		return nil, h, err
	}
	vk, err := NewVerifyingKey(h.Backend)
	if err != nil {
		return nil, h, fmt.Errorf("%s: %w", path, err)
	}
	if err := Decode(vk, payload); err != nil {
		return nil, h, fmt.Errorf("%s: %w", path, err)
	}
	return vk, h, nil
}

// Proof is a proof of either backend with its public witness.
type Proof struct {
	Backend string
	Proof   ProofData
	Public  witness.Witness
}

// ProveOption configures Prove.
type ProveOption func(*proveConfig)

type proveConfig struct {
	salts        modelio.Salts
	gpu          bool
	device       int
	aggregatable bool // WithAggregatable
}

// WithSalts gives the salts of a private input or output (modelio.RandomSalts);
// the host keeps them to open the commitments later.
func WithSalts(s modelio.Salts) ProveOption {
	return func(c *proveConfig) { c.salts = s }
}

// Prove proves one inference: tr is the reference trace of the input. pkHeader
// must name the circuit c and its backend, so keys of another circuit or
// setup fail here with a clear error rather than with an invalid proof.
func Prove(c *Circuit, pk ProvingKey, pkHeader Header, m *quant.Model, tr *quant.Trace, p Progress, opts ...ProveOption) (*Proof, error) {
	var cfg proveConfig
	for _, o := range opts {
		o(&cfg)
	}
	if err := checkGPU(cfg, c.Header.Backend); err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	if cfg.aggregatable && (cfg.gpu || c.Header.Backend != BackendGroth16) {
		return nil, fmt.Errorf("prove: %w: proofs for aggregation are Groth16 on the CPU only", ErrNotAggregatable)
	}
	if err := checkHeaderBackend("proving key", pkHeader, c.Header.Backend); err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	if pkHeader.CircuitDigest != c.Header.CircuitDigest {
		return nil, fmt.Errorf("prove: %w: proving key is for circuit %s, compiled circuit is %s", ErrCircuitMismatch, pkHeader.CircuitDigest, c.Header.CircuitDigest)
	}
	if b := BackendOf(pk); b != c.Header.Backend {
		return nil, fmt.Errorf("prove: %w: proving key is %T, the circuit is %s", ErrBackendMismatch, pk, c.Header.Backend)
	}
	if err := CheckModel(c.Header, m); err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	assignment, err := circuits.Assignment(m, tr, c.Header.IO(), cfg.salts)
	if err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	var solverOpts []solver.Option
	if c.Header.IO().Weights == quant.VisibilityCommitted {
		if cfg.gpu {
			return nil, fmt.Errorf("prove: %s weights: the GPU prover is not supported", quant.VisibilityCommitted)
		}
		if solverOpts, err = proveCommitted(c, pk, m, assignment); err != nil {
			return nil, fmt.Errorf("prove: %w", err)
		}
	}
	if cin, cout := c.Header.IO().CommittedIO(); cin || cout {
		if cfg.gpu {
			return nil, fmt.Errorf("prove: %s input or output: the GPU prover is not supported (the commitment mask override would have to reach ICICLE's prover; untested)", quant.VisibilityCommitted)
		}
		if cfg.aggregatable {
			return nil, fmt.Errorf("prove: %w: %s input or output: the recursive verifier takes keys with at most one commitment", ErrNotAggregatable, quant.VisibilityCommitted)
		}
		if solverOpts, err = proveCommittedIO(c, pk, tr, assignment); err != nil {
			return nil, fmt.Errorf("prove: %w", err)
		}
	}
	full, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("prove: witness: %w", err)
	}
	pub, err := full.Public()
	if err != nil {
		return nil, fmt.Errorf("prove: witness: %w", err)
	}
	stage := "proving (" + c.Header.Backend + ")"
	if cfg.gpu {
		stage = fmt.Sprintf("proving (%s, GPU %d)", c.Header.Backend, cfg.device)
	}
	done := orSilent(p).Start(stage)
	// The Solidity target makes the commitments and Fiat-Shamir challenges
	// use Keccak, which the generated contract checks; the Go verifier then
	// needs the same option.
	var proof ProofData
	switch pk := pk.(type) {
	case *groth16bn254.ProvingKey:
		if cfg.gpu {
			proof, err = proveGPU(c.CS, pk, full, cfg.device)
			break
		}
		if cfg.aggregatable {
			proof, err = groth16.Prove(c.CS, pk, full, AggregatableProverOptions(), backend.WithSolverOptions(solverOpts...))
			break
		}
		proof, err = groth16.Prove(c.CS, pk, full, solidity.WithProverTargetSolidityVerifier(backend.GROTH16), backend.WithSolverOptions(solverOpts...))
	case *plonkbn254.ProvingKey:
		proof, err = plonk.Prove(c.CS, pk, full, solidity.WithProverTargetSolidityVerifier(backend.PLONK))
	}
	done()
	if err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	return &Proof{Backend: c.Header.Backend, Proof: proof, Public: pub}, nil
}

// Verify checks a proof in Go, with the hash-to-field the prover used. A key
// and a proof of different backends are an error wrapping ErrBackendMismatch.
func Verify(vk VerifyingKey, proof ProofData, public witness.Witness) (err error) {
	// gnark's verifiers index into proof fields whose lengths come from
	// decoded bytes; a malformed proof must be an error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupted, r)
		}
	}()
	switch vk := vk.(type) {
	case *groth16bn254.VerifyingKey:
		if pr, ok := proof.(*groth16bn254.Proof); ok {
			return groth16.Verify(pr, vk, public, solidity.WithVerifierTargetSolidityVerifier(backend.GROTH16))
		}
	case *plonkbn254.VerifyingKey:
		if pr, ok := proof.(*plonkbn254.Proof); ok {
			return plonk.Verify(pr, vk, public, solidity.WithVerifierTargetSolidityVerifier(backend.PLONK))
		}
	default:
		return fmt.Errorf("%w: verifying key is %T", ErrBackendMismatch, vk)
	}
	return fmt.Errorf("%w: a %s proof for a %s verifying key", ErrBackendMismatch, orUnknown(BackendOf(proof)), BackendOf(vk))
}

// rowsShape is a tensor's shape as bundles carry it: rows of its last axis,
// [∏ leading dims, last dim] ([seq, d_model] for ffn and gpt2 models).
func rowsShape(shape []int) []int {
	rows, width := quant.Rows(shape)
	return []int{rows, width}
}

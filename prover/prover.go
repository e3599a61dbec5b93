package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/logger"

	"github.com/zkinfer/zkinfer/circuits"
	"github.com/zkinfer/zkinfer/quant"
)

func init() {
	// gnark logs every compile and proof to stdout; the CLI reports progress itself.
	logger.Disable()
}

// Backend and curve names recorded in artifacts and bundles.
const (
	BackendGroth16 = "groth16"
	CurveBN254     = "bn254"
)

// DevSetupWarning is printed and recorded wherever dev keys appear.
const DevSetupWarning = "UNSAFE: single-party dev setup; the machine that ran it knows the toxic waste and can forge proofs. Do not use in production."

// Circuit is a compiled constraint system with its header.
type Circuit struct {
	CS     constraint.ConstraintSystem
	Header Header
}

// Compile builds and compiles the circuit of m to R1CS.
func Compile(m *quant.Model, p Progress) (*Circuit, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	modelDigest, err := m.Digest()
	if err != nil {
		return nil, err
	}
	circuit, err := circuits.New(m)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	done := orSilent(p).Start("compiling circuit")
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuit)
	done()
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	digest, err := digestOf(cs)
	if err != nil {
		return nil, err
	}
	return &Circuit{CS: cs, Header: Header{
		Format:        FormatCircuit,
		Backend:       BackendGroth16,
		Curve:         CurveBN254,
		CircuitDigest: digest,
		ModelDigest:   modelDigest,
		Constraints:   cs.GetNbConstraints(),
		Tool:          ToolVersion,
		Gnark:         GnarkVersion(),
		Created:       time.Now().UTC(),
	}}, nil
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
	return writeArtifact(path, c.Header, c.CS)
}

// ReadCircuit reads a compiled circuit.
func ReadCircuit(path string) (*Circuit, error) {
	h, payload, err := readArtifact(path, FormatCircuit)
	if err != nil {
		return nil, err
	}
	cs := groth16.NewCS(ecc.BN254)
	if err := Decode(cs, payload); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Circuit{CS: cs, Header: h}, nil
}

// Decode runs a gnark decoder on untrusted bytes. gnark's decoders are not
// hardened against hostile input, so a panic becomes an error wrapping
// ErrCorrupted.
func Decode(r io.ReaderFrom, payload []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupted, p)
		}
	}()
	if _, err := r.ReadFrom(bytes.NewReader(payload)); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupted, err)
	}
	return nil
}

// Keys are a Groth16 key pair with their headers.
type Keys struct {
	PK       groth16.ProvingKey
	VK       groth16.VerifyingKey
	PKHeader Header
	VKHeader Header
}

// SetupDev runs an UNSAFE single-party Groth16 setup for c (see DevSetupWarning).
func SetupDev(c *Circuit, p Progress) (*Keys, error) {
	done := orSilent(p).Start("setup (dev, unsafe)")
	pk, vk, err := groth16.Setup(c.CS)
	done()
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	h := c.Header
	h.Setup, h.Warning, h.Created = SetupDevUnsafe, DevSetupWarning, time.Now().UTC()
	h.Tool, h.Gnark = ToolVersion, GnarkVersion()
	pkh, vkh := h, h
	pkh.Format, vkh.Format = FormatProvingKey, FormatVerifyingKey
	return &Keys{PK: pk, VK: vk, PKHeader: pkh, VKHeader: vkh}, nil
}

// WriteKeys writes the proving and verifying keys atomically.
func WriteKeys(pkPath, vkPath string, k *Keys) error {
	if err := writeArtifact(pkPath, k.PKHeader, rawPK{k.PK}); err != nil {
		return err
	}
	return writeArtifact(vkPath, k.VKHeader, k.VK)
}

// ReadProvingKey reads a proving key.
func ReadProvingKey(path string) (groth16.ProvingKey, Header, error) {
	h, payload, err := readArtifact(path, FormatProvingKey)
	if err != nil {
		return nil, h, err
	}
	pk := groth16.NewProvingKey(ecc.BN254)
	if err := Decode(rawPK{pk}, payload); err != nil {
		return nil, h, fmt.Errorf("%s: %w", path, err)
	}
	return pk, h, nil
}

// rawPK encodes a proving key uncompressed and decodes it without subgroup
// checks, which makes loading several times faster. That is safe here: the
// proving key only serves its owner's prover, a bad one can only yield proofs
// the verifying key rejects, and the payload digest catches corruption.
type rawPK struct{ pk groth16.ProvingKey }

func (r rawPK) WriteTo(w io.Writer) (int64, error)  { return r.pk.WriteRawTo(w) }
func (r rawPK) ReadFrom(rd io.Reader) (int64, error) { return r.pk.UnsafeReadFrom(rd) }

// ReadVerifyingKey reads a verifying key.
func ReadVerifyingKey(path string) (groth16.VerifyingKey, Header, error) {
	h, payload, err := readArtifact(path, FormatVerifyingKey)
	if err != nil {
		return nil, h, err
	}
	vk := groth16.NewVerifyingKey(ecc.BN254)
	if err := Decode(vk, payload); err != nil {
		return nil, h, fmt.Errorf("%s: %w", path, err)
	}
	return vk, h, nil
}

// Proof is a Groth16 proof with its public witness.
type Proof struct {
	Proof  groth16.Proof
	Public witness.Witness
}

// Prove proves one inference: tr is the reference trace of the input. pkHeader
// must name the circuit c, so keys of another circuit fail here with a clear
// error rather than with an invalid proof.
func Prove(c *Circuit, pk groth16.ProvingKey, pkHeader Header, m *quant.Model, tr *quant.Trace, p Progress) (*Proof, error) {
	if pkHeader.CircuitDigest != c.Header.CircuitDigest {
		return nil, fmt.Errorf("prove: %w: proving key is for circuit %s, compiled circuit is %s", ErrCircuitMismatch, pkHeader.CircuitDigest, c.Header.CircuitDigest)
	}
	assignment, err := circuits.Assignment(m, tr)
	if err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	full, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("prove: witness: %w", err)
	}
	pub, err := full.Public()
	if err != nil {
		return nil, fmt.Errorf("prove: witness: %w", err)
	}
	done := orSilent(p).Start("proving")
	// The Solidity target makes the BSB22 commitment use Keccak, which the
	// generated contract checks; the Go verifier then needs the same option.
	proof, err := groth16.Prove(c.CS, pk, full, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
	done()
	if err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	return &Proof{Proof: proof, Public: pub}, nil
}

// Verify checks a proof in Go, with the hash-to-field the prover used.
func Verify(vk groth16.VerifyingKey, proof groth16.Proof, public witness.Witness) error {
	return groth16.Verify(proof, vk, public, solidity.WithVerifierTargetSolidityVerifier(backend.GROTH16))
}

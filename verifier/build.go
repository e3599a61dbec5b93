package verifier

import (
	"bytes"
	"fmt"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// Names of the public tensors of every model circuit, in circuit order.
const (
	TensorInput  = "input"
	TensorOutput = "output"
	TensorModel  = "model"
	// TensorWeights is the public weights' tensor, between output and model.
	TensorWeights = "weights"
)

// NewBundle assembles the bundle of one proof of model m on the trace tr.
func NewBundle(m *quant.Model, c *prover.Circuit, vk prover.VerifyingKey, vkHeader prover.Header, p *prover.Proof, tr *quant.Trace) (*Bundle, error) {
	if vkHeader.Backend != c.Header.Backend || p.Backend != c.Header.Backend {
		return nil, fmt.Errorf("bundle: %w: verifying key for %s, proof for %s, circuit for %s", prover.ErrBackendMismatch, vkHeader.Backend, p.Backend, c.Header.Backend)
	}
	if vkHeader.CircuitDigest != c.Header.CircuitDigest {
		return nil, fmt.Errorf("bundle: %w: verifying key is for circuit %s, proof is for %s", prover.ErrCircuitMismatch, vkHeader.CircuitDigest, c.Header.CircuitDigest)
	}
	var proof, vkb bytes.Buffer
	if _, err := p.Proof.WriteTo(&proof); err != nil {
		return nil, fmt.Errorf("bundle: proof: %w", err)
	}
	if _, err := vk.WriteTo(&vkb); err != nil {
		return nil, fmt.Errorf("bundle: verifying key: %w", err)
	}
	vkDigest, err := prover.VerifyingKeyDigest(vk, vkHeader.Layout())
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	modelDigest, err := m.Digest()
	if err != nil {
		return nil, err
	}
	commit, err := quant.CommitString(m)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	vis := c.Header.IO()
	if vis.Weights == quant.VisibilityFixed && c.Header.Commitment != "" && commit != c.Header.Commitment {
		return nil, fmt.Errorf("bundle: %w: circuit is for model %s, not %s", prover.ErrCircuitMismatch, c.Header.Commitment, commit)
	}
	if err := prover.CheckModel(c.Header, m); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	pub, ok := p.Public.Vector().(fr.Vector)
	if !ok {
		return nil, fmt.Errorf("bundle: public witness is %T", p.Public.Vector())
	}
	if vis.Weights == quant.VisibilityCommitted && len(pub) > 0 {
		// The proven commitment (the last public input): Keccak of the
		// weights' point over the key's basis, not quant.Commit.
		commit = prover.FormatCommitted(pub[len(pub)-1])
	}
	inParts, outParts := m.InputParts(), m.OutputParts()
	inVis, err := vis.InputsOf(inParts)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	outVis, err := vis.OutputsOf(outParts)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	in, err := sideTensor(TensorInput, inParts, m.InputShape(), tr.InputParts(), m.InputFrac(), inVis, pub)
	if err != nil {
		return nil, err
	}
	nw, err := modelio.NbPublicWeights(m, vis.Weights)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	nOut := modelio.NbPublicSide(outParts, outVis)
	if len(pub) < 1+nw+nOut {
		return nil, fmt.Errorf("bundle: %d public inputs, want at least %d", len(pub), 1+nw+nOut)
	}
	out, err := sideTensor(TensorOutput, outParts, m.OutputShape(), tr.OutputParts(), m.OutputFrac(), outVis, pub[len(pub)-1-nw-nOut:])
	if err != nil {
		return nil, err
	}
	tensors := []Tensor{in, out}
	if vis.Weights == quant.VisibilityPublic {
		w := Tensor{Name: TensorWeights, Encoding: EncodingWeightElements, Shape: []int{nw}, Values: []int64{}}
		for _, e := range pub[len(pub)-1-nw : len(pub)-1] {
			w.Elements = append(w.Elements, formatElement(e))
		}
		tensors = append(tensors, w)
	}
	tensors = append(tensors, Tensor{Name: TensorModel, Encoding: EncodingModelCommitment, Shape: []int{}, Values: []int64{}})
	return &Bundle{
		MediaType:       MediaType,
		Backend:         c.Header.Backend,
		Curve:           prover.CurveBN254,
		ModelDigest:     modelDigest,
		ModelCommitment: commit,
		Visibility:      vis,
		WeightsBasis:    vkHeader.WeightsBasis,
		InputBasis:      vkHeader.InputBasis,
		OutputBasis:     vkHeader.OutputBasis,
		SettingsDigest:  c.Header.SettingsDigest,
		RangeChecks:     c.Header.RangeChecks,
		CircuitDigest:   c.Header.CircuitDigest,
		Setup:           vkHeader.Setup,
		SetupDigest:     vkHeader.SetupDigest,
		Warning:         vkHeader.Warning,
		ToolVersion:     prover.ToolVersion,
		GnarkVersion:    prover.GnarkVersion(),
		Created:         time.Now().UTC(),
		PublicInputs:    tensors,
		Proof:           proof.Bytes(),
		VerifyingKey:    vkb.Bytes(),
		VKDigest:        vkDigest,
	}, nil
}

// sideTensor is the bundle's view of a model's input or output whose parts
// have visibilities vis: partsTensor when they are alike, else a mixed
// tensor (EncodingMixedParts) carrying the public and hashed parts' values
// and the private group's commitment, the side's last public input.
func sideTensor(name string, parts []quant.IOPart, shape []int, values [][]int64, frac int, vis []string, pub fr.Vector) (Tensor, error) {
	if quant.Uniform(vis) {
		return partsTensor(name, parts, shape, values, frac, vis[0], pub)
	}
	if err := quant.CheckParts(parts, values); err != nil {
		return Tensor{}, fmt.Errorf("bundle: %s: %w", name, err)
	}
	t := Tensor{Name: name, Shape: []int{quant.PartsSize(parts)}, Frac: 0, Parts: parts, Encoding: EncodingMixedParts, Values: []int64{}}
	for i, v := range values {
		if vis[i] != quant.VisibilityPrivate {
			t.Values = append(t.Values, v...)
		}
	}
	if _, _, private := quant.PartGroups(vis); len(private) > 0 {
		n := modelio.NbPublicSide(parts, vis)
		if len(pub) < n {
			return t, fmt.Errorf("bundle: %s: %d public inputs, want at least %d", name, len(pub), n)
		}
		t.Commitment = formatElement(pub[n-1])
	}
	return t, nil
}

// partsTensor is the bundle's view of a model's input or output: tensor
// for one int8 part (as rows of its last axis, the shape the key's layout
// records), else every part's values one after the other under a parts
// encoding, with the parts.
func partsTensor(name string, parts []quant.IOPart, shape []int, values [][]int64, frac int, vis string, pub fr.Vector) (Tensor, error) {
	if quant.SingleInt8(parts) {
		if len(values) != 1 {
			return Tensor{}, fmt.Errorf("bundle: %s: %d tensors for one part", name, len(values))
		}
		rows, width := quant.Rows(shape)
		if len(values[0]) != rows*width {
			return Tensor{}, fmt.Errorf("bundle: %s: %d values for shape %v", name, len(values[0]), shape)
		}
		v := make([][]int64, rows)
		for r := range v {
			v[r] = values[0][r*width : (r+1)*width]
		}
		return tensor(name, v, frac, vis, pub)
	}
	if err := quant.CheckParts(parts, values); err != nil {
		return Tensor{}, fmt.Errorf("bundle: %s: %w", name, err)
	}
	t := Tensor{Name: name, Shape: []int{quant.PartsSize(parts)}, Frac: 0, Parts: parts, Values: []int64{}}
	for _, v := range values {
		t.Values = append(t.Values, v...)
	}
	switch vis {
	case quant.VisibilityPublic:
		t.Encoding = EncodingPackedParts
	case quant.VisibilityHashed:
		t.Encoding = EncodingHashedParts
	case quant.VisibilityPrivate:
		if len(pub) == 0 {
			return t, fmt.Errorf("bundle: %s: no public input", name)
		}
		t.Encoding, t.Values, t.Commitment = EncodingSaltedParts, []int64{}, formatElement(pub[0])
	default:
		return t, fmt.Errorf("bundle: %s: visibility %q", name, vis)
	}
	return t, nil
}

// tensor is the bundle's view of v under visibility vis; pub starts with
// its public inputs, which a private tensor carries as its commitment.
func tensor(name string, v [][]int64, frac int, vis string, pub fr.Vector) (Tensor, error) {
	t := Tensor{Name: name, Frac: frac, Shape: []int{len(v), 0}, Values: quant.Flatten(v)}
	if len(v) > 0 {
		t.Shape[1] = len(v[0])
	}
	switch vis {
	case quant.VisibilityPublic:
		t.Encoding = EncodingPackedInt8
	case quant.VisibilityHashed:
		t.Encoding = EncodingHashedInt8
	case quant.VisibilityCommitted:
		// The values, as hashed carries them: the verifier recomputes the
		// public input from them and its key's basis.
		t.Encoding = EncodingCommittedInt8
	case quant.VisibilityPrivate:
		if len(pub) == 0 {
			return t, fmt.Errorf("bundle: %s: no public input", name)
		}
		t.Encoding, t.Values, t.Commitment = EncodingSaltedInt8, []int64{}, formatElement(pub[0])
	default:
		return t, fmt.Errorf("bundle: %s: visibility %q", name, vis)
	}
	return t, nil
}

package verifier

import (
	"bytes"
	"fmt"
	"time"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// Names of the public tensors of a feed-forward block, in circuit order.
const (
	TensorInput  = "input"
	TensorOutput = "output"
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
	modelDigest, err := m.Digest()
	if err != nil {
		return nil, err
	}
	return &Bundle{
		MediaType:     MediaType,
		Backend:       c.Header.Backend,
		Curve:         prover.CurveBN254,
		ModelDigest:   modelDigest,
		CircuitDigest: c.Header.CircuitDigest,
		Setup:         vkHeader.Setup,
		SetupDigest:   vkHeader.SetupDigest,
		Warning:       vkHeader.Warning,
		ToolVersion:   prover.ToolVersion,
		GnarkVersion:  prover.GnarkVersion(),
		Created:       time.Now().UTC(),
		PublicInputs: []Tensor{
			tensor(TensorInput, tr.X, m.InputFrac()),
			tensor(TensorOutput, tr.Y, m.OutputFrac()),
		},
		Proof:        proof.Bytes(),
		VerifyingKey: vkb.Bytes(),
	}, nil
}

func tensor(name string, v [][]int64, frac int) Tensor {
	t := Tensor{Name: name, Frac: frac, Encoding: EncodingPackedInt8, Shape: []int{len(v), 0}, Values: quant.Flatten(v)}
	if len(v) > 0 {
		t.Shape[1] = len(v[0])
	}
	return t
}

package contracts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ethereum/go-ethereum/common"
	"github.com/zkinfer/zkinfer/quant"
)

// DeploymentMediaType is the only deployment file format this build reads
// and writes.
const DeploymentMediaType = "application/vnd.zkinfer.deployment.v1+json"

// maxDeploymentSize bounds a deployment file read from disk.
const maxDeploymentSize = 1 << 20

// ErrDeployment marks a malformed or unsupported deployment file.
var ErrDeployment = errors.New("bad deployment file")

// Tx is one transaction of a deployment, for the record.
type Tx struct {
	Hash    common.Hash `json:"tx"`
	GasUsed uint64      `json:"gas_used"`
}

// Deployment records where a model's verifier and registry entry live, so
// that later verifications can find them.
type Deployment struct {
	MediaType  string         `json:"media_type"`
	Chain      string         `json:"chain"`
	ChainID    uint64         `json:"chain_id"`
	Backend    string         `json:"backend"`
	Verifier   common.Address `json:"verifier"`
	VerifierTx *Tx            `json:"verifier_deploy"`
	Registry   common.Address `json:"registry"`
	RegistryTx *Tx            `json:"registry_deploy,omitempty"`
	ModelID    common.Hash    `json:"model_id"`
	Commitment common.Hash    `json:"model_commitment"`
	// VKDigest is the digest of the verifying key the verifier was built
	// from, as registered ("sha256:..."); empty in files from before it.
	VKDigest     string `json:"vk_digest,omitempty"`
	PublicInputs int    `json:"public_inputs"`
	RegisterTx   *Tx    `json:"register"`
}

// DeployModel deploys a compiled verifier, deploys a registry unless
// registry is given, and registers the model with the verifier; reg's
// Verifier is filled in here.
func DeployModel(ctx context.Context, c *Chain, verifier *Compiled, reg ModelRegistration, registry *common.Address) (*Deployment, error) {
	vr, err := c.DeployReceipt(ctx, verifier)
	if err != nil {
		return nil, err
	}
	d := &Deployment{
		MediaType: DeploymentMediaType, Chain: c.Name(), ChainID: c.chainID.Uint64(), Backend: reg.Backend.String(),
		Verifier: vr.ContractAddress, VerifierTx: &Tx{vr.TxHash, vr.GasUsed},
		Commitment: reg.Commitment, VKDigest: FormatVKDigest(reg.VKDigest), PublicInputs: reg.PublicInputs,
	}
	if registry != nil {
		d.Registry = *registry
	} else {
		rr, err := c.DeployRegistry(ctx)
		if err != nil {
			return nil, err
		}
		d.Registry, d.RegistryTx = rr.ContractAddress, &Tx{rr.TxHash, rr.GasUsed}
	}
	reg.Verifier = d.Verifier
	id, rcpt, err := c.RegisterModel(ctx, d.Registry, reg)
	if err != nil {
		return nil, err
	}
	d.ModelID, d.RegisterTx = id, &Tx{rcpt.TxHash, rcpt.GasUsed}
	return d, nil
}

// Write writes the deployment to path atomically.
func (d *Deployment) Write(path string) error { return writeDeployment(path, d) }

// writeDeployment writes a deployment (single or sharded) to path
// atomically, as indented JSON.
func writeDeployment(path string, d any) error {
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("contracts: write deployment: %w", err)
	}
	if err := quant.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("contracts: write deployment: %w", err)
	}
	return nil
}

// ReadDeployment reads a deployment file written by Write.
func ReadDeployment(path string) (*Deployment, error) {
	var d Deployment
	if err := readDeployment(path, DeploymentMediaType, &d, func() (string, common.Address, common.Hash) { return d.MediaType, d.Registry, d.ModelID }); err != nil {
		return nil, err
	}
	return &d, nil
}

// readDeployment reads a deployment file of media type mediaType (single or
// sharded) into d, strictly and within maxDeploymentSize; ids returns the
// decoded media type, registry and model id, which must be set.
func readDeployment(path, mediaType string, d any, ids func() (string, common.Address, common.Hash)) error {
	data, err := readDeploymentFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(d); err != nil {
		return fmt.Errorf("%s: %w: malformed JSON: %v", path, ErrDeployment, err)
	}
	got, registry, id := ids()
	if got != mediaType {
		return fmt.Errorf("%s: %w: media type %q, want %q", path, ErrDeployment, got, mediaType)
	}
	if registry == (common.Address{}) || id == (common.Hash{}) {
		return fmt.Errorf("%s: %w: no registry or model id", path, ErrDeployment)
	}
	return nil
}

// readDeploymentFile reads a deployment file, at most maxDeploymentSize bytes.
func readDeploymentFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDeploymentSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxDeploymentSize {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", path, ErrDeployment, maxDeploymentSize)
	}
	return data, nil
}

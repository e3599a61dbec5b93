package contracts

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/zkinfer/zkinfer/quant"
)

// HardhatFormat is the artifact format Hardhat writes and reads.
const HardhatFormat = "hh-sol-artifact-1"

// foundryArtifact is the subset of forge's out/<Source>/<Contract>.json that
// scripts and tests read (vm.getCode, deployCode, abi decoding).
type foundryArtifact struct {
	ABI      json.RawMessage `json:"abi"`
	Bytecode struct {
		Object string `json:"object"`
	} `json:"bytecode"`
}

// hardhatArtifact is Hardhat's artifacts/<sourceName>/<Contract>.json.
// deployedBytecode is "0x": solcjs' command line does not emit runtime code,
// and Hardhat only needs it for source verification and coverage.
type hardhatArtifact struct {
	Format                 string          `json:"_format"`
	ContractName           string          `json:"contractName"`
	SourceName             string          `json:"sourceName"`
	ABI                    json.RawMessage `json:"abi"`
	Bytecode               string          `json:"bytecode"`
	DeployedBytecode       string          `json:"deployedBytecode"`
	LinkReferences         struct{}        `json:"linkReferences"`
	DeployedLinkReferences struct{}        `json:"deployedLinkReferences"`
}

// WriteToolArtifacts writes comp as the JSON artifacts Foundry and Hardhat
// projects load, under dir:
//
//	out/<Name>.sol/<Name>.json                     (Foundry: abi, bytecode.object)
//	artifacts/contracts/<Name>.sol/<Name>.json     (Hardhat: hh-sol-artifact-1)
//
// and returns their paths. Copy them into a project's out/ or artifacts/.
func WriteToolArtifacts(dir string, comp *Compiled) (foundry, hardhat string, err error) {
	if comp == nil {
		return "", "", errors.New("contracts: write tool artifacts: nil compiled contract")
	}
	if !isIdentifier(comp.Name) {
		return "", "", fmt.Errorf("contracts: write tool artifacts: invalid contract name %q", comp.Name)
	}
	if !json.Valid([]byte(comp.ABI)) {
		return "", "", errors.New("contracts: write tool artifacts: ABI is not JSON")
	}
	source := comp.Name + ".sol"
	var f foundryArtifact
	f.ABI = json.RawMessage(comp.ABI)
	f.Bytecode.Object = hexutil.Encode(comp.Bin)
	h := hardhatArtifact{
		Format: HardhatFormat, ContractName: comp.Name, SourceName: "contracts/" + source,
		ABI: json.RawMessage(comp.ABI), Bytecode: hexutil.Encode(comp.Bin), DeployedBytecode: "0x",
	}
	foundry = filepath.Join(dir, "out", source, comp.Name+".json")
	hardhat = filepath.Join(dir, "artifacts", "contracts", source, comp.Name+".json")
	for path, v := range map[string]any{foundry: f, hardhat: h} {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return "", "", fmt.Errorf("contracts: write tool artifacts: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", "", fmt.Errorf("contracts: write tool artifacts: %w", err)
		}
		if err := quant.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			return "", "", fmt.Errorf("contracts: write tool artifacts: %w", err)
		}
	}
	return foundry, hardhat, nil
}

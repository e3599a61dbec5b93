package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/contracts/gethtest"
	"github.com/zkinfer/zkinfer/quant"
)

// TestDeployVerifyGethDev runs deploy-evm and verify-evm --rpc against a
// geth --dev node, with the key in $ZKINFER_PRIVATE_KEY and in a key file.
func TestDeployVerifyGethDev(t *testing.T) {
	url := gethtest.StartDev(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	key := gethtest.FundedKey(t, ctx, url)

	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 4, DHidden: 8, SeqLen: 1, Activation: quant.ActivationReLU}
	if err := quant.WriteExample("m", cfg, 1, 8); err != nil {
		t.Fatal(err)
	}
	cli := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(append([]string{"zkinfer", "-q"}, args...), &out, &errOut); code != wantCode {
			t.Fatalf("zkinfer %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, wantCode, out.String(), errOut.String())
		}
		if bytes.Contains(out.Bytes(), []byte(key)) || bytes.Contains(errOut.Bytes(), []byte(key)) {
			t.Fatal("the private key appears in the output")
		}
		return out.String(), errOut.String()
	}
	cli(0, "gen-settings", "--model", filepath.Join("m", "model.safetensors"))
	cli(0, "calibrate-settings", "--data", filepath.Join("m", "calibration.json"))
	cli(0, "compile-circuit")
	cli(0, "setup", "--dev")
	cli(0, "prove", "--input", filepath.Join("m", "input.json"))

	if err := os.WriteFile("dev.key", []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := cli(0, "deploy-evm", "--rpc", url, "--chain-id", "1337", "--key-file", "dev.key")
	for _, re := range []string{`verifier: +0x[0-9a-fA-F]{40} +deploy gas \d+ +tx 0x[0-9a-f]{64}`, `model id: +0x[0-9a-f]{64} +register gas \d+`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Fatalf("deploy-evm output does not match %q:\n%s", re, out)
		}
	}
	t.Log(out)
	checkEthersClient(t, root, url, key, cli)

	_, stderr := cli(1, "deploy-evm", "--rpc", url, "--chain-id", "1", "--key-file", "dev.key")
	if !regexp.MustCompile(`wrong chain: node serves chain id 1337, want 1`).MatchString(stderr) {
		t.Fatalf("wrong chain id: %s", stderr)
	}

	t.Setenv(PrivateKeyEnv, key)
	out, _ = cli(0, "verify-evm", "--rpc", url, "--chain-id", "1337")
	for _, re := range []string{`ACCEPTED by the registry`, `registry verify gas: \d+`, `transaction: 0x[0-9a-f]{64}`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Fatalf("verify-evm output does not match %q:\n%s", re, out)
		}
	}
	t.Log(out)
	out, _ = cli(0, "verify-evm", "--rpc", url, "--chain-id", "1337", "--json")
	for _, re := range []string{`"accepted": true`, `"backend": "groth16"`, `"chain": "http://127\.0\.0\.1:\d+"`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Fatalf("verify-evm --json output does not match %q:\n%s", re, out)
		}
	}

	// Offline verification anchored to the registry entry: reads the chain only.
	var dep struct {
		Registry string `json:"registry"`
		ModelID  string `json:"model_id"`
	}
	depData, err := os.ReadFile(DefaultDeploy)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(depData, &dep); err != nil {
		t.Fatal(err)
	}
	out, _ = cli(0, "verify", "--rpc", url, "--chain-id", "1337", "--registry", dep.Registry, "--model-id", dep.ModelID)
	for _, re := range []string{`pinned by registry registry 0x[0-9a-fA-F]{40} model 0x[0-9a-f]{64}`, `VERIFIED`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Fatalf("verify --model-id output does not match %q:\n%s", re, out)
		}
	}
	_, stderr = cli(1, "verify", "--rpc", url, "--chain-id", "1337", "--registry", dep.Registry, "--model-id", dep.ModelID, "--auditor", "0x000000000000000000000000000000000000dEaD")
	if !regexp.MustCompile(`has not attested model`).MatchString(stderr) {
		t.Fatalf("unattested auditor: %s", stderr)
	}

	// A tampered output: the registry reverts with ProofRejected.
	b, err := os.ReadFile(DefaultBundle)
	if err != nil {
		t.Fatal(err)
	}
	var bundle map[string]any
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	for _, tensor := range bundle["public_inputs"].([]any) {
		if tm := tensor.(map[string]any); tm["name"] == "output" {
			vals := tm["values"].([]any)
			vals[0] = 126 - vals[0].(float64) // differs from every int8 but 63
			if vals[0] == 63.0 {
				vals[0] = 62.0
			}
		}
	}
	bad, err := json.Marshal(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(DefaultBundle, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr = cli(1, "verify-evm", "--rpc", url, "--chain-id", "1337")
	if !regexp.MustCompile(`REJECTED`).MatchString(out) || !regexp.MustCompile(`proof rejected`).MatchString(stderr) {
		t.Fatalf("tampered bundle: stdout %s stderr %s", out, stderr)
	}
}

// checkEthersClient is a dApp developer's client: ethers v6 (pinned in
// contracts/package.json) calls the deployed verifier and registry with
// only the files zkinfer wrote (Verifier.abi.json, Registry.abi.json,
// deployment.json) and `zkinfer calldata --json`; a tampered public input
// is rejected by both contracts.
func checkEthersClient(t *testing.T, root, url, key string, cli func(int, ...string) (string, string)) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(root, "contracts", "node_modules", "ethers", "package.json"))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node or ethers missing under CI (run npm ci --prefix contracts): %v", err)
		}
		t.Logf("skipping the ethers client: node or ethers missing (npm ci --prefix contracts): %v", err)
		return
	}
	for _, f := range []string{"Verifier.abi.json", "Verifier.bin", "Registry.abi.json", "Registry.bin"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("deploy-evm did not write %s: %v", f, err)
		}
	}
	out, _ := cli(0, "calldata", "--deployment", DefaultDeploy, "--json", DefaultBundle)
	var cd struct {
		Proof        string `json:"proof"`
		ProofBytes   int    `json:"proof_bytes"`
		PublicInputs []struct {
			Name, Hex, Decimal string
		} `json:"public_inputs"`
		Verifier, Registry struct{ Signature, Selector, Data string }
	}
	if err := json.Unmarshal([]byte(out), &cd); err != nil {
		t.Fatalf("calldata --json: %v\n%s", err, out)
	}
	if n := len(cd.PublicInputs); n != 3 || cd.PublicInputs[0].Name != "input" || cd.PublicInputs[1].Name != "output" || cd.PublicInputs[2].Name != "model" {
		t.Fatalf("public inputs: %+v", cd.PublicInputs)
	}
	if cd.Verifier.Signature != "verifyProof(bytes,uint256[3])" || cd.Registry.Signature != "verifyInference(bytes32,bytes,uint256[])" || cd.Registry.Data == "" {
		t.Fatalf("calls: %+v %+v", cd.Verifier, cd.Registry)
	}
	if 2+2*cd.ProofBytes != len(cd.Proof) {
		t.Fatalf("proof_bytes %d, proof has %d hex characters", cd.ProofBytes, len(cd.Proof)-2)
	}
	if err := os.WriteFile("calldata.json", []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}

	script := filepath.Join(root, "contracts", "client", "verify.mjs")
	runNode := func(calldata string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, script, "--rpc", url, "--deployment", DefaultDeploy, "--calldata", calldata)
		cmd.Env = append(os.Environ(), PrivateKeyEnv+"="+key)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	res, err := runNode("calldata.json")
	if err != nil {
		t.Fatalf("ethers client: %v\n%s", err, res)
	}
	for _, re := range []string{`"calldata_matches_abi": true`, `"verify_proof": "accepted"`, `"verify_proof_raw": "accepted"`, `"tx": "0x[0-9a-f]{64}"`} {
		if !regexp.MustCompile(re).MatchString(res) {
			t.Fatalf("ethers client output does not match %q:\n%s", re, res)
		}
	}
	t.Log(res)

	// The input hash plus one: the verifier reverts, the registry reverts
	// with ProofRejected, and nothing is sent.
	var tampered map[string]any
	if err := json.Unmarshal([]byte(out), &tampered); err != nil {
		t.Fatal(err)
	}
	in, _ := new(big.Int).SetString(cd.PublicInputs[0].Decimal, 10)
	in.Add(in, big.NewInt(1))
	tampered["public_inputs"].([]any)[0].(map[string]any)["hex"] = fmt.Sprintf("0x%064x", in)
	data, err := json.Marshal(tampered)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("tampered.json", data, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = runNode("tampered.json")
	if err == nil {
		t.Fatalf("ethers client accepted a tampered public input:\n%s", res)
	}
	for _, re := range []string{`"verify_proof": "rejected: `, `"verify_inference": "rejected: ProofRejected\(0x[0-9a-f]{64}\)"`} {
		if !regexp.MustCompile(re).MatchString(res) {
			t.Fatalf("tampered: ethers client output does not match %q:\n%s", re, res)
		}
	}
	t.Log(res)
}

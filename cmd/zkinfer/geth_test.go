package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
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

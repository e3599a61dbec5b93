package contracts_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/consensys/gnark/backend/groth16"

	"github.com/zkinfer/zkinfer/contracts"
)

// requireSolc fails the test when solcjs is missing (the external test
// package's twin of contracts_test.go's).
func requireSolc(t *testing.T) {
	t.Helper()
	if _, err := contracts.FindSolc(); err != nil {
		t.Fatalf("solcjs is required for these tests (run `npm ci --prefix contracts`): %v", err)
	}
}

// compiledVerifier exports vk's Solidity verifier and compiles it.
func compiledVerifier(t *testing.T, ctx context.Context, vk groth16.VerifyingKey) *contracts.Compiled {
	t.Helper()
	var src bytes.Buffer
	if err := contracts.ExportVerifier(vk, &src); err != nil {
		t.Fatal(err)
	}
	comp, err := contracts.Compile(ctx, src.Bytes(), "Verifier")
	if err != nil {
		t.Fatal(err)
	}
	return comp
}

package contracts_test

import (
	"testing"

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

// Command bindgen regenerates contracts/registrybind from contracts/Registry.sol:
// it compiles the source with the pinned solc and runs go-ethereum's abigen
// (v2 bindings) on the result, exactly as
//
//	abigen --v2 --abi Registry.abi --bin Registry.bin --pkg registrybind --type Registry
//
// would. Run it from contracts/ with `go generate`; the test in this package
// fails when the committed binding differs from what it would write.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/accounts/abi/abigen"
	"github.com/google/renameio/v2"

	"github.com/zkinfer/zkinfer/contracts"
)

// bindingFile is the generated binding, relative to the contracts directory.
var bindingFile = filepath.Join("registrybind", "registry.go")

func main() {
	out, err := generate(context.Background())
	if err == nil {
		err = renameio.WriteFile(bindingFile, out, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bindgen: %v\n", err)
		os.Exit(1)
	}
}

// generate returns the source of the registry binding.
func generate(ctx context.Context) ([]byte, error) {
	comp, err := contracts.Compile(ctx, contracts.RegistrySource, contracts.RegistryContract)
	if err != nil {
		return nil, err
	}
	src, err := abigen.BindV2([]string{comp.Name}, []string{comp.ABI}, []string{fmt.Sprintf("%x", comp.Bin)}, "registrybind", nil, nil)
	if err != nil {
		return nil, fmt.Errorf("abigen: %w", err)
	}
	return []byte(src), nil
}

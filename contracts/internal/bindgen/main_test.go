package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/contracts/registrybind"
)

// TestBindingUpToDate fails when contracts/registrybind no longer matches
// contracts/Registry.sol: the ABI, the bytecode, and the generated file as a
// whole are compared with a fresh compile and a fresh abigen run.
func TestBindingUpToDate(t *testing.T) {
	if _, err := contracts.FindSolc(); err != nil {
		t.Fatalf("solcjs is required (run `npm ci --prefix contracts`): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const regen = "regenerate with: go generate ./contracts"

	comp, err := contracts.Compile(ctx, contracts.RegistrySource, contracts.RegistryContract)
	if err != nil {
		t.Fatal(err)
	}
	var fresh, bound any
	// abigen strips the spaces of the ABI it embeds ("enum Registry.Backend"
	// becomes "enumRegistry.Backend"); compare modulo that.
	if err := json.Unmarshal([]byte(strings.ReplaceAll(comp.ABI, " ", "")), &fresh); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(registrybind.RegistryMetaData.ABI), &bound); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fresh, bound) {
		t.Errorf("registrybind's ABI differs from Registry.sol's; %s", regen)
	}
	if got, want := strings.TrimPrefix(registrybind.RegistryMetaData.Bin, "0x"), hex.EncodeToString(comp.Bin); got != want {
		t.Errorf("registrybind's bytecode differs from Registry.sol compiled with the pinned solc; %s", regen)
	}

	src, err := generate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", bindingFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(src, committed) {
		t.Errorf("%s is not what abigen generates from Registry.sol; %s", bindingFile, regen)
	}
}

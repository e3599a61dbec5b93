package contracts

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// SolcEnv names the environment variable that overrides where solcjs is
// looked for, for checkouts whose node_modules live elsewhere.
const SolcEnv = "ZKINFER_SOLCJS"

// installHint is appended to every "solcjs not found" error because the fix
// is always the same and people should not have to guess it.
const installHint = "run `npm ci --prefix contracts` from the repository root to install the pinned solcjs"

// solcRel is where `npm ci --prefix contracts` puts solcjs, relative to the
// repository root.
var solcRel = filepath.Join("contracts", "node_modules", ".bin", "solcjs")

// sourceDir is the directory this file was compiled from. It lets binaries
// built in a checkout find that checkout's solcjs even when run from
// elsewhere; with -trimpath it is not absolute and is ignored.
var sourceDir = func() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	return filepath.Dir(file)
}()

// Compiled holds what solc produced for one contract.
type Compiled struct {
	// Name is the contract name as declared in the source.
	Name string
	// ABI is the contract's JSON ABI.
	ABI string
	// Bin is the creation bytecode.
	Bin []byte
}

// FindSolc returns the path of the pinned solcjs.
//
// The pinned compiler is preferred over any solcjs on PATH because gas
// figures and bytecode depend on the compiler version. Order: $ZKINFER_SOLCJS;
// contracts/node_modules/.bin/solcjs in the working directory or any parent;
// the same next to this package's source; solcjs on PATH.
func FindSolc() (string, error) {
	if p, ok := os.LookupEnv(SolcEnv); ok && p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("contracts: %s=%q: %v; %s", SolcEnv, p, err, installHint)
		}
		return p, nil
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; {
			if p := filepath.Join(dir, solcRel); checkExecutable(p) == nil {
				return p, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	if sourceDir != "" {
		if p := filepath.Join(sourceDir, "node_modules", ".bin", "solcjs"); checkExecutable(p) == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("solcjs"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("contracts: solcjs not found (no $%s, no %s above the working directory, none on PATH); %s", SolcEnv, solcRel, installHint)
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return errors.New("is a directory")
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return errors.New("not executable")
	}
	return nil
}

// Compile compiles Solidity source with the pinned solcjs and returns the
// contract called contractName (gnark's Groth16 verifier is "Verifier").
//
// The optimizer is on because the deployed verifier is what we measure gas
// on, and an unoptimized build would overstate it.
func Compile(ctx context.Context, source []byte, contractName string) (*Compiled, error) {
	if len(source) == 0 {
		return nil, errors.New("contracts: compile: empty source")
	}
	if !isIdentifier(contractName) {
		return nil, fmt.Errorf("contracts: compile: invalid contract name %q", contractName)
	}
	solc, err := FindSolc()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "zkinfer-solc-")
	if err != nil {
		return nil, fmt.Errorf("contracts: compile: %w", err)
	}
	defer os.RemoveAll(tmp)

	// solcjs names outputs after the input path, so a fixed relative name
	// keeps them predictable: input_sol_<Contract>.{bin,abi}.
	const input = "input.sol"
	if err := os.WriteFile(filepath.Join(tmp, input), source, 0o644); err != nil {
		return nil, fmt.Errorf("contracts: compile: %w", err)
	}
	cmd := exec.CommandContext(ctx, solc, "--bin", "--abi", "--optimize", "--base-path", ".", "-o", "out", input)
	cmd.Dir = tmp
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("contracts: compile: %w", ctxErr)
		}
		return nil, fmt.Errorf("contracts: compile with %s: %v: %s", solc, err, strings.TrimSpace(out.String()))
	}

	prefix := filepath.Join(tmp, "out", "input_sol_")
	binHex, err := os.ReadFile(prefix + contractName + ".bin")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("contracts: compile: no contract %q in source (have %s)", contractName, strings.Join(compiledNames(prefix), ", "))
		}
		return nil, fmt.Errorf("contracts: compile: %w", err)
	}
	abiJSON, err := os.ReadFile(prefix + contractName + ".abi")
	if err != nil {
		return nil, fmt.Errorf("contracts: compile: %w", err)
	}
	bin, err := hex.DecodeString(strings.TrimSpace(string(binHex)))
	if err != nil {
		return nil, fmt.Errorf("contracts: compile: bad bytecode hex for %q: %w", contractName, err)
	}
	if len(bin) == 0 {
		return nil, fmt.Errorf("contracts: compile: %q has no bytecode (abstract contract or interface?)", contractName)
	}
	return &Compiled{Name: contractName, ABI: string(abiJSON), Bin: bin}, nil
}

// compiledNames lists the contracts solcjs emitted, for error messages.
func compiledNames(prefix string) []string {
	matches, _ := filepath.Glob(prefix + "*.bin")
	names := make([]string, 0, len(matches))
	for _, m := range matches {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(m, prefix), ".bin"))
	}
	sort.Strings(names)
	if len(names) == 0 {
		names = append(names, "none")
	}
	return names
}

// isIdentifier reports whether s is a Solidity identifier; anything else
// cannot name a contract and must not reach a file path.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

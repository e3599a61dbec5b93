package peers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Node runs benchmarks/peers/snark.mjs with the pinned npm packages of Dir.
type Node struct {
	// Dir is benchmarks/peers (where snark.mjs and node_modules are).
	Dir string
	// Bin is the node executable ("node" when empty).
	Bin string
	// Timeout bounds one call (10 minutes when zero).
	Timeout time.Duration
}

// ErrNoNode says that node or the npm packages are missing.
var ErrNoNode = errors.New("node or benchmarks/peers/node_modules missing (run: npm ci --prefix benchmarks/peers)")

// Check returns ErrNoNode (wrapped) unless node runs and the packages are installed.
func (n Node) Check() error {
	bin := n.bin()
	if _, err := exec.LookPath(bin); err != nil {
		return fmt.Errorf("%w: %v", ErrNoNode, err)
	}
	for _, p := range []string{"snarkjs", "circom2", "circomlib", "@ezkljs/engine"} {
		if _, err := os.Stat(filepath.Join(n.Dir, "node_modules", p, "package.json")); err != nil {
			return fmt.Errorf("%w: %v", ErrNoNode, err)
		}
	}
	return nil
}

func (n Node) bin() string {
	if n.Bin == "" {
		return "node"
	}
	return n.Bin
}

// Run calls one subcommand of snark.mjs and decodes the last line of its
// output into v.
func (n Node) Run(v any, args ...string) error {
	t := n.Timeout
	if t == 0 {
		t = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), t)
	defer cancel()
	cmd := exec.CommandContext(ctx, n.bin(), append([]string{filepath.Join(n.Dir, "snark.mjs")}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("node snark.mjs %s: %w: %s", strings.Join(args, " "), err, tail(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), v); err != nil {
		return fmt.Errorf("node snark.mjs %s: output: %w: %s", args[0], err, tail(stdout.String()))
	}
	return nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// Compiled is what `snark.mjs compile` prints.
type Compiled struct {
	R1CS        string  `json:"r1cs"`
	Wasm        string  `json:"wasm"`
	Constraints int     `json:"constraints"`
	Public      int     `json:"public"`
	Vars        int     `json:"vars"`
	CompileMS   float64 `json:"compile_ms"`
}

// Timed is what `snark.mjs ptau` and `setup` print.
type Timed struct {
	MS float64 `json:"ms"`
}

// Proved is what `snark.mjs prove` prints.
type Proved struct {
	WitnessMS float64  `json:"witness_ms"`
	ProveMS   float64  `json:"prove_ms"`
	TotalMS   float64  `json:"total_ms"`
	Verified  bool     `json:"verified"`
	Public    []string `json:"public"`
}

// EZKL is what `snark.mjs ezkl` prints.
type EZKL struct {
	Version             string   `json:"version"`
	Functions           []string `json:"functions"`
	CanProveFromCompile bool     `json:"can_prove_from_compiled"`
	CanCompileONNX      bool     `json:"can_compile_onnx"`
	CanMakeSRS          bool     `json:"can_make_srs"`
	EmptyCircuitProbe   string   `json:"empty_circuit_probe"`
}

// Snark is one circom circuit compiled and set up for snarkjs Groth16.
type Snark struct {
	Compiled
	Zkey, VKey string
	Setup      time.Duration
}

// CompileCircom writes src to dir/name.circom and compiles it.
func (n Node) CompileCircom(dir, name, src string) (*Compiled, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	file := filepath.Join(dir, name+".circom")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		return nil, err
	}
	var c Compiled
	if err := n.Run(&c, "compile", file, dir); err != nil {
		return nil, err
	}
	return &c, nil
}

// Setup makes the Groth16 zkey of c from ptau.
func (n Node) Setup(c *Compiled, ptau string) (*Snark, error) {
	s := &Snark{Compiled: *c, Zkey: strings.TrimSuffix(c.R1CS, ".r1cs") + ".zkey", VKey: strings.TrimSuffix(c.R1CS, ".r1cs") + ".vkey.json"}
	var t Timed
	if err := n.Run(&t, "setup", c.R1CS, ptau, s.Zkey, s.VKey); err != nil {
		return nil, err
	}
	s.Setup = time.Duration(t.MS * float64(time.Millisecond))
	return s, nil
}

// Prove computes the witness of input (a JSON file) and proves it.
func (n Node) Prove(s *Snark, input string) (*Proved, error) {
	var p Proved
	if err := n.Run(&p, "prove", s.Wasm, s.Zkey, s.VKey, input); err != nil {
		return nil, err
	}
	if !p.Verified {
		return nil, fmt.Errorf("snarkjs: the proof of %s did not verify", s.R1CS)
	}
	return &p, nil
}

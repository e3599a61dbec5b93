package peers

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestSources checks the generated circom and the gnark side without node:
// the MLP's circuit covers every layer and output, and the dense gadget counts
// are ordered as the gadgets say (constant weights cost less than witnesses).
func TestSources(t *testing.T) {
	m, err := MLP(1, 6, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := DenseLayers(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 2 || layers[0].In != 6 || layers[1].Out != 3 || layers[0].Lo != 0 {
		t.Fatalf("layers %+v: want 6→4 with ReLU, 4→3", layers)
	}
	src, err := MLPCircom(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"template Layer0()", "template Layer1()", "signal input x[6];", "signal output y[3];", "rq[j] = RequantConst(", "component main {public [x]} = MLP();"} {
		if !strings.Contains(src, want) {
			t.Errorf("MLP circom lacks %q", want)
		}
	}
	if !strings.Contains(ChainCircom(5), "component main = Chain(5);") {
		t.Error("chain circom")
	}
	if d := DenseSignalsCircom(4, 2, DenseShift, 0, 127, true); !strings.Contains(d, "Num2Bits(8)") || !strings.Contains(d, "DenseSignals(4, 2, 16, 0, 127,") {
		t.Errorf("dense circom: %s", d)
	}
	fixed, witness, err := DenseCost(4, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if fixed <= 0 || witness <= fixed {
		t.Errorf("dense costs: fixed %d, witness %d", fixed, witness)
	}
	g, err := NewGroth16(NewChain(8))
	if err != nil {
		t.Fatal(err)
	}
	if n := g.CS.GetNbConstraints(); n != 9 {
		t.Errorf("chain of 8: %d constraints", n)
	}
	if _, err := g.Prove(ChainAssignment(8, 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Prove(ChainAssignment(7, 3)); err == nil {
		t.Error("a wrong chain output proved")
	}
	d := []time.Duration{5, 1, 3, 2}
	if Min(d) != 1 || Median(d) != 2 || Median(d[:3]) != 3 {
		t.Errorf("min %v median %v/%v", Min(d), Median(d), Median(d[:3]))
	}
}

// TestQuickRun runs the whole benchmark at tiny sizes, one round: circom2,
// snarkjs and the EZKL engine from node_modules, zkinfer's prover, and the
// circom MLP's output checked against zkinfer's reference. It skips without
// node or benchmarks/peers/node_modules (npm ci --prefix benchmarks/peers),
// as in CI, and under -short. About 20 s on an idle 2-core machine.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	node := Node{Dir: ".", Timeout: 3 * time.Minute}
	if err := node.Check(); err != nil {
		if errors.Is(err, ErrNoNode) {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	rep, err := Run(Config{Work: t.TempDir(), Node: node, Reps: 1, Chain: []int{4}, MLP: []int{4, 2}, Dense: [][2]int{{4, 2}}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cases) != 2 || !rep.MLPOutputMatches || len(rep.Dense) != 1 {
		t.Fatalf("report: %d cases, MLP output matches %v, %d dense rows", len(rep.Cases), rep.MLPOutputMatches, len(rep.Dense))
	}
	if c := rep.Cases[0]; c.SnarkConstraints != 8 || c.ZkinferConstraints != 9 || len(c.Zkinfer) != 1 || len(c.Snark) != 1 {
		t.Errorf("chain case %+v", c)
	}
	if d := rep.Dense[0]; d.CircomSignals <= 8 || d.CircomSignalsChecks <= d.CircomSignals {
		t.Errorf("dense row %+v", d)
	}
	if !rep.EZKL.CanProveFromCompile || rep.EZKL.CanMakeSRS {
		t.Errorf("EZKL probe %+v", rep.EZKL)
	}
	md := rep.Markdown("test")
	for _, want := range []string{"| Groth16 core, 2^4 − 8 multiplications | 9 | 8 |", "## Dense-layer cost", "## EZKL"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

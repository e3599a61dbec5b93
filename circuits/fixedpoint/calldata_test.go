package fixedpoint

import (
	"runtime/metrics"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
)

type callDataRoomCircuit struct {
	X, Y frontend.Variable
	t    *testing.T `gnark:"-"`
}

func (c *callDataRoomCircuit) Define(api frontend.API) error {
	room := callDataRoom(api)
	if room == nil {
		c.t.Fatal("callDataRoom found no CallData in gnark's builder")
	}
	n0, c0 := room()
	api.AssertIsEqual(api.Mul(c.X, c.X), c.Y)
	n1, c1 := room()
	if n1 <= n0 || c1 < n1 || c0 < n0 {
		c.t.Fatalf("CallData length %d → %d (capacity %d → %d) after a constraint", n0, n1, c0, c1)
	}
	return nil
}

// TestCallDataRoom: the growth collector finds the CallData of gnark's
// R1CS and SCS builders, and sees it grow.
func TestCallDataRoom(t *testing.T) {
	var rb, sb frontend.NewBuilder = r1cs.NewBuilder, scs.NewBuilder
	for _, b := range []frontend.NewBuilder{rb, sb} {
		if _, err := frontend.Compile(ecc.BN254.ScalarField(), b, &callDataRoomCircuit{t: t}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGrowthCollector: it collects before a step whose words may not fit
// (once per capacity, not below growthCollectMin words) and after a step
// that grew the CallData.
func TestGrowthCollector(t *testing.T) {
	forced := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	n, c := 0, 0
	g := &growthCollector{room: func() (int, int) { return n, c }}
	step := func(words, grownCap int) uint64 {
		before := forced()
		g.before(words)
		n += words
		if grownCap > 0 {
			c = grownCap
		}
		g.after()
		return forced() - before
	}
	n, c = 1000, 2000
	if got := step(5000, 8000); got != 0 {
		t.Errorf("%d collections below growthCollectMin", got)
	}
	n, c = growthCollectMin, growthCollectMin+2000
	if got := step(500, 0); got != 0 {
		t.Errorf("%d collections with room for the step", got)
	}
	if got := step(1300, 0); got != 1 { // room 1500 < 1300 + 1300/4
		t.Errorf("%d collections before a step that may not fit, want 1", got)
	}
	if got := step(300, 0); got != 0 { // room 200, collected at this capacity
		t.Errorf("%d collections at a capacity already collected at", got)
	}
	if got := step(1000, 2*c); got != 1 {
		t.Errorf("%d collections for a step that grew the CallData, want 1 (after it)", got)
	}
	var off growthCollector
	off.before(1 << 30)
	off.after()
}

// TestTerms: an R1CS linear expression counts its terms, anything else 1.
func TestTerms(t *testing.T) {
	if terms(3) != 1 || terms([]struct{ a, b int }{{1, 2}, {3, 4}}) != 2 {
		t.Fatal("terms")
	}
}

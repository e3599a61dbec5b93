package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunTiny runs every stage but gas on a tiny model (d 8, seq 2), so the
// harness's code path stays green; the figures are not checked, only their
// consistency.
func TestRunTiny(t *testing.T) {
	stages, err := ParseStages("count,prove")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(Presets["tiny"], Options{Stages: stages})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) > 0 || len(r.Skipped) > 0 {
		t.Fatalf("errors %q, skipped %q", r.Errors, r.Skipped)
	}
	if r.ConstraintsR1CS <= 0 || r.PublicInputs <= 0 || r.ProveS <= 0 || r.SetupS <= 0 || r.WitnessS <= 0 || r.VerifyS <= 0 || r.ProofBytes <= 0 {
		t.Fatalf("missing figures: %+v", r)
	}
	sum := 0
	for _, p := range r.Breakdown {
		if p.PerBlock {
			sum += r.Blocks * p.Constraints
		} else {
			sum += p.Constraints
		}
	}
	if sum != r.ConstraintsR1CS || len(r.Breakdown) < 9 {
		t.Fatalf("breakdown %v adds up to %d, want %d", r.Breakdown, sum, r.ConstraintsR1CS)
	}
	f := r.Floor
	if f == nil || f.TotalS <= 0 || r.ProveOverFloor <= 0 {
		t.Fatalf("floor %+v, ratio %v", f, r.ProveOverFloor)
	}
	// Groth16's domain holds the constraints (and public inputs) and is a
	// power of two; the MSMs run over at most all wires.
	if f.Domain < r.ConstraintsR1CS || f.Domain&(f.Domain-1) != 0 || f.SizeZ != f.Domain-1 {
		t.Fatalf("domain %d for %d constraints", f.Domain, r.ConstraintsR1CS)
	}
	for _, n := range []int{f.SizeA, f.SizeB, f.SizeK} {
		if n <= 0 || n > r.Wires {
			t.Fatalf("MSM sizes %+v for %d wires", f, r.Wires)
		}
	}
	if f.SizeCommitment <= 0 {
		t.Fatalf("no commitment MSM in %+v: the circuit uses std/rangecheck", f)
	}

	// Results round-trip through the files and plots are drawn.
	dir := t.TempDir()
	if err := Write(dir, []*Result{r}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil || len(got) != 1 || got[0].ConstraintsR1CS != r.ConstraintsR1CS || got[0].Floor.Domain != f.Domain {
		t.Fatalf("Load = %v, %v", got, err)
	}
	csv, err := os.ReadFile(filepath.Join(dir, CSVFile))
	if err != nil || !strings.HasPrefix(string(csv), strings.Join(CSVHeader, ",")+"\n") || strings.Count(string(csv), "\n") != 2 {
		t.Fatalf("csv %q, %v", csv, err)
	}
	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil || strings.Count(string(md), "\n") != 3 || !strings.Contains(string(md), "| "+r.Name+" | ") || !strings.Contains(string(md), groupDigits(r.ConstraintsR1CS)) {
		t.Fatalf("markdown %q, %v", md, err)
	}
}

func TestGroupDigits(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 523505: "523,505", 1932096: "1,932,096", -12345: "-12,345"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestMerge(t *testing.T) {
	cfg := Presets["tiny"]
	full := &Result{Config: cfg, Stages: []string{StageCount, StageProve}, ConstraintsR1CS: 100, ProveS: 2, Floor: &Floor{TotalS: 1}, Breakdown: []Part{{Name: "a", Constraints: 100}}, PeakRSSMiB: 50}
	other := &Result{Config: Presets["demo"], Stages: []string{StageCount}, ConstraintsR1CS: 7}

	// A count-only rerun of the same circuit keeps the prove figures.
	again := &Result{Config: cfg, Stages: []string{StageCount}, ConstraintsR1CS: 100, CompileS: 3}
	m := Merge([]*Result{full, other}, []*Result{again})
	if len(m) != 2 || m[0].ProveS != 2 || m[0].Floor == nil || m[0].CompileS != 3 || len(m[0].Stages) != 2 || m[0].PeakRSSMiB != 50 || m[1] != other {
		t.Fatalf("merge kept %+v", m[0])
	}
	// Another circuit (another count) replaces the old result whole.
	changed := &Result{Config: cfg, Stages: []string{StageCount}, ConstraintsR1CS: 90}
	m = Merge([]*Result{full}, []*Result{changed})
	if len(m) != 1 || m[0].ProveS != 0 || m[0].ConstraintsR1CS != 90 {
		t.Fatalf("merge after a circuit change kept %+v", m[0])
	}
	// New names are appended.
	if m = Merge([]*Result{full}, []*Result{other}); len(m) != 2 || m[1] != other {
		t.Fatalf("merge = %v", m)
	}
}

func TestPlot(t *testing.T) {
	var rs []*Result
	for i, s := range []int{1, 4, 16} {
		r := &Result{Config: Config{Name: "s", DModel: 768, Heads: 12, Seq: s, Blocks: 1}, ConstraintsR1CS: 1000 * (i + 1)}
		if i == 0 {
			r.ProveS, r.Floor = 3, &Floor{TotalS: 1}
		}
		rs = append(rs, r)
	}
	for _, d := range []int{64, 128} {
		rs = append(rs, &Result{Config: Config{Name: "w", DModel: d, Heads: d / 64, Seq: WidthSeq, Blocks: 1}, ConstraintsR1CS: d * 100})
	}
	dir := t.TempDir()
	files, err := Plot(dir, rs)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("wrote %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(b), "<svg") {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

func TestParse(t *testing.T) {
	if _, err := ParseConfigs("demo,nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unknown preset: %v", err)
	}
	if _, err := ParseStages("count,fly"); err == nil {
		t.Fatal("unknown stage accepted")
	}
	if s, err := ParseStages("gas"); err != nil || !s[StageProve] {
		t.Fatalf("gas should imply prove: %v %v", s, err)
	}
	if err := Custom(100, 3, 1, 1).Validate(); err == nil {
		t.Fatal("d-model not a multiple of heads accepted")
	}
	if err := Custom(64, 1, 0, 1).Validate(); err == nil {
		t.Fatal("seq 0 accepted")
	}
}

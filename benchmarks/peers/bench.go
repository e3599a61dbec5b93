package peers

import (
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is one run of the peer benchmark.
type Config struct {
	// Work is where circuits, keys and the powers of tau go (gitignored
	// benchmarks/peers/out by default).
	Work string
	// Node runs snark.mjs (its Dir is benchmarks/peers).
	Node Node
	// Reps is the number of interleaved rounds.
	Reps int
	// Chain lists k of the Groth16 core comparison: chains of 2^k − 8
	// multiplications (the −8 keeps both provers' domain at 2^k).
	Chain []int
	// MLP is the model's layer widths (input first).
	MLP []int
	// Dense lists [in, out] shapes of the dense-layer cost comparison.
	Dense [][2]int
	// Seed makes the model, its input and the dense weights.
	Seed uint64
	// Log receives progress lines.
	Log io.Writer `json:"-"`
}

// Case is one circuit proved by both sides, Reps times each.
type Case struct {
	Name string
	// ZkinferConstraints and SnarkConstraints are the R1CS sizes.
	ZkinferConstraints, SnarkConstraints int
	// Zkinfer and Snark are the witness+prove times per round; SnarkWitness
	// and SnarkProve split Snark.
	Zkinfer, Snark, SnarkWitness, SnarkProve []time.Duration
	// Setup: compile and setup wall times (one run each, not interleaved).
	ZkinferCompile, ZkinferSetup, SnarkCompile, SnarkSetup time.Duration
	// Note says what the case proves.
	Note string
}

// DenseRow is one shape of the dense-layer cost comparison.
type DenseRow struct {
	In, Out                            int
	ZkinferFixed, ZkinferWitness       int
	CircomSignals, CircomSignalsChecks int
}

// Report is the result of Run.
type Report struct {
	// Command is the command line that made it (set by the caller).
	Command  string
	Config   Config
	Started  time.Time
	Machine  string
	LoadAvg  []string // before, per round, after
	Cases    []*Case
	Dense    []DenseRow
	EZKL     EZKL
	PtauPow  int
	PtauTime time.Duration
	// PtauReused: the powers of tau came from an earlier run (PtauTime is
	// that run's, 0 when unknown).
	PtauReused bool
	// MLPOutputMatches: snarkjs's public output equals zkinfer's integer
	// reference bit for bit.
	MLPOutputMatches bool
	MLPOutput        []int64
}

func (c Config) logf(format string, a ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", a...)
	}
}

// LoadAvg is the first three fields of /proc/loadavg ("?" where unreadable).
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// Machine describes the CPU, core count and memory.
func Machine() string {
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if _, v, ok := strings.Cut(l, ":"); ok {
					cpu = strings.TrimSpace(v)
					break
				}
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return fmt.Sprintf("%s, %d cores%s, %s %s/%s", cpu, runtime.NumCPU(), mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// side is one prover's half of a case.
type side struct {
	zk    func() (time.Duration, error)
	snark *Snark
	input string
}

// Run runs the whole benchmark: the EZKL probe, the dense-layer costs, the
// compilations and setups, then Reps interleaved rounds (the order of the two
// provers alternates from round to round).
func Run(cfg Config) (*Report, error) {
	if cfg.Reps < 1 {
		cfg.Reps = 1
	}
	if err := cfg.Node.Check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Work, 0o755); err != nil {
		return nil, err
	}
	rep := &Report{Config: cfg, Started: time.Now().UTC(), Machine: Machine(), LoadAvg: []string{LoadAvg()}}

	cfg.logf("EZKL engine: probing @ezkljs/engine")
	if err := cfg.Node.Run(&rep.EZKL, "ezkl"); err != nil {
		return nil, err
	}

	for _, s := range cfg.Dense {
		in, out := s[0], s[1]
		cfg.logf("dense %d×%d: zkinfer gadget and circom counts", in, out)
		row := DenseRow{In: in, Out: out}
		var err error
		if row.ZkinferFixed, row.ZkinferWitness, err = DenseCost(in, out, cfg.Seed); err != nil {
			return nil, err
		}
		for _, checks := range []bool{false, true} {
			name := fmt.Sprintf("dense_%dx%d", in, out)
			if checks {
				name += "_checked"
			}
			c, err := cfg.Node.CompileCircom(filepath.Join(cfg.Work, name), name, DenseSignalsCircom(in, out, DenseShift, 0, 127, checks))
			if err != nil {
				return nil, err
			}
			if checks {
				row.CircomSignalsChecks = c.Constraints
			} else {
				row.CircomSignals = c.Constraints
			}
		}
		rep.Dense = append(rep.Dense, row)
	}

	// Compile everything first, to size the powers of tau.
	type pending struct {
		c     *Case
		comp  *Compiled
		setup func() (func() (time.Duration, error), error)
		input string
	}
	var todo []pending
	for _, k := range cfg.Chain {
		n := 1<<k - 8
		name := fmt.Sprintf("chain_%d", k)
		cfg.logf("%s: circom compile (%d multiplications)", name, n)
		comp, err := cfg.Node.CompileCircom(filepath.Join(cfg.Work, name), name, ChainCircom(n))
		if err != nil {
			return nil, err
		}
		input := filepath.Join(cfg.Work, name, "input.json")
		if err := os.WriteFile(input, []byte(`{"x": "3"}`), 0o644); err != nil {
			return nil, err
		}
		c := &Case{Name: fmt.Sprintf("Groth16 core, 2^%d − 8 multiplications", k), SnarkConstraints: comp.Constraints, SnarkCompile: ms(comp.CompileMS),
			Note: "a chain s ← s² from a private x to a public y"}
		todo = append(todo, pending{c: c, comp: comp, input: input, setup: func() (func() (time.Duration, error), error) {
			g, err := NewGroth16(NewChain(n))
			if err != nil {
				return nil, err
			}
			c.ZkinferConstraints, c.ZkinferCompile, c.ZkinferSetup = g.CS.GetNbConstraints(), g.Compile, g.Setup
			return func() (time.Duration, error) { return g.Prove(ChainAssignment(n, 3)) }, nil
		}})
	}
	var mlpCase *pending
	if len(cfg.MLP) > 0 {
		cfg.logf("MLP %v: quantize, circom compile", cfg.MLP)
		m, err := MLP(cfg.Seed, cfg.MLP...)
		if err != nil {
			return nil, err
		}
		x := Input(cfg.Seed, m)
		tr, err := m.Forward(x)
		if err != nil {
			return nil, err
		}
		rep.MLPOutput = tr.Y[0]
		src, err := MLPCircom(m)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(cfg.Work, "mlp")
		comp, err := cfg.Node.CompileCircom(dir, "mlp", src)
		if err != nil {
			return nil, err
		}
		in, err := json.Marshal(map[string][]int64{"x": x[0]})
		if err != nil {
			return nil, err
		}
		input := filepath.Join(dir, "input.json")
		if err := os.WriteFile(input, in, 0o644); err != nil {
			return nil, err
		}
		dims := make([]string, len(cfg.MLP))
		for i, d := range cfg.MLP {
			dims[i] = strconv.Itoa(d)
		}
		c := &Case{Name: "model: MLP " + strings.Join(dims, "→"), SnarkConstraints: comp.Constraints, SnarkCompile: ms(comp.CompileMS),
			Note: "int8 MLP (linear+ReLU, …, linear), fixed weights, input and output public; zkinfer: prover.Compile/SetupDev/Prove, circom: the same integer forward pass. " +
				"zkinfer's count includes unpacking and range-checking the public input and output, packed 31 int8 values per field element as zkinfer's `public` visibility does; " +
				"the circom circuit takes every value as its own public input (no constraint, but one scalar multiplication each for the verifier, ≈ 6.2 k gas on chain)"}
		todo = append(todo, pending{c: c, comp: comp, input: input, setup: func() (func() (time.Duration, error), error) {
			z, err := NewZkinferModel(m)
			if err != nil {
				return nil, err
			}
			c.ZkinferConstraints, c.ZkinferCompile, c.ZkinferSetup = z.Constraints(), z.Compile, z.Setup
			return func() (time.Duration, error) {
				d, y, err := z.Prove(x)
				if err == nil && !slices.Equal(y, tr.Y[0]) {
					err = fmt.Errorf("zkinfer output %v, reference %v", y, tr.Y[0])
				}
				return d, err
			}, nil
		}})
		mlpCase = &todo[len(todo)-1]
	}

	need := 0
	for _, p := range todo {
		need = max(need, p.comp.Constraints+p.comp.Public+1)
	}
	if len(todo) == 0 {
		rep.LoadAvg = append(rep.LoadAvg, LoadAvg())
		return rep, nil
	}
	rep.PtauPow = max(bits.Len(uint(need-1)), 4)
	// A larger powers-of-tau file in Work serves too (snarkjs takes the
	// sections of the circuit's size).
	for p := rep.PtauPow; p <= 20; p++ {
		if _, err := os.Stat(filepath.Join(cfg.Work, fmt.Sprintf("pot%d.ptau", p))); err == nil {
			rep.PtauPow = p
			break
		}
	}
	ptau := filepath.Join(cfg.Work, fmt.Sprintf("pot%d.ptau", rep.PtauPow))
	// The powers of tau are kept in Work and reused; ptau.json beside them
	// keeps how long they took to make.
	var t Timed
	if _, err := os.Stat(ptau); err != nil {
		cfg.logf("powers of tau 2^%d (snarkjs, local)", rep.PtauPow)
		if err := cfg.Node.Run(&t, "ptau", strconv.Itoa(rep.PtauPow), ptau); err != nil {
			return nil, err
		}
		if b, err := json.Marshal(t); err == nil {
			_ = os.WriteFile(ptau+".json", b, 0o644)
		}
	} else if b, err := os.ReadFile(ptau + ".json"); err == nil {
		_ = json.Unmarshal(b, &t)
		rep.PtauReused = true
	}
	rep.PtauTime = ms(t.MS)

	sides := make([]side, len(todo))
	for i, p := range todo {
		cfg.logf("%s: setups", p.c.Name)
		zk, err := p.setup()
		if err != nil {
			return nil, err
		}
		s, err := cfg.Node.Setup(p.comp, ptau)
		if err != nil {
			return nil, err
		}
		p.c.SnarkSetup = s.Setup
		sides[i] = side{zk: zk, snark: s, input: p.input}
		rep.Cases = append(rep.Cases, p.c)
		// Warm-up, untimed: also checks the circom output against the reference.
		if _, err := zk(); err != nil {
			return nil, fmt.Errorf("%s: zkinfer: %w", p.c.Name, err)
		}
		pr, err := cfg.Node.Prove(s, p.input)
		if err != nil {
			return nil, err
		}
		if mlpCase != nil && p.c == mlpCase.c {
			rep.MLPOutputMatches = len(pr.Public) >= len(rep.MLPOutput)
			for j, y := range rep.MLPOutput {
				if rep.MLPOutputMatches && pr.Public[j] != strconv.FormatInt(y, 10) {
					rep.MLPOutputMatches = false
				}
			}
			if !rep.MLPOutputMatches {
				return nil, fmt.Errorf("circom MLP output %v differs from zkinfer's reference %v", pr.Public[:min(len(pr.Public), len(rep.MLPOutput))], rep.MLPOutput)
			}
		}
	}

	for r := range cfg.Reps {
		for i, c := range rep.Cases {
			runZk := func() error {
				d, err := sides[i].zk()
				c.Zkinfer = append(c.Zkinfer, d)
				return err
			}
			runSnark := func() error {
				p, err := cfg.Node.Prove(sides[i].snark, sides[i].input)
				if err != nil {
					return err
				}
				c.Snark = append(c.Snark, ms(p.TotalMS))
				c.SnarkWitness = append(c.SnarkWitness, ms(p.WitnessMS))
				c.SnarkProve = append(c.SnarkProve, ms(p.ProveMS))
				return nil
			}
			order := []func() error{runZk, runSnark}
			if r%2 == 1 {
				order[0], order[1] = order[1], order[0]
			}
			for _, f := range order {
				if err := f(); err != nil {
					return nil, fmt.Errorf("%s, round %d: %w", c.Name, r+1, err)
				}
			}
			cfg.logf("round %d %s: zkinfer %v, snarkjs %v", r+1, c.Name, c.Zkinfer[r].Round(time.Millisecond), c.Snark[r].Round(time.Millisecond))
		}
		rep.LoadAvg = append(rep.LoadAvg, LoadAvg())
	}
	return rep, nil
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// Min and Median of a non-empty sample.
func Min(d []time.Duration) time.Duration { return slices.Min(d) }

// Median is the middle value (the mean of the two middle ones for an even count).
func Median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

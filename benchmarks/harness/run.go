package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	fcs "github.com/consensys/gnark/frontend/cs"

	"github.com/zkinfer/zkinfer/circuits"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// Options tune a run.
type Options struct {
	Stages Stages
	// MaxConstraints skips proving (and SCS counting) of circuits with more
	// R1CS constraints; 0 means no limit.
	MaxConstraints int
	// ExtrapolateAbove counts models with more blocks than this from the 1-
	// and 2-block models (every block has the same shape, so the same cost)
	// instead of compiling them whole; the result is marked as an estimate.
	// 0 means never.
	ExtrapolateAbove int
	// SumParts names configurations counted as the sum of their sub-layers,
	// each compiled on its own (an estimate, for circuits too large to
	// compile whole in this machine's memory); they are not proven.
	SumParts map[string]bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// GasTimeout bounds the Solidity compile and the chain calls.
	GasTimeout time.Duration
}

// Result holds what was measured for one configuration. Times are seconds
// of wall clock; a zero means "not measured" (see Stages and Skipped).
type Result struct {
	Config
	DHidden int      `json:"d_hidden"`
	Stages  []string `json:"stages"`

	ConstraintsR1CS int `json:"constraints_r1cs"`
	// R1CSEstimate says how ConstraintsR1CS was obtained when the model was
	// not compiled whole; empty when it was.
	R1CSEstimate   string  `json:"r1cs_estimate,omitempty"`
	Wires          int     `json:"wires,omitempty"`
	PublicInputs   int     `json:"public_inputs"`
	Breakdown      []Part  `json:"breakdown,omitempty"`
	CompileS       float64 `json:"compile_s"`
	BreakdownS     float64 `json:"breakdown_s,omitempty"`
	ConstraintsSCS int     `json:"constraints_scs,omitempty"`
	SCSCompileS    float64 `json:"scs_compile_s,omitempty"`

	SetupS     float64 `json:"setup_s,omitempty"`
	WitnessS   float64 `json:"witness_s,omitempty"`
	ProveS     float64 `json:"prove_s,omitempty"`
	VerifyS    float64 `json:"verify_s,omitempty"`
	ProofBytes int     `json:"proof_bytes,omitempty"`
	// PKBytes and VKBytes are the sizes of the Groth16 keys as zkinfer
	// writes them (WriteRawTo: uncompressed points).
	PKBytes          int64   `json:"pk_bytes,omitempty"`
	VKBytes          int64   `json:"vk_bytes,omitempty"`
	ProvePeakHeapMiB float64 `json:"prove_peak_heap_mib,omitempty"`
	Floor            *Floor  `json:"floor,omitempty"`
	ProveOverFloor   float64 `json:"prove_over_floor,omitempty"`

	CalldataBytes int    `json:"calldata_bytes,omitempty"`
	VerifyGas     uint64 `json:"verify_gas,omitempty"`
	DeployGas     uint64 `json:"deploy_gas,omitempty"`

	PeakHeapMiB float64 `json:"peak_heap_mib"`
	PeakRSSMiB  float64 `json:"peak_rss_mib"`
	// RSSIsProcessPeak is true when the peak RSS could not be reset per
	// configuration: it is then the process's peak so far.
	RSSIsProcessPeak bool `json:"rss_is_process_peak,omitempty"`

	Skipped []string `json:"skipped,omitempty"`
	Errors  []string `json:"errors,omitempty"`

	Machine    Machine `json:"machine"`
	LoadStart  float64 `json:"load1_start"`
	LoadEnd    float64 `json:"load1_end"`
	MeasuredAt string  `json:"measured_at"`
	ElapsedS   float64 `json:"elapsed_s"`
}

type logProgress struct {
	w    io.Writer
	name string
}

func (p logProgress) Start(stage string) func() {
	t0 := time.Now()
	fmt.Fprintf(p.w, "zkbench: %s: %s…\n", p.name, stage)
	return func() {
		fmt.Fprintf(p.w, "zkbench: %s: %s done in %s\n", p.name, stage, time.Since(t0).Round(time.Millisecond))
	}
}

func (p logProgress) logf(format string, args ...any) {
	fmt.Fprintf(p.w, "zkbench: %s: "+format+"\n", append([]any{p.name}, args...)...)
}

// Run measures one configuration. A failing stage is recorded in
// Result.Errors and the stages that need it are skipped; the error returned
// is only for a configuration that cannot be measured at all.
func Run(cfg Config, opt Options) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	if opt.GasTimeout == 0 {
		opt.GasTimeout = 10 * time.Minute
	}
	p := logProgress{w: opt.Log, name: cfg.Name}
	runtime.GC()
	debug.FreeOSMemory()
	r := &Result{Config: cfg, DHidden: 4 * cfg.DModel, Machine: ThisMachine(), LoadStart: Load1(), MeasuredAt: time.Now().UTC().Format(time.RFC3339)}
	for _, s := range []string{StageCount, StageSCS, StageProve, StageGas} {
		if opt.Stages[s] {
			r.Stages = append(r.Stages, s)
		}
	}
	r.RSSIsProcessPeak = !ResetPeakRSS()
	peakHeap := WatchHeap()
	t0 := time.Now()
	defer func() {
		r.PeakHeapMiB = mib(peakHeap())
		r.PeakRSSMiB = float64(MaxRSS()) / (1 << 20)
		r.LoadEnd = Load1()
		r.ElapsedS = time.Since(t0).Seconds()
	}()

	extrapolate := opt.ExtrapolateAbove > 0 && cfg.Blocks > opt.ExtrapolateAbove
	if extrapolate {
		if err := estimateR1CS(cfg, r, p); err != nil {
			return r, err
		}
		if opt.Stages[StageProve] || opt.Stages[StageSCS] {
			r.Skipped = append(r.Skipped, fmt.Sprintf("scs/prove: %d blocks counted by extrapolation (--extrapolate-above %d)", cfg.Blocks, opt.ExtrapolateAbove))
		}
		return r, nil
	}

	done := p.Start("building random model")
	m, tr, err := RandomTrace(cfg.Quant())
	done()
	if err != nil {
		return r, fmt.Errorf("%s: %w", cfg.Name, err)
	}
	if opt.SumParts[cfg.Name] {
		return r, sumParts(m, r, opt, p)
	}
	t1 := time.Now()
	c, err := prover.Compile(m, p)
	if err != nil {
		return r, fmt.Errorf("%s: %w", cfg.Name, err)
	}
	r.CompileS = time.Since(t1).Seconds()
	r.ConstraintsR1CS = c.Header.Constraints
	internal, secret, public := c.CS.GetNbVariables()
	r.Wires = internal + secret + public
	r.PublicInputs = public - 1 // gnark's constant one wire is not an input
	p.logf("%d R1CS constraints, %d wires, compiled in %.1fs", r.ConstraintsR1CS, r.Wires, r.CompileS)

	if opt.Stages[StageCount] {
		done := p.Start("sub-layer breakdown")
		t1 := time.Now()
		parts, err := Breakdown(m)
		done()
		if err != nil {
			r.Errors = append(r.Errors, err.Error())
		} else {
			r.Breakdown = WithRest(parts, cfg.Blocks, r.ConstraintsR1CS)
			r.BreakdownS = time.Since(t1).Seconds()
		}
	}
	tooBig := opt.MaxConstraints > 0 && r.ConstraintsR1CS > opt.MaxConstraints
	if opt.Stages[StageSCS] {
		if tooBig {
			r.Skipped = append(r.Skipped, fmt.Sprintf("scs: %d R1CS constraints > --max-constraints %d", r.ConstraintsR1CS, opt.MaxConstraints))
		} else {
			t1 := time.Now()
			sc, err := prover.Compile(m, p, prover.WithBackend(prover.BackendPLONK))
			if err != nil {
				r.Errors = append(r.Errors, err.Error())
			} else {
				r.SCSCompileS = time.Since(t1).Seconds()
				r.ConstraintsSCS = sc.Header.Constraints
				p.logf("%d SCS constraints", r.ConstraintsSCS)
			}
		}
	}
	if !opt.Stages[StageProve] {
		return r, nil
	}
	if tooBig {
		r.Skipped = append(r.Skipped, fmt.Sprintf("prove: %d R1CS constraints > --max-constraints %d", r.ConstraintsR1CS, opt.MaxConstraints))
		return r, nil
	}
	if err := prove(c, m, tr, r, opt, p); err != nil {
		r.Errors = append(r.Errors, err.Error())
	}
	return r, nil
}

// estimateR1CS counts the 1- and 2-block models and extrapolates linearly:
// the blocks of a model all have the same shape and so the same cost, the
// rest (embedding binding, final LayerNorm, tables) is paid once.
func estimateR1CS(cfg Config, r *Result, p logProgress) error {
	var counts [2]int
	for i := range counts {
		c := cfg
		c.Blocks = i + 1
		done := p.Start(fmt.Sprintf("building and compiling the %d-block model", c.Blocks))
		m, _, err := RandomQuantized(c.Quant(), 2)
		if err != nil {
			done()
			return fmt.Errorf("%s: %w", cfg.Name, err)
		}
		cc, err := prover.Compile(m, nil)
		done()
		if err != nil {
			return fmt.Errorf("%s: %w", cfg.Name, err)
		}
		counts[i] = cc.Header.Constraints
		if i == 0 {
			_, _, public := cc.CS.GetNbVariables()
			r.PublicInputs = public - 1
			if r.Stages != nil && contains(r.Stages, StageCount) {
				parts, err := Breakdown(m)
				if err != nil {
					r.Errors = append(r.Errors, err.Error())
				} else {
					r.Breakdown = parts
				}
			}
		}
	}
	per := counts[1] - counts[0]
	r.ConstraintsR1CS = counts[0] + (cfg.Blocks-1)*per
	r.R1CSEstimate = fmt.Sprintf("extrapolated: 1 block %d + %d × %d per further block (2 blocks: %d)", counts[0], cfg.Blocks-1, per, counts[1])
	if r.Breakdown != nil {
		r.Breakdown = WithRest(r.Breakdown, cfg.Blocks, r.ConstraintsR1CS)
	}
	p.logf("~%d R1CS constraints (%s)", r.ConstraintsR1CS, r.R1CSEstimate)
	return nil
}

// sumParts counts m as the sum of its sub-layers compiled one by one.
func sumParts(m *quant.Model, r *Result, opt Options, p logProgress) error {
	done := p.Start("sub-layer breakdown (no whole compile)")
	t0 := time.Now()
	parts, err := Breakdown(m)
	done()
	if err != nil {
		return fmt.Errorf("%s: %w", r.Name, err)
	}
	r.BreakdownS = time.Since(t0).Seconds()
	for _, pt := range parts {
		if pt.PerBlock {
			r.ConstraintsR1CS += r.Blocks * pt.Constraints
		} else {
			r.ConstraintsR1CS += pt.Constraints
		}
	}
	r.Breakdown = parts
	r.R1CSEstimate = "sum of the sub-layers compiled one by one (each pays its own range-check and table overhead; the io binding is left out)"
	p.logf("~%d R1CS constraints (%s)", r.ConstraintsR1CS, r.R1CSEstimate)
	if opt.Stages[StageProve] || opt.Stages[StageSCS] {
		r.Skipped = append(r.Skipped, "scs/prove: counted by sub-layers only (--sum-parts)")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// prove runs the Groth16 pipeline on c: dev setup, witness, prove, verify,
// the MSM+FFT floor and, if asked, verify gas.
func prove(c *prover.Circuit, m *quant.Model, tr *quant.Trace, r *Result, opt Options, p logProgress) error {
	t0 := time.Now()
	keys, err := prover.SetupDev(c, p)
	if err != nil {
		return err
	}
	r.SetupS = time.Since(t0).Seconds()
	if r.PKBytes, r.VKBytes, err = keySizes(keys.PK, keys.VK); err != nil {
		return err
	}
	p.logf("setup %.1fs, proving key %.1f MiB, verifying key %d bytes", r.SetupS, float64(r.PKBytes)/(1<<20), r.VKBytes)

	done := p.Start("witness (assignment and solve)")
	t0 = time.Now()
	err = solveWitness(c, m, tr)
	r.WitnessS = time.Since(t0).Seconds()
	done()
	if err != nil {
		return err
	}

	runtime.GC()
	heap := WatchHeap()
	t0 = time.Now()
	proof, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, p)
	r.ProveS = time.Since(t0).Seconds()
	r.ProvePeakHeapMiB = mib(heap())
	if err != nil {
		return err
	}
	t0 = time.Now()
	if err := prover.Verify(keys.VK, proof.Proof, proof.Public); err != nil {
		return err
	}
	r.VerifyS = time.Since(t0).Seconds()
	var buf bytes.Buffer
	if _, err := proof.Proof.WriteTo(&buf); err != nil {
		return err
	}
	r.ProofBytes = buf.Len()
	p.logf("prove %.2fs, verify %.1fms, proof %d bytes", r.ProveS, r.VerifyS*1e3, r.ProofBytes)

	pk, ok := keys.PK.(*groth16bn254.ProvingKey)
	if !ok {
		return fmt.Errorf("floor: proving key is %T, want a BN254 Groth16 key", keys.PK)
	}
	done = p.Start("MSM+FFT floor")
	r.Floor, err = MeasureFloor(pk)
	done()
	if err != nil {
		return err
	}
	r.ProveOverFloor = r.ProveS / r.Floor.TotalS
	p.logf("floor %.2fs (G1 MSMs %.2fs, G2 MSM %.2fs, FFTs %.2fs): prove/floor %.2f", r.Floor.TotalS, r.Floor.MSMG1S, r.Floor.MSMG2S, r.Floor.FFTS, r.ProveOverFloor)

	if opt.Stages[StageGas] {
		if err := gas(keys.VK, proof, r, opt, p); err != nil {
			return fmt.Errorf("gas: %w", err)
		}
	}
	return nil
}

// solveWitness builds the full witness and solves the constraint system,
// the work the prover does before its MSMs. The BSB22 commitment hint,
// which the prover replaces by a Pedersen commitment, gets a stand-in value:
// a random value, as the challenges derived from it must avoid the
// lookups' poles.
func solveWitness(c *prover.Circuit, m *quant.Model, tr *quant.Trace) error {
	a, err := circuits.Assignment(m, tr, c.Header.IO(), modelio.Salts{})
	if err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	if err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	standIn := func(mod *big.Int, _, out []*big.Int) error {
		for i := range out {
			v, err := rand.Int(rand.Reader, mod)
			if err != nil {
				return err
			}
			out[i].Set(v)
		}
		return nil
	}
	if _, err := c.CS.Solve(w, solver.OverrideHint(solver.GetHintID(fcs.Bsb22CommitmentComputePlaceholder), standIn)); err != nil {
		return fmt.Errorf("witness: solve: %w", err)
	}
	return nil
}

// gas deploys the generated Solidity verifier on the simulated chain and
// records the gas of one verifyProof transaction.
func gas(vk prover.VerifyingKey, proof *prover.Proof, r *Result, opt Options, p logProgress) error {
	gvk, ok := vk.(groth16.VerifyingKey)
	if !ok {
		return fmt.Errorf("verifying key is %T", vk)
	}
	gproof, ok := proof.Proof.(groth16.Proof)
	if !ok {
		return fmt.Errorf("proof is %T", proof.Proof)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opt.GasTimeout)
	defer cancel()
	done := p.Start("verify gas (solc + simulated chain)")
	defer done()
	var src bytes.Buffer
	if err := contracts.ExportVerifier(gvk, &src); err != nil {
		return err
	}
	comp, err := contracts.Compile(ctx, src.Bytes(), "Verifier")
	if err != nil {
		return err
	}
	chain, err := contracts.NewSimulatedChain()
	if err != nil {
		return err
	}
	defer chain.Close()
	addr, deployGas, err := chain.Deploy(ctx, comp)
	if err != nil {
		return err
	}
	inputs, ok := proof.Public.Vector().(fr.Vector)
	if !ok {
		return errors.New("public witness is not a BN254 vector")
	}
	accepted, used, err := chain.VerifyGroth16(ctx, comp, addr, gproof, inputs)
	if err != nil {
		return err
	}
	if !accepted {
		return errors.New("the verifier contract rejected the proof")
	}
	calldata, _, err := contracts.Groth16Calldata(gproof, inputs)
	if err != nil {
		return err
	}
	r.VerifyGas, r.DeployGas, r.CalldataBytes = used, deployGas, len(calldata)
	return nil
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// keySizes returns the bytes WriteRawTo writes for the two keys, without
// keeping them.
func keySizes(pk prover.ProvingKey, vk prover.VerifyingKey) (int64, int64, error) {
	type rawWriter interface {
		WriteRawTo(io.Writer) (int64, error)
	}
	size := func(k any) (int64, error) {
		w, ok := k.(rawWriter)
		if !ok {
			return 0, fmt.Errorf("key sizes: %T has no WriteRawTo", k)
		}
		return w.WriteRawTo(io.Discard)
	}
	pkb, err := size(pk)
	if err != nil {
		return 0, 0, err
	}
	vkb, err := size(vk)
	return pkb, vkb, err
}

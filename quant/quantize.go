package quant

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// Scales are the fixed-point fractions chosen by calibration: a value r of a
// tensor with fraction f is held as round(r·2^f).
type Scales struct {
	// StreamFrac is the fraction of the residual stream: the input x and the output y (ffn).
	StreamFrac int `json:"stream_frac,omitempty"`
	// HiddenFrac is the fraction of the hidden activation h (ffn).
	HiddenFrac int `json:"hidden_frac,omitempty"`
	// GPT2 holds the formats of a gpt2 model.
	GPT2 *GPT2Scales `json:"gpt2,omitempty"`
	// Graph holds the fractions of a graph model's values.
	Graph *GraphScales `json:"graph,omitempty"`
}

// Validate checks the fractions are within bounds.
func (s Scales) Validate() error {
	if s.GPT2 != nil {
		return s.GPT2.Validate()
	}
	if s.Graph != nil {
		if len(s.Graph.Fracs) == 0 || len(s.Graph.Fracs) > MaxGraphValues {
			return fmt.Errorf("%w: graph scales hold %d fractions", ErrValidation, len(s.Graph.Fracs))
		}
		for id, f := range s.Graph.Fracs {
			if f < MinFrac || f > MaxFrac {
				return fmt.Errorf("%w: value %d: frac %d, want %d..%d", ErrRange, id, f, MinFrac, MaxFrac)
			}
		}
		if len(s.Graph.Inner) > MaxGraphNodes {
			return fmt.Errorf("%w: graph scales hold inner fractions of %d nodes", ErrValidation, len(s.Graph.Inner))
		}
		for name, fs := range s.Graph.Inner {
			if len(fs) > 8 {
				return fmt.Errorf("%w: node %q: %d inner fractions, at most 8", ErrValidation, name, len(fs))
			}
			for _, f := range fs {
				if f < MinFrac || f > MaxFrac {
					return fmt.Errorf("%w: node %q: inner frac %d, want %d..%d", ErrRange, name, f, MinFrac, MaxFrac)
				}
			}
		}
		return nil
	}
	for name, f := range map[string]int{"stream_frac": s.StreamFrac, "hidden_frac": s.HiddenFrac} {
		if f < MinFrac || f > MaxFrac {
			return fmt.Errorf("%w: %s = %d, want %d..%d", ErrRange, name, f, MinFrac, MaxFrac)
		}
	}
	return nil
}

// Dense is an int8 linear layer with constant weights followed by
// requantization: out[j] = clamp(floor((acc[j]·Mult[j] + 2^(Shift-1)) / 2^Shift), Lo, Hi)
// with acc[j] = Σ_i in[i]·W[i·Out+j] + B[j].
type Dense struct {
	In    int     `json:"in"`
	Out   int     `json:"out"`
	W     []int8  `json:"-"`
	B     []int64 `json:"bias"`
	Mult  []int64 `json:"mult"`
	Shift uint    `json:"shift"`
	Lo    int64   `json:"lo"`
	Hi    int64   `json:"hi"`
}

// MarshalJSON writes the weights as a plain list of integers.
func (d Dense) MarshalJSON() ([]byte, error) {
	w := make([]int, len(d.W))
	for i, v := range d.W {
		w[i] = int(v)
	}
	type plain Dense
	return json.Marshal(struct {
		plain
		W []int `json:"weight"`
	}{plain(d), w})
}

// UnmarshalJSON reads weights written by MarshalJSON, rejecting non-int8 values.
func (d *Dense) UnmarshalJSON(data []byte) error {
	type plain Dense
	var aux struct {
		plain
		W []int64 `json:"weight"`
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	*d = Dense(aux.plain)
	d.W = make([]int8, len(aux.W))
	for i, v := range aux.W {
		if v < Int8Min || v > Int8Max {
			return fmt.Errorf("%w: weight %d = %d is not int8", ErrRange, i, v)
		}
		d.W[i] = int8(v)
	}
	return nil
}

// AccBound returns an upper bound of |acc[j]| over every int8 input.
func (d *Dense) AccBound(j int) int64 {
	var s int64
	for i := 0; i < d.In; i++ {
		s += abs64(int64(d.W[i*d.Out+j]))
	}
	return s*128 + abs64(d.B[j])
}

// Validate checks shapes and that no intermediate can overflow int64 or the
// circuit's range checks.
func (d *Dense) Validate(name string) error {
	if d.In < 1 || d.In > MaxDim || d.Out < 1 || d.Out > MaxDim {
		return fmt.Errorf("%w: layer %s: shape %d×%d out of bounds", ErrShape, name, d.In, d.Out)
	}
	if len(d.W) != d.In*d.Out || len(d.B) != d.Out || len(d.Mult) != d.Out {
		return fmt.Errorf("%w: layer %s: weight/bias/mult lengths %d/%d/%d, want %d/%d/%d", ErrShape, name, len(d.W), len(d.B), len(d.Mult), d.In*d.Out, d.Out, d.Out)
	}
	if d.Shift > MaxShift {
		return fmt.Errorf("%w: layer %s: shift %d > %d", ErrRange, name, d.Shift, MaxShift)
	}
	if d.Lo < Int8Min || d.Hi > Int8Max || d.Lo >= d.Hi {
		return fmt.Errorf("%w: layer %s: clamp bounds [%d, %d] not within int8", ErrRange, name, d.Lo, d.Hi)
	}
	for j := 0; j < d.Out; j++ {
		if d.B[j] < Int32Min || d.B[j] > Int32Max {
			return fmt.Errorf("%w: layer %s: bias %d = %d is not int32", ErrRange, name, j, d.B[j])
		}
		if d.Mult[j] < 0 || d.Mult[j] >= MaxMultiplier {
			return fmt.Errorf("%w: layer %s: multiplier %d = %d, want 0..%d", ErrRange, name, j, d.Mult[j], MaxMultiplier-1)
		}
	}
	return nil
}

// Apply computes the accumulators and the requantized outputs of one vector.
func (d *Dense) Apply(in []int64) (acc, out []int64) {
	acc = make([]int64, d.Out)
	out = make([]int64, d.Out)
	for j := 0; j < d.Out; j++ {
		a := d.B[j]
		for i := 0; i < d.In; i++ {
			a += in[i] * int64(d.W[i*d.Out+j])
		}
		acc[j] = a
		out[j] = Requantize(a, d.Mult[j], d.Shift, d.Lo, d.Hi)
	}
	return acc, out
}

// Model is a quantized feed-forward block: the integers and scales that both
// the reference forward pass and the circuit use.
type Model struct {
	Version int    `json:"version"`
	Config  Config `json:"config"`
	Scales  Scales `json:"scales"`
	// ffn
	FC   Dense `json:"c_fc"`
	Proj Dense `json:"c_proj"`
	// gpt2
	Blocks    []Block    `json:"blocks,omitempty"`
	LNF       *LayerNorm `json:"ln_f,omitempty"`
	ExpTable  []int64    `json:"exp_table,omitempty"`
	GELUTable []int64    `json:"gelu_table,omitempty"`
	// graph
	Graph *Graph `json:"graph,omitempty"`
}

// ModelVersion is the format version of a quantized model file.
const ModelVersion = 1

// Validate checks a quantized model (e.g. one read from a file).
func (m *Model) Validate() error {
	if m.Version != ModelVersion {
		return fmt.Errorf("%w: quantized model version %d (this build reads %d)", ErrUnsupportedVersion, m.Version, ModelVersion)
	}
	if err := m.Config.Validate(); err != nil {
		return err
	}
	if m.Config.Architecture == ArchitectureGraph {
		return m.validateGraph()
	}
	if m.Graph != nil {
		return fmt.Errorf("%w: %s model sets graph, used by graph models only (leave it out)", ErrValidation, m.Config.Architecture)
	}
	if err := m.validateApplicable(); err != nil {
		return err
	}
	if err := m.Scales.Validate(); err != nil {
		return err
	}
	c := m.Config
	if c.Architecture == ArchitectureGPT2 {
		return m.validateGPT2()
	}
	if m.FC.In != c.DModel || m.FC.Out != c.DHidden || m.Proj.In != c.DHidden || m.Proj.Out != c.DModel {
		return fmt.Errorf("%w: layer shapes %d×%d, %d×%d do not match config d_model=%d d_hidden=%d", ErrShape, m.FC.In, m.FC.Out, m.Proj.In, m.Proj.Out, c.DModel, c.DHidden)
	}
	if err := m.FC.Validate("c_fc"); err != nil {
		return err
	}
	if m.FC.Lo != 0 {
		return fmt.Errorf("%w: layer c_fc: ReLU is fused, lower clamp bound must be 0, got %d", ErrRange, m.FC.Lo)
	}
	return m.Proj.Validate("c_proj")
}

// validateApplicable refuses fields of the other architecture: Encode
// leaves them out, so were they allowed, one commitment would cover models
// that differ in them (e.g. an ffn model whose gpt2 scales change what its
// output means).
func (m *Model) validateApplicable() error {
	other := ArchitectureGPT2
	var set []string
	if m.Config.Architecture == ArchitectureGPT2 {
		other = ArchitectureFFN
		if m.Scales.StreamFrac != 0 {
			set = append(set, "scales.stream_frac")
		}
		if m.Scales.HiddenFrac != 0 {
			set = append(set, "scales.hidden_frac")
		}
		if !m.FC.isZero() {
			set = append(set, "c_fc")
		}
		if !m.Proj.isZero() {
			set = append(set, "c_proj")
		}
	} else {
		if m.Scales.GPT2 != nil {
			set = append(set, "scales.gpt2")
		}
		if len(m.Blocks) != 0 {
			set = append(set, "blocks")
		}
		if m.LNF != nil {
			set = append(set, "ln_f")
		}
		if len(m.ExpTable) != 0 {
			set = append(set, "exp_table")
		}
		if len(m.GELUTable) != 0 {
			set = append(set, "gelu_table")
		}
	}
	if len(set) > 0 {
		return fmt.Errorf("%w: %s model sets %s, used by %s models only (leave it out)", ErrValidation, m.Config.Architecture, strings.Join(set, ", "), other)
	}
	return nil
}

func (d *Dense) isZero() bool {
	return d.In == 0 && d.Out == 0 && len(d.W) == 0 && len(d.B) == 0 && len(d.Mult) == 0 && d.Shift == 0 && d.Lo == 0 && d.Hi == 0
}

// Digest is the SHA-256 of the canonical JSON encoding of the quantized
// model: it identifies the exact integers a proof is about.
func (m *Model) Digest() (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// ParseModelJSON decodes and validates a quantized model file.
func ParseModelJSON(data []byte) (*Model, error) {
	var m Model
	if err := decodeStrict(data, &m); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// LoadQuantized reads a quantized model file.
func LoadQuantized(path string) (*Model, error) {
	data, err := readFileLimited(path, MaxJSONFileSize)
	if err != nil {
		return nil, err
	}
	m, err := ParseModelJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Quantize turns a float model into integers at the given scales.
func Quantize(fm *FloatModel, s Scales) (*Model, error) {
	return QuantizeWith(fm, s, Requantizer{})
}

// QuantizeWith is Quantize with the requantization shifts chosen by r
// (NewRequantizer: a Precision, and where to record what each
// requantization got).
func QuantizeWith(fm *FloatModel, s Scales, r Requantizer) (*Model, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := r.Precision.Validate(); err != nil {
		return nil, err
	}
	cfg := fm.Config
	if cfg.Architecture == ArchitectureGPT2 {
		return quantizeGPT2(fm, s, r)
	}
	if cfg.Architecture == ArchitectureGraph {
		return quantizeGraph(fm, s, r)
	}
	fc, err := r.Node("c_fc").quantizeDense(fm.W1.RawMatrix().Data, fm.B1, cfg.DModel, cfg.DHidden, s.StreamFrac, fixed(s.HiddenFrac), 0)
	if err != nil {
		return nil, fmt.Errorf("c_fc: %w", err)
	}
	proj, err := r.Node("c_proj").quantizeDense(fm.W2.RawMatrix().Data, fm.B2, cfg.DHidden, cfg.DModel, s.HiddenFrac, fixed(s.StreamFrac), Int8Min)
	if err != nil {
		return nil, fmt.Errorf("c_proj: %w", err)
	}
	m := &Model{Version: ModelVersion, Config: cfg, Scales: s, FC: *fc, Proj: *proj}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// quantizeDense quantizes w[in][out] per output channel (symmetric int8),
// the bias at accumulator scale, and the multipliers that map the
// accumulator (scale 2^-inFrac·s_w) to the output scale 2^-outFrac.
func (r Requantizer) quantizeDense(w, b []float64, in, out, inFrac int, outFrac func(j int) int, lo int64) (*Dense, error) {
	d := &Dense{In: in, Out: out, W: make([]int8, in*out), B: make([]int64, out), Mult: make([]int64, out), Lo: lo, Hi: Int8Max}
	sw := make([]float64, out)
	ratio := make([]float64, out) // accumulator scale / output scale
	maxRatio := 0.0
	for j := 0; j < out; j++ {
		mx := 0.0
		for i := 0; i < in; i++ {
			mx = math.Max(mx, math.Abs(w[i*out+j]))
		}
		if mx == 0 {
			mx = 1
		}
		sw[j] = mx / Int8Max
		for i := 0; i < in; i++ {
			d.W[i*out+j] = int8(Clamp(int64(math.Round(w[i*out+j]/sw[j])), -Int8Max, Int8Max))
		}
		accScale := math.Ldexp(sw[j], -inFrac)
		d.B[j] = Clamp(int64(math.Round(b[j]/accScale)), Int32Min, Int32Max)
		ratio[j] = math.Ldexp(sw[j], outFrac(j)-inFrac)
		maxRatio = math.Max(maxRatio, ratio[j])
	}
	shift, err := r.Shift("", maxRatio)
	if err != nil {
		return nil, err
	}
	d.Shift = shift
	for j := range ratio {
		d.Mult[j] = int64(math.Round(math.Ldexp(ratio[j], int(shift))))
	}
	return d, nil
}

// fixed returns an outFrac function giving f for every channel.
func fixed(f int) func(int) int { return func(int) int { return f } }

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// QuantizeDense quantizes a float layer w[in][out] (row-major), b[out] for
// an input at inFrac and an output at outFrac, clamped to [lo, 127]: int8
// weights per output channel, int32 biases at accumulator scale, and the
// multipliers and shift of the requantization.
func QuantizeDense(w, b []float64, in, out, inFrac, outFrac int, lo int64) (*Dense, error) {
	return Requantizer{}.QuantizeDense(w, b, in, out, inFrac, outFrac, lo)
}

// FracFor returns the largest fraction f with maxAbs·2^f ≤ 127 within
// [MinFrac, MaxFrac]: the calibration rule of a requantized int8 tensor.
func FracFor(maxAbs float64) int { return fracFor(maxAbs) }

// FracForRange is the largest fraction at which maxAbs stays within
// ±limit (gpt2's and attention's logit format), clamped to MinFrac..MaxFrac.
func FracForRange(maxAbs, limit float64) int { return fracForRange(maxAbs, limit) }

// QuantizeRequant returns the multiplier and shift of a requantization by a
// positive ratio, as gpt2's attention chooses them.
func QuantizeRequant(ratio float64) (Requant, error) { return Requantizer{}.Requant("", ratio) }

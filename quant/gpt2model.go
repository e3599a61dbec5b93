package quant

import (
	"fmt"
	"math"
)

// GPT2Scales are the calibrated formats of a gpt2 model: the model-wide
// formats and, per block, the fraction of each int8 tensor.
type GPT2Scales struct {
	Formats GPT2Formats   `json:"formats"`
	Layers  []LayerScales `json:"layers"`
	// LNFFrac is ln_f's output fraction (the model output) when there is one.
	LNFFrac int `json:"ln_f_frac"`
}

// LayerScales are the fractions of one block's int8 tensors.
type LayerScales struct {
	LN1  int `json:"ln_1"`
	Q    int `json:"q"`
	K    int `json:"k"`
	V    int `json:"v"`
	Attn int `json:"attn"`
	LN2  int `json:"ln_2"`
}

// Validate checks every fraction is within bounds.
func (s *GPT2Scales) Validate() error {
	f := s.Formats
	fracs := []int{f.ResidualFrac, f.LogitFrac, f.GELUInFrac, f.GELUOutFrac, f.OutputFrac, s.LNFFrac}
	for _, l := range s.Layers {
		fracs = append(fracs, l.LN1, l.Q, l.K, l.V, l.Attn, l.LN2)
	}
	for _, v := range fracs {
		if v < MinFrac || v > MaxFrac {
			return fmt.Errorf("%w: fraction %d, want %d..%d", ErrRange, v, MinFrac, MaxFrac)
		}
	}
	if f.LogitBits < 4 || f.LogitBits > 14 {
		return fmt.Errorf("%w: logit_bits = %d, want 4..14", ErrRange, f.LogitBits)
	}
	return nil
}

func calibrateGPT2(fm *FloatModel, samples [][]float64, st *tensorStats) (Scales, error) {
	cfg := fm.Config
	d := cfg.DModel
	type maxes struct{ ln1, q, k, v, attn, ln2 float64 }
	layers := make([]maxes, cfg.NLayer)
	var resid, logits, fc, gelu, final float64
	for i, x := range samples {
		tr, err := fm.ForwardGPT2(x)
		if err != nil {
			return Scales{}, fmt.Errorf("sample %d: %w", i, err)
		}
		for _, v := range x {
			resid = math.Max(resid, math.Abs(v))
		}
		st.add("input", i, x)
		for l, b := range tr.Blocks {
			m := &layers[l]
			h := fmt.Sprintf("h.%d.", l)
			st.addMatrix(h+"ln_1", i, b.LN1)
			st.addMatrix(h+"attn.q", i, b.QKV.Slice(0, cfg.SeqLen, 0, d))
			st.addMatrix(h+"attn.k", i, b.QKV.Slice(0, cfg.SeqLen, d, 2*d))
			st.addMatrix(h+"attn.v", i, b.QKV.Slice(0, cfg.SeqLen, 2*d, 3*d))
			st.addMatrix(h+"attn", i, b.Attn)
			st.addMatrix(h+"ln_2", i, b.LN2)
			st.addMatrix(h+"residual (attn)", i, b.H)
			st.addMatrix(h+"residual (out)", i, b.Y)
			st.addMatrix(h+"attn.logits", i, b.Logits)
			st.addMatrix(h+"mlp.c_fc", i, b.FC)
			st.addMatrix(h+"mlp.gelu", i, b.GELU)
			m.ln1 = math.Max(m.ln1, maxAbs(b.LN1))
			m.q = math.Max(m.q, maxAbs(b.QKV.Slice(0, cfg.SeqLen, 0, d)))
			m.k = math.Max(m.k, maxAbs(b.QKV.Slice(0, cfg.SeqLen, d, 2*d)))
			m.v = math.Max(m.v, maxAbs(b.QKV.Slice(0, cfg.SeqLen, 2*d, 3*d)))
			m.attn = math.Max(m.attn, maxAbs(b.Attn))
			m.ln2 = math.Max(m.ln2, maxAbs(b.LN2))
			resid = math.Max(resid, math.Max(maxAbs(b.H), maxAbs(b.Y)))
			logits = math.Max(logits, maxAbs(b.Logits))
			fc = math.Max(fc, maxAbs(b.FC))
			gelu = math.Max(gelu, maxAbs(b.GELU))
		}
		final = math.Max(final, maxAbs(tr.Final))
		if fm.LNF != nil {
			st.addMatrix("ln_f", i, tr.Final)
		}
	}
	s := &GPT2Scales{Formats: GPT2Formats{
		ResidualFrac: fracFor(resid),
		LogitBits:    DefaultLogitBits,
		LogitFrac:    fracForRange(logits, float64(int(1)<<(DefaultLogitBits-1)-1)),
		GELUInFrac:   fracFor(fc),
		GELUOutFrac:  fracFor(gelu),
	}}
	for _, m := range layers {
		s.Layers = append(s.Layers, LayerScales{LN1: fracFor(m.ln1), Q: fracFor(m.q), K: fracFor(m.k), V: fracFor(m.v), Attn: fracFor(m.attn), LN2: fracFor(m.ln2)})
	}
	s.Formats.OutputFrac = s.Formats.ResidualFrac
	if fm.LNF != nil {
		s.LNFFrac = fracFor(final)
		s.Formats.OutputFrac = s.LNFFrac
	}
	sc := Scales{GPT2: s}
	return sc, sc.Validate()
}

// quantizeLN quantizes LayerNorm parameters for int8 input rows at inFrac
// and int8 output at outFrac, K and the shift chosen by r.
func (r Requantizer) quantizeLN(ln FloatLayerNorm, d, inFrac, outFrac int, eps float64) (*LayerNorm, error) {
	mg := 0.0
	for _, g := range ln.Gamma {
		mg = math.Max(mg, math.Abs(g))
	}
	if mg == 0 {
		mg = 1
	}
	sg := mg / Int8Max
	// The accumulator z·γq has real scale sg·sqrt(d)/2^K.
	accAt := func(k uint) float64 { return sg * math.Sqrt(float64(d)) / math.Ldexp(1, int(k)) }
	k, shift, err := r.Norm("", d, func(k uint) float64 { return math.Ldexp(accAt(k), outFrac) })
	if err != nil {
		return nil, err
	}
	q := &LayerNorm{D: d, Gamma: make([]int64, d), Beta: make([]int64, d), K: k}
	acc := accAt(k)
	for i := range ln.Gamma {
		q.Gamma[i] = Clamp(int64(math.Round(ln.Gamma[i]/sg)), -Int8Max, Int8Max)
		q.Beta[i] = Clamp(int64(math.Round(ln.Beta[i]/acc)), -(1 << (q.K + 10)), 1<<(q.K+10))
	}
	ratio := math.Ldexp(acc, outFrac)
	q.Shift = shift
	q.Mult = int64(math.Round(math.Ldexp(ratio, int(shift))))
	// ε in integer units: V = d³·var·4^inFrac.
	q.Eps = max(1, int64(math.Round(eps*math.Pow(float64(d), 3)*math.Ldexp(1, 2*inFrac))))
	return q, nil
}

func quantizeGPT2(fm *FloatModel, s Scales, r Requantizer) (*Model, error) {
	cfg := fm.Config
	gs := s.GPT2
	if gs == nil || len(gs.Layers) != cfg.NLayer {
		return nil, fmt.Errorf("%w: gpt2 scales for %d layers needed", ErrValidation, cfg.NLayer)
	}
	f := gs.Formats
	d, dh := cfg.DModel, cfg.HeadDim()
	m := &Model{Version: ModelVersion, Config: cfg, Scales: s,
		ExpTable: ExpTableFor(f.LogitFrac, f.LogitBits), GELUTable: ActivationTableFor(cfg.Activation, f.GELUInFrac, f.GELUOutFrac)}
	for l, fb := range fm.Blocks {
		ls := gs.Layers[l]
		var b Block
		var err error
		wrap := func(name string, e error) error {
			if e != nil && err == nil {
				err = fmt.Errorf("h.%d.%s: %w", l, name, e)
			}
			return err
		}
		ln1, e := r.Node(fmt.Sprintf("h.%d.ln_1", l)).quantizeLN(fb.LN1, d, f.ResidualFrac, ls.LN1, cfg.LayerNormEpsilon)
		wrap("ln_1", e)
		qkvFrac := func(j int) int { return []int{ls.Q, ls.K, ls.V}[j/d] }
		qkv, e := r.Node(fmt.Sprintf("h.%d.attn.c_attn", l)).quantizeDense(fb.AttnW.RawMatrix().Data, fb.AttnB, d, 3*d, ls.LN1, qkvFrac, Int8Min)
		wrap("attn.c_attn", e)
		b.Logit, e = r.Node(fmt.Sprintf("h.%d.attn", l)).Requant("logits", math.Ldexp(1/math.Sqrt(float64(dh)), f.LogitFrac-ls.Q-ls.K))
		wrap("attn.logits", e)
		b.AttnOut, e = r.Node(fmt.Sprintf("h.%d.attn", l)).Requant("out", math.Ldexp(1, ls.Attn-ProbFrac-ls.V))
		wrap("attn.out", e)
		proj, e := r.Node(fmt.Sprintf("h.%d.attn.c_proj", l)).quantizeDense(fb.AttnProjW.RawMatrix().Data, fb.AttnProjB, d, d, ls.Attn, fixed(f.ResidualFrac), Int8Min)
		wrap("attn.c_proj", e)
		ln2, e := r.Node(fmt.Sprintf("h.%d.ln_2", l)).quantizeLN(fb.LN2, d, f.ResidualFrac, ls.LN2, cfg.LayerNormEpsilon)
		wrap("ln_2", e)
		fc, e := r.Node(fmt.Sprintf("h.%d.mlp.c_fc", l)).quantizeDense(fb.FCW.RawMatrix().Data, fb.FCB, d, cfg.DHidden, ls.LN2, fixed(f.GELUInFrac), Int8Min)
		wrap("mlp.c_fc", e)
		mproj, e := r.Node(fmt.Sprintf("h.%d.mlp.c_proj", l)).quantizeDense(fb.ProjW.RawMatrix().Data, fb.ProjB, cfg.DHidden, d, f.GELUOutFrac, fixed(f.ResidualFrac), Int8Min)
		wrap("mlp.c_proj", e)
		if err != nil {
			return nil, err
		}
		b.LN1, b.QKV, b.AttnProj, b.LN2, b.FC, b.Proj = *ln1, *qkv, *proj, *ln2, *fc, *mproj
		m.Blocks = append(m.Blocks, b)
	}
	if fm.LNF != nil {
		lnf, err := r.Node("ln_f").quantizeLN(*fm.LNF, d, f.ResidualFrac, gs.LNFFrac, cfg.LayerNormEpsilon)
		if err != nil {
			return nil, fmt.Errorf("ln_f: %w", err)
		}
		m.LNF = lnf
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) validateGPT2() error {
	c := m.Config
	gs := m.Scales.GPT2
	if gs == nil || len(gs.Layers) != c.NLayer || len(m.Blocks) != c.NLayer {
		return fmt.Errorf("%w: gpt2 model needs scales and %d blocks", ErrShape, c.NLayer)
	}
	if c.FinalLayerNorm != (m.LNF != nil) {
		return fmt.Errorf("%w: final_layer_norm is %v but ln_f is %v", ErrShape, c.FinalLayerNorm, m.LNF != nil)
	}
	f := gs.Formats
	// The output format follows from ln_f: the commitment encodes it once
	// (as output_frac), so the copies must agree.
	if m.LNF == nil && gs.LNFFrac != 0 {
		return fmt.Errorf("%w: scales.gpt2.ln_f_frac = %d without ln_f (leave it out)", ErrValidation, gs.LNFFrac)
	}
	want, why := f.ResidualFrac, "without ln_f the output is the residual stream at residual_frac"
	if m.LNF != nil {
		want, why = gs.LNFFrac, "ln_f's output is at ln_f_frac"
	}
	if f.OutputFrac != want {
		return fmt.Errorf("%w: scales.gpt2.formats.output_frac = %d, but %s = %d", ErrValidation, f.OutputFrac, why, want)
	}
	if len(m.ExpTable) != 1<<f.LogitBits || len(m.GELUTable) != 256 {
		return fmt.Errorf("%w: exp table of %d entries (want %d), GELU table of %d (want 256)", ErrShape, len(m.ExpTable), 1<<f.LogitBits, len(m.GELUTable))
	}
	for i, v := range m.ExpTable {
		if v < 0 || v > 1<<ExpBits || (i > 0 && v > m.ExpTable[i-1]) {
			return fmt.Errorf("%w: exp table entry %d = %d (want a non-increasing table in [0, 2^%d])", ErrRange, i, v, ExpBits)
		}
	}
	if m.ExpTable[0] == 0 {
		return fmt.Errorf("%w: exp table entry 0 must be positive", ErrRange)
	}
	for i, v := range m.GELUTable {
		if v < Int8Min || v > Int8Max {
			return fmt.Errorf("%w: GELU table entry %d = %d is not int8", ErrRange, i, v)
		}
	}
	d, h := c.DModel, c.DHidden
	for l := range m.Blocks {
		b := &m.Blocks[l]
		p := fmt.Sprintf("h.%d.", l)
		for _, ln := range []struct {
			n  string
			ln *LayerNorm
		}{{"ln_1", &b.LN1}, {"ln_2", &b.LN2}} {
			if ln.ln.D != d {
				return fmt.Errorf("%w: %s%s has d = %d, want %d", ErrShape, p, ln.n, ln.ln.D, d)
			}
			if err := ln.ln.Validate(p + ln.n); err != nil {
				return err
			}
		}
		for _, dn := range []struct {
			n       string
			d       *Dense
			in, out int
		}{{"attn.c_attn", &b.QKV, d, 3 * d}, {"attn.c_proj", &b.AttnProj, d, d}, {"mlp.c_fc", &b.FC, d, h}, {"mlp.c_proj", &b.Proj, h, d}} {
			if dn.d.In != dn.in || dn.d.Out != dn.out {
				return fmt.Errorf("%w: %s%s is %d×%d, want %d×%d", ErrShape, p, dn.n, dn.d.In, dn.d.Out, dn.in, dn.out)
			}
			if err := dn.d.Validate(p + dn.n); err != nil {
				return err
			}
			if dn.d.Lo != Int8Min {
				return fmt.Errorf("%w: %s%s: clamp bounds must be int8", ErrRange, p, dn.n)
			}
		}
		for _, r := range []Requant{b.Logit, b.AttnOut} {
			if r.Mult < 0 || r.Mult >= MaxMultiplier || r.Shift > MaxShift {
				return fmt.Errorf("%w: %s attention requantization %d/%d out of range", ErrRange, p, r.Mult, r.Shift)
			}
		}
	}
	if m.LNF != nil {
		if m.LNF.D != d {
			return fmt.Errorf("%w: ln_f has d = %d, want %d", ErrShape, m.LNF.D, d)
		}
		return m.LNF.Validate("ln_f")
	}
	return nil
}

// BlockTrace holds every intermediate of one gpt2 block. Attention tensors
// are indexed [head][query i][key j ≤ i].
type BlockTrace struct {
	X, LN1, QKV [][]int64
	Logits      [][][]int64
	Max         [][]int64 // [head][i]
	Exps, Probs [][][]int64
	Sums        [][]int64 // [head][i]
	Attn, AProj [][]int64
	H, LN2, FC  [][]int64
	GELU, Proj  [][]int64
	Y           [][]int64
	LNRsqrt1    []int64 // per row
	LNRsqrt2    []int64
	AttnAccs    [][]int64 // P·V accumulators, seq × d
	LogitScores [][][]int64
}

// forwardGPT2 runs the integer GPT-2 stack on int8 rows (already checked).
func (m *Model) forwardGPT2(x [][]int64) *Trace {
	c := m.Config
	seq, d, nh, dh := c.SeqLen, c.DModel, c.NHead, c.HeadDim()
	lo, hi := m.Scales.GPT2.Formats.LogitRange()
	tr := &Trace{X: x}
	cur := x
	for _, b := range m.Blocks {
		bt := BlockTrace{X: cur}
		for i := 0; i < seq; i++ {
			bt.LN1 = append(bt.LN1, b.LN1.Apply(cur[i]))
			_, q := b.QKV.Apply(bt.LN1[i])
			bt.QKV = append(bt.QKV, q)
		}
		bt.Attn = make([][]int64, seq)
		bt.AttnAccs = make([][]int64, seq)
		for i := range bt.Attn {
			bt.Attn[i] = make([]int64, d)
			bt.AttnAccs[i] = make([]int64, d)
		}
		for hd := 0; hd < nh; hd++ {
			var scores, logits, exps, probs [][]int64
			var maxes, sums []int64
			for i := 0; i < seq; i++ {
				sc := make([]int64, i+1)
				lg := make([]int64, i+1)
				for j := 0; j <= i; j++ {
					for e := 0; e < dh; e++ {
						sc[j] += bt.QKV[i][hd*dh+e] * bt.QKV[j][d+hd*dh+e]
					}
					lg[j] = Requantize(sc[j], b.Logit.Mult, b.Logit.Shift, lo, hi)
				}
				p, mx, ex, sum := SoftmaxRow(lg, m.ExpTable)
				for e := 0; e < dh; e++ {
					var acc int64
					for j := 0; j <= i; j++ {
						acc += p[j] * bt.QKV[j][2*d+hd*dh+e]
					}
					bt.AttnAccs[i][hd*dh+e] = acc
					bt.Attn[i][hd*dh+e] = Requantize(acc, b.AttnOut.Mult, b.AttnOut.Shift, Int8Min, Int8Max)
				}
				scores, logits, exps, probs = append(scores, sc), append(logits, lg), append(exps, ex), append(probs, p)
				maxes, sums = append(maxes, mx), append(sums, sum)
			}
			bt.LogitScores = append(bt.LogitScores, scores)
			bt.Logits, bt.Exps, bt.Probs = append(bt.Logits, logits), append(bt.Exps, exps), append(bt.Probs, probs)
			bt.Max, bt.Sums = append(bt.Max, maxes), append(bt.Sums, sums)
		}
		for i := 0; i < seq; i++ {
			_, ap := b.AttnProj.Apply(bt.Attn[i])
			h := make([]int64, d)
			for k := range h {
				h[k] = ResidualAdd(cur[i][k], ap[k])
			}
			ln2 := b.LN2.Apply(h)
			_, fc := b.FC.Apply(ln2)
			g := make([]int64, len(fc))
			for k, v := range fc {
				g[k] = m.GELUTable[v-Int8Min]
			}
			_, pr := b.Proj.Apply(g)
			y := make([]int64, d)
			for k := range y {
				y[k] = ResidualAdd(h[k], pr[k])
			}
			bt.AProj, bt.H, bt.LN2 = append(bt.AProj, ap), append(bt.H, h), append(bt.LN2, ln2)
			bt.FC, bt.GELU, bt.Proj, bt.Y = append(bt.FC, fc), append(bt.GELU, g), append(bt.Proj, pr), append(bt.Y, y)
		}
		tr.GPT2 = append(tr.GPT2, bt)
		cur = bt.Y
	}
	tr.Y = cur
	if m.LNF != nil {
		tr.Y = nil
		for _, row := range cur {
			tr.Y = append(tr.Y, m.LNF.Apply(row))
		}
	}
	return tr
}

func (a *accuracy) addGPT2(m *Model, ft *GPT2FloatTrace, it *Trace) {
	gs, d, seq := m.Scales.GPT2, m.Config.DModel, m.Config.SeqLen
	for l, fb := range ft.Blocks {
		ib, ls, p := it.GPT2[l], gs.Layers[l], fmt.Sprintf("h.%d.", l)
		a.add(p+"ln_1", fb.LN1, ib.LN1, ls.LN1)
		a.add(p+"attn.q", fb.QKV.Slice(0, seq, 0, d), cols(ib.QKV, 0, d), ls.Q)
		a.add(p+"attn (softmax·V)", fb.Attn, ib.Attn, ls.Attn)
		a.add(p+"attn.c_proj", fb.AttnProj, ib.AProj, gs.Formats.ResidualFrac)
		a.add(p+"ln_2", fb.LN2, ib.LN2, ls.LN2)
		a.add(p+"mlp.c_fc", fb.FC, ib.FC, gs.Formats.GELUInFrac)
		a.add(p+"mlp.gelu", fb.GELU, ib.GELU, gs.Formats.GELUOutFrac)
		a.add(p+"mlp.c_proj", fb.Proj, ib.Proj, gs.Formats.ResidualFrac)
		a.add(p+"residual (y)", fb.Y, ib.Y, gs.Formats.ResidualFrac)
	}
	a.add("output", ft.Final, it.Y, m.OutputFrac())
}

func cols(v [][]int64, from, to int) [][]int64 {
	out := make([][]int64, len(v))
	for i, row := range v {
		out[i] = row[from:to]
	}
	return out
}

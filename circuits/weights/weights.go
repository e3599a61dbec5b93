// Package weights holds a model's parameters as private witnesses, for the
// hashed and public weight visibilities, and recomputes the model
// commitment (quant.Commit) from them in the circuit.
//
// # What is architecture and what is weights
//
// The circuit of a model with witness weights is built from the model's
// architecture only: the config (shapes, heads, layers, activation, ε), the
// calibrated fixed-point formats, every requantization shift and clamp
// bound, LayerNorm k and ε, the attention requantizations (which follow from
// the formats) and the exp and GELU tables (which follow from the formats
// too). Those are constants of the circuit and of the commitment encoding.
// Dense weights, biases and multipliers, and LayerNorm γ, β and multipliers
// are witnesses (quant.EncodeLayout marks exactly these elements). Two
// models therefore share one circuit, and one setup, when they have the same
// settings and the same shifts; a shift is chosen by calibration from a
// layer's largest weight ratio (quant.chooseShift), so weight sets of the
// same scale share it.
//
// # Cost
//
// Every weight is range-checked to int8 and packed 31 to a field element
// (quant.PackInt8) as a linear combination, so hashing costs one Poseidon2
// permutation per 31 weights; biases and multipliers are range-checked and
// hashed one per element.
package weights

import (
	"fmt"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/circuits/norm"
	"github.com/zkinfer/zkinfer/quant"
)

// Block is the witness of one GPT-2 decoder block.
type Block struct {
	LN1, LN2      norm.Weights
	QKV, AttnProj linear.Weights
	FC, Proj      linear.Weights
}

// Vars is the witness of a model's parameters; its zero value (fixed
// weights) allocates nothing.
type Vars struct {
	// FC and Proj are the layers of an ffn model.
	FC, Proj linear.Weights
	// Blocks and LNF (empty or one) are those of a gpt2 model.
	Blocks []Block
	LNF    []norm.Weights
}

// New allocates the witness of a model shaped like m.
func New(m *quant.Model) Vars {
	return build(m, linear.NewWeights, norm.NewWeights)
}

// Assign returns m's parameters as a witness.
func Assign(m *quant.Model) Vars {
	return build(m, linear.AssignWeights, norm.AssignWeights)
}

func build(m *quant.Model, dense func(*quant.Dense) linear.Weights, ln func(*quant.LayerNorm) norm.Weights) Vars {
	if m.Config.Architecture != quant.ArchitectureGPT2 {
		return Vars{FC: dense(&m.FC), Proj: dense(&m.Proj)}
	}
	v := Vars{Blocks: make([]Block, len(m.Blocks))}
	for i := range m.Blocks {
		b := &m.Blocks[i]
		v.Blocks[i] = Block{LN1: ln(&b.LN1), QKV: dense(&b.QKV), AttnProj: dense(&b.AttnProj), LN2: ln(&b.LN2), FC: dense(&b.FC), Proj: dense(&b.Proj)}
	}
	if m.LNF != nil {
		v.LNF = []norm.Weights{ln(m.LNF)}
	}
	return v
}

// Commit range-checks every witness parameter to its width and returns the
// model commitment recomputed from them: Poseidon2 of quant.Encode, with the
// weight elements (quant.EncodeLayout) built from v and the others taken as
// constants from m. It also returns the weight elements in encoding order,
// which public weights expose. m must be the model the circuit was built
// from; only its architecture is read.
func Commit(api frontend.API, fp *fixedpoint.Gadget, m *quant.Model, v *Vars) (frontend.Variable, []frontend.Variable, error) {
	consts, isWeight, err := quant.EncodeLayout(m)
	if err != nil {
		return nil, nil, fmt.Errorf("weights: %w", err)
	}
	w, err := elements(api, fp, m, v)
	if err != nil {
		return nil, nil, err
	}
	elems := make([]frontend.Variable, len(consts))
	k := 0
	for i := range consts {
		if !isWeight[i] {
			elems[i] = consts[i]
			continue
		}
		if k == len(w) {
			return nil, nil, fmt.Errorf("weights: encoding has more weight elements than the witness (%d)", len(w))
		}
		elems[i] = w[k]
		k++
	}
	if k != len(w) {
		return nil, nil, fmt.Errorf("weights: witness has %d weight elements, the encoding %d", len(w), k)
	}
	h, err := modelio.Hash(api, elems)
	if err != nil {
		return nil, nil, err
	}
	return h, w, nil
}

// elements range-checks v and returns its encoding elements in the order of
// quant.Encode: per dense layer the packed weights, the biases, the
// multipliers; per LayerNorm the multiplier, γ, β.
func elements(api frontend.API, fp *fixedpoint.Gadget, m *quant.Model, v *Vars) ([]frontend.Variable, error) {
	var out []frontend.Variable
	dense := func(d *quant.Dense, w linear.Weights) error {
		if len(w.W) != d.In*d.Out || len(w.B) != d.Out || len(w.Mult) != d.Out {
			return fmt.Errorf("weights: witness of a %d×%d layer has %d/%d/%d values", d.In, d.Out, len(w.W), len(w.B), len(w.Mult))
		}
		linear.CheckWeights(api, fp, w)
		out = append(out, fixedpoint.PackInt8(api, w.W)...)
		out = append(out, w.B...)
		out = append(out, w.Mult...)
		return nil
	}
	ln := func(l *quant.LayerNorm, w norm.Weights) error {
		if len(w.Gamma) != l.D || len(w.Beta) != l.D {
			return fmt.Errorf("weights: witness of a LayerNorm of %d has %d/%d values", l.D, len(w.Gamma), len(w.Beta))
		}
		norm.CheckWeights(api, fp, l, w)
		out = append(out, w.Mult)
		out = append(out, w.Gamma...)
		out = append(out, w.Beta...)
		return nil
	}
	if m.Config.Architecture != quant.ArchitectureGPT2 {
		if err := dense(&m.FC, v.FC); err != nil {
			return nil, err
		}
		return out, dense(&m.Proj, v.Proj)
	}
	if len(v.Blocks) != len(m.Blocks) || len(v.LNF) != boolToInt(m.LNF != nil) {
		return nil, fmt.Errorf("weights: witness has %d blocks and %d ln_f, the model %d and %v", len(v.Blocks), len(v.LNF), len(m.Blocks), m.LNF != nil)
	}
	for i := range m.Blocks {
		b, w := &m.Blocks[i], &v.Blocks[i]
		for _, err := range []error{ln(&b.LN1, w.LN1), dense(&b.QKV, w.QKV), dense(&b.AttnProj, w.AttnProj), ln(&b.LN2, w.LN2), dense(&b.FC, w.FC), dense(&b.Proj, w.Proj)} {
			if err != nil {
				return nil, err
			}
		}
	}
	if m.LNF != nil {
		if err := ln(m.LNF, v.LNF[0]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

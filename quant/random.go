package quant

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// RandomModel returns a float model with Gaussian weights of standard
// deviation 1/sqrt(fan_in) and small biases, reproducible from seed. Test
// data, tests and benchmarks build their models with it.
func RandomModel(cfg Config, seed uint64) *FloatModel {
	rng := rand.New(rand.NewPCG(seed, 0x7a6b696e666572))
	gauss := func(n int, std float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = rng.NormFloat64() * std
		}
		return out
	}
	d, h := cfg.DModel, cfg.DHidden
	if cfg.Architecture == ArchitectureGPT2 {
		ln := func() FloatLayerNorm {
			g := gauss(d, 0.1)
			for i := range g {
				g[i]++
			}
			return FloatLayerNorm{Gamma: g, Beta: gauss(d, 0.1)}
		}
		m := &FloatModel{Config: cfg}
		for range cfg.NLayer {
			m.Blocks = append(m.Blocks, FloatBlock{
				LN1: ln(), LN2: ln(),
				AttnW: mat.NewDense(d, 3*d, gauss(3*d*d, 1/math.Sqrt(float64(d)))), AttnB: gauss(3*d, 0.1),
				AttnProjW: mat.NewDense(d, d, gauss(d*d, 0.5/math.Sqrt(float64(d)))), AttnProjB: gauss(d, 0.1),
				FCW: mat.NewDense(d, h, gauss(d*h, 1/math.Sqrt(float64(d)))), FCB: gauss(h, 0.1),
				ProjW: mat.NewDense(h, d, gauss(h*d, 0.5/math.Sqrt(float64(h)))), ProjB: gauss(d, 0.1),
			})
		}
		if cfg.FinalLayerNorm {
			f := ln()
			m.LNF = &f
		}
		return m
	}
	return &FloatModel{
		Config: cfg,
		W1:     mat.NewDense(d, h, gauss(d*h, 1/math.Sqrt(float64(d)))),
		B1:     gauss(h, 0.1),
		W2:     mat.NewDense(h, d, gauss(h*d, 1/math.Sqrt(float64(h)))),
		B2:     gauss(d, 0.1),
	}
}

// RandomSamples returns n inputs of seq_len·d_model standard-normal values.
func RandomSamples(cfg Config, n int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 0x696e707574))
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, cfg.SeqLen*cfg.DModel)
		for j := range out[i] {
			out[i][j] = rng.NormFloat64()
		}
	}
	return out
}

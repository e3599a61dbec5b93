package prover

import (
	"runtime"
	"sync"
	"sync/atomic"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Fixed-base batch scalar multiplication for the Groth16 setup: [s_i]·G for
// millions of scalars s_i and one base G (the generator of G1 or G2).
//
// gnark-crypto's BatchScalarMultiplicationG1/G2 (which gnark's groth16.Setup
// calls) keeps one window table of G and runs double-and-add for every
// scalar: ~254 doublings plus ~16 additions per point, and for G2 one field
// inversion per point. Since the base never changes, a table per window
// position removes every doubling: table j holds d·2^(c·j)·G for
// d = 1..2^(c-1), and [s]·G is the sum over windows j of ±table_j[|d_j|]
// for the signed base-2^c digits d_j of s — nbChunks mixed additions per
// point, ~10× fewer group operations. The tables cost nbChunks·2^(c-1)
// additions once (c is chosen to balance the two). Blocks of blockSize
// points are spread over all cores; a block accumulates in affine
// coordinates, the additions of one window sharing one inversion
// (Montgomery's trick: ~6 multiplications per addition instead of a mixed
// Jacobian addition's 11, and no conversion at the end).
// The result is the same affine points gnark-crypto computes
// (TestFixedBaseMatchesGnarkCrypto); written here because gnark-crypto has
// no fixed-base table API.

// blockSize is the number of points one worker accumulates together.
const blockSize = 1024

// fixedBaseWindow picks the window width c minimizing the table's cost
// (nbChunks·2^(c-1) additions) plus the points' (n·nbChunks additions).
func fixedBaseWindow(n int) (c, nbChunks int) {
	best := -1
	for w := 2; w <= 16; w++ {
		chunks := windowChunks(w)
		cost := chunks<<(w-1) + n*chunks
		if best < 0 || cost < best {
			best, c, nbChunks = cost, w, chunks
		}
	}
	return c, nbChunks
}

// windowChunks is the number of c-bit windows of a scalar, with room for
// the carry of the signed recoding: ⌈(fr.Bits+1)/c⌉.
func windowChunks(c int) int { return (fr.Bits + 1 + c - 1) / c }

// signedDigits writes the signed base-2^c digits of s (regular form, little
// endian words) into d: s = Σ d[j]·2^(c·j), with d[j] in (-2^(c-1), 2^(c-1)].
func signedDigits(s *[fr.Limbs]uint64, c int, d []int32) {
	mask := uint64(1)<<c - 1
	half := int64(1) << (c - 1)
	carry := int64(0)
	for j := range d {
		off := j * c
		var v uint64
		if w := off / 64; w < fr.Limbs {
			sh := off % 64
			v = s[w] >> sh
			if sh+c > 64 && w+1 < fr.Limbs {
				v |= s[w+1] << (64 - sh)
			}
		}
		digit := int64(v&mask) + carry
		carry = 0
		if digit > half {
			digit -= 1 << c
			carry = 1
		}
		d[j] = int32(digit)
	}
}

// parallelBlocks runs f on the blocks [start, end) of [0, n), of blockSize
// elements each, on all cores.
func parallelBlocks(n int, f func(start, end int)) {
	nbBlocks := (n + blockSize - 1) / blockSize
	workers := min(runtime.GOMAXPROCS(0), nbBlocks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b := int(next.Add(1) - 1)
				if b >= nbBlocks {
					return
				}
				f(b*blockSize, min((b+1)*blockSize, n))
			}
		}()
	}
	wg.Wait()
}

// parallelRange runs f(i) for i in [0, n) on all cores.
func parallelRange(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// g1Table returns, for each window j, the affine points d·2^(c·j)·base,
// d = 1..2^(c-1).
func g1Table(base *curve.G1Affine, c, nbChunks int) [][]curve.G1Affine {
	size := 1 << (c - 1)
	bases := make([]curve.G1Affine, nbChunks)
	var b curve.G1Jac
	b.FromAffine(base)
	for j := range bases {
		bases[j].FromJacobian(&b)
		for range c {
			b.DoubleAssign()
		}
	}
	tables := make([][]curve.G1Affine, nbChunks)
	parallelRange(nbChunks, func(j int) {
		jac := make([]curve.G1Jac, size)
		jac[0].FromAffine(&bases[j])
		for d := 1; d < size; d++ {
			jac[d] = jac[d-1]
			jac[d].AddMixed(&bases[j])
		}
		tables[j] = curve.BatchJacobianToAffineG1(jac)
	})
	return tables
}

// batchMulG1 returns [s]·base for every s in scalars (Montgomery form),
// in affine coordinates: gnark-crypto's BatchScalarMultiplicationG1.
func batchMulG1(base *curve.G1Affine, scalars []fr.Element) []curve.G1Affine {
	c, _ := fixedBaseWindow(len(scalars))
	return batchMulG1Window(base, scalars, c)
}

// batchMulG1Window is batchMulG1 with window width c.
//
// G1 accumulates in affine coordinates: for each window, the additions
// acc_i += ±table_j[|d_ij|] of a whole block share one inversion
// (Montgomery's trick), ~6 multiplications per addition instead of a mixed
// Jacobian addition's 11, and no conversion at the end. The rare additions
// of a point to itself or to its negation (equal x) go through Jacobian
// coordinates.
func batchMulG1Window(base *curve.G1Affine, scalars []fr.Element, c int) []curve.G1Affine {
	out := make([]curve.G1Affine, len(scalars))
	if len(scalars) == 0 {
		return out
	}
	nbChunks := windowChunks(c)
	tables := g1Table(base, c, nbChunks)
	parallelBlocks(len(scalars), func(start, end int) {
		n := end - start
		digits := make([]int32, n*nbChunks)
		for i := range n {
			s := scalars[start+i].Bits()
			signedDigits(&s, c, digits[i*nbChunks:(i+1)*nbChunks])
		}
		g1Accumulate(tables, digits, out[start:end])
	})
	return out
}

// g1Accumulate sets acc[i] = Σ_j ±tables[j][|d|-1] for the digits
// d = digits[i·nbChunks + j] (0: nothing), in affine coordinates, one
// batch inversion per window.
func g1Accumulate(tables [][]curve.G1Affine, digits []int32, acc []curve.G1Affine) {
	n, nbChunks := len(acc), len(tables)
	inf := make([]bool, n)
	for i := range acc {
		acc[i] = curve.G1Affine{} // (0, 0) is the point at infinity
		inf[i] = true
	}
	idx := make([]int32, 0, n)        // points added to in this window
	q := make([]curve.G1Affine, 0, n) // what is added to them
	den := make([]fp.Element, n)      // x_q − x_acc
	prefix := make([]fp.Element, n)   // products of the denominators before
	for j := range nbChunks {
		idx, q = idx[:0], q[:0]
		for i := range n {
			d := digits[i*nbChunks+j]
			if d == 0 {
				continue
			}
			var t curve.G1Affine
			if d > 0 {
				t = tables[j][d-1]
			} else {
				t.Neg(&tables[j][-d-1])
			}
			switch {
			case inf[i]:
				acc[i], inf[i] = t, false
			case acc[i].X.Equal(&t.X):
				// acc = ±t: double or cancel, in Jacobian coordinates.
				var p curve.G1Jac
				p.FromAffine(&acc[i])
				p.AddMixed(&t)
				acc[i].FromJacobian(&p)
				inf[i] = p.Z.IsZero()
			default:
				idx = append(idx, int32(i))
				q = append(q, t)
			}
		}
		if len(idx) == 0 {
			continue
		}
		var run fp.Element
		run.SetOne()
		for k, i := range idx {
			den[k].Sub(&q[k].X, &acc[i].X)
			prefix[k] = run
			run.Mul(&run, &den[k])
		}
		var inv fp.Element
		inv.Inverse(&run)
		for k := len(idx) - 1; k >= 0; k-- {
			i := idx[k]
			var dInv, lambda, x3, y3 fp.Element
			dInv.Mul(&inv, &prefix[k])
			inv.Mul(&inv, &den[k])
			// λ = (y_q − y_acc)/(x_q − x_acc); x3 = λ² − x_acc − x_q;
			// y3 = λ·(x_acc − x3) − y_acc.
			lambda.Sub(&q[k].Y, &acc[i].Y).Mul(&lambda, &dInv)
			x3.Square(&lambda).Sub(&x3, &acc[i].X).Sub(&x3, &q[k].X)
			y3.Sub(&acc[i].X, &x3).Mul(&y3, &lambda).Sub(&y3, &acc[i].Y)
			acc[i].X, acc[i].Y = x3, y3
		}
	}
}

// g2Table is g1Table for G2.
func g2Table(base *curve.G2Affine, c, nbChunks int) [][]curve.G2Affine {
	size := 1 << (c - 1)
	bases := make([]curve.G2Affine, nbChunks)
	var b curve.G2Jac
	b.FromAffine(base)
	for j := range bases {
		bases[j].FromJacobian(&b)
		for range c {
			b.DoubleAssign()
		}
	}
	tables := make([][]curve.G2Affine, nbChunks)
	parallelRange(nbChunks, func(j int) {
		jac := make([]curve.G2Jac, size)
		jac[0].FromAffine(&bases[j])
		for d := 1; d < size; d++ {
			jac[d] = jac[d-1]
			jac[d].AddMixed(&bases[j])
		}
		tables[j] = make([]curve.G2Affine, size)
		g2ToAffine(jac, tables[j])
	})
	return tables
}

// g2ToAffine converts p to affine coordinates into out with one inversion
// (Montgomery's trick): gnark-crypto's BatchJacobianToAffineG1, which has no
// G2 counterpart.
func g2ToAffine(p []curve.G2Jac, out []curve.G2Affine) {
	var acc curve.E2
	acc.SetOne()
	for i := range p {
		if p[i].Z.IsZero() {
			continue
		}
		out[i].X = acc
		acc.Mul(&acc, &p[i].Z)
	}
	var inv curve.E2
	inv.Inverse(&acc)
	for i := len(p) - 1; i >= 0; i-- {
		if p[i].Z.IsZero() {
			out[i].X.SetZero()
			out[i].Y.SetZero()
			continue
		}
		var zInv, zInv2 curve.E2
		zInv.Mul(&out[i].X, &inv)
		inv.Mul(&inv, &p[i].Z)
		zInv2.Square(&zInv)
		out[i].X.Mul(&p[i].X, &zInv2)
		out[i].Y.Mul(&p[i].Y, &zInv2).Mul(&out[i].Y, &zInv)
	}
}

// batchMulG2 is batchMulG1 for G2: gnark-crypto's BatchScalarMultiplicationG2.
func batchMulG2(base *curve.G2Affine, scalars []fr.Element) []curve.G2Affine {
	c, _ := fixedBaseWindow(len(scalars))
	return batchMulG2Window(base, scalars, c)
}

// batchMulG2Window is batchMulG2 with window width c.
func batchMulG2Window(base *curve.G2Affine, scalars []fr.Element, c int) []curve.G2Affine {
	out := make([]curve.G2Affine, len(scalars))
	if len(scalars) == 0 {
		return out
	}
	nbChunks := windowChunks(c)
	tables := g2Table(base, c, nbChunks)
	parallelBlocks(len(scalars), func(start, end int) {
		n := end - start
		digits := make([]int32, n*nbChunks)
		for i := range n {
			s := scalars[start+i].Bits()
			signedDigits(&s, c, digits[i*nbChunks:(i+1)*nbChunks])
		}
		g2Accumulate(tables, digits, out[start:end])
	})
	return out
}

// g2Accumulate is g1Accumulate in G2.
func g2Accumulate(tables [][]curve.G2Affine, digits []int32, acc []curve.G2Affine) {
	n, nbChunks := len(acc), len(tables)
	inf := make([]bool, n)
	for i := range acc {
		acc[i] = curve.G2Affine{} // (0, 0) is the point at infinity
		inf[i] = true
	}
	idx := make([]int32, 0, n)
	q := make([]curve.G2Affine, 0, n)
	den := make([]curve.E2, n)
	prefix := make([]curve.E2, n)
	for j := range nbChunks {
		idx, q = idx[:0], q[:0]
		for i := range n {
			d := digits[i*nbChunks+j]
			if d == 0 {
				continue
			}
			var t curve.G2Affine
			if d > 0 {
				t = tables[j][d-1]
			} else {
				t.Neg(&tables[j][-d-1])
			}
			switch {
			case inf[i]:
				acc[i], inf[i] = t, false
			case acc[i].X.Equal(&t.X):
				var p curve.G2Jac
				p.FromAffine(&acc[i])
				p.AddMixed(&t)
				acc[i].FromJacobian(&p)
				inf[i] = p.Z.IsZero()
			default:
				idx = append(idx, int32(i))
				q = append(q, t)
			}
		}
		if len(idx) == 0 {
			continue
		}
		var run curve.E2
		run.SetOne()
		for k, i := range idx {
			den[k].Sub(&q[k].X, &acc[i].X)
			prefix[k] = run
			run.Mul(&run, &den[k])
		}
		var inv curve.E2
		inv.Inverse(&run)
		for k := len(idx) - 1; k >= 0; k-- {
			i := idx[k]
			var dInv, lambda, x3, y3 curve.E2
			dInv.Mul(&inv, &prefix[k])
			inv.Mul(&inv, &den[k])
			lambda.Sub(&q[k].Y, &acc[i].Y).Mul(&lambda, &dInv)
			x3.Square(&lambda).Sub(&x3, &acc[i].X).Sub(&x3, &q[k].X)
			y3.Sub(&acc[i].X, &x3).Mul(&y3, &lambda).Sub(&y3, &acc[i].Y)
			acc[i].X, acc[i].Y = x3, y3
		}
	}
}

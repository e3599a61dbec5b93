// Package matmul constrains products of two witness matrices, C = A·B, such
// as attention's QKᵀ and P·V, where neither operand is a constant.
//
// # Two ways
//
// Direct computes every entry as Σ_e a_ie·b_ej: one R1CS constraint per
// scalar product, n·k·m for an n×k by k×m product.
//
// Checked takes every entry of C from a hint (ProductHint) and pins them all
// with one randomized (Freivalds) check per row of C against a challenge x
// drawn in-circuit from a commitment to A, B and C:
//
//	Σ_j c_ij·x^j  =  Σ_e a_ie·u_e,   u_e = Σ_j b_ej·x^j        (for every row i)
//
// which costs k·(m−1) products for the u_e, m−1 for the left side and k for
// the right side of each row, and one assertion per row: O(n·m + k·m + n·k)
// instead of O(n·k·m). The powers x^2…x^(m−1) are computed once per circuit.
//
// Mul supports the shapes attention needs: a row of A may be shorter than k
// (the entries after it are zero: P's causal rows), and each row i of C may
// be wanted only up to a column count cols_i (QKᵀ under a causal mask:
// cols_i = i+1). Row i's check then runs over its own columns, with
// u_e^(i) = Σ_{j<cols_i} b_ej·x^j, a prefix sum that costs nothing more in
// R1CS; the masked products are never computed nor hinted.
//
// # The challenge
//
// Every Checked product of a circuit joins one collector (one per circuit),
// which at the end of Define hands all entries of every A, B and C to
// std/multicommit.WithCommitment, the commitment std/lookup and
// std/rangecheck already use: under Groth16 one BSB22 (Pedersen) commitment
// to those wires, under PLONK the commitment gate; the root challenge ρ is a
// hash of the commitment. multicommit hands its c-th callback (c ≥ 1) the
// value ρ^c; the collector's callback receives x = ρ^c and checks every
// registered product with the same x and its powers. c is the collector's
// position among the circuit's commitment callbacks (the range checker, each
// lookup table, the collector: a handful in a gpt2 circuit).
//
// # Soundness
//
// Fix the committed A, B, C and let δ_ij = c_ij − Σ_e a_ie·b_ej (over the
// field). Row i's check holds iff P_i(x) = Σ_{j<cols_i} δ_ij·x^j = 0. If C is
// wrong in row i, P_i is a nonzero polynomial of degree < cols_i ≤ m, and as
// a polynomial in ρ, P_i(ρ^c) is nonzero of degree ≤ c·(m−1): by
// Schwartz–Zippel the check passes with probability at most c·(m−1)/|F| over
// a uniform ρ, which is at most c·T/|F| for a product with T columns. A
// product with any wrong entry has a wrong row, so each product is accepted
// with a wrong C with probability ≤ c·T/|F|; a union bound over the R
// products of a circuit gives ≤ R·c·T/|F|. For BN254 (|F| > 2^253), with
// c ≤ 2^6, T ≤ 2^14 columns and R ≤ 2^12 products, that is below 2^-219:
// the check runs once (repeat count 1), nothing is repeated. The commitment is
// computed from A, B and C before ρ exists (it is Fiat–Shamir: ρ is the hash
// of a binding commitment), so a prover who wants another ρ must change a
// committed wire and recompute the commitment: with 2^t attempts its chance
// stays below 2^t·R·c·T/|F|.
//
// A passing check gives C = A·B in the field, which is what Direct computes:
// the field image of the integer product (for attention |c_ij| < 2^40: int8
// q, k, v, probabilities ≤ 2^12, at most 2^14 terms; for a dense layer with
// witness weights, linear.DenseWitnessRows, |c_ij| ≤ In·2^14 with int8
// inputs and range-checked int8 weights). Every downstream
// gadget (requantization, softmax) sees the same values and keeps its own
// range checks.
//
// # Users
//
// circuits/attention (QKᵀ and P·V) and linear.DenseWitnessRows (in·W of a
// dense layer whose weights are witnesses, hashed or public weights, over
// all tokens at once: B = W is In×Out, so the u_e cost one constraint per
// weight and the check replaces T·In·Out products by about In·Out +
// O(T·(In + Out))). Each is one product of the circuit's collector, under
// the same challenge and the same bound above.
//
// # Choosing
//
// Auto, the default, takes per product the way with the lower R1CS estimate
// (Estimate): Direct at one token (a 1×k by k×1 product costs k constraints
// directly, k+2 checked), Checked from a few tokens on. Checked
// needs a builder with commitments (frontend.Committer); Auto falls back to
// Direct without one. A circuit that must stay free of commitments (see
// fixedpoint.WithBitDecomposition) passes Direct.
package matmul

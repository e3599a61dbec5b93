package matmul_test

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/circuits/matmul"
)

// productCircuit proves knowledge of A (2×3) and B (3×2) whose product is
// the public C.
type productCircuit struct {
	A [2][3]frontend.Variable
	B [3][2]frontend.Variable
	C [2][2]frontend.Variable `gnark:",public"`
}

func (c *productCircuit) Define(api frontend.API) error {
	a := [][]frontend.Variable{c.A[0][:], c.A[1][:]}
	b := [][]frontend.Variable{c.B[0][:], c.B[1][:], c.B[2][:]}
	got := matmul.MatMulChecked(api, a, b)
	for i := range got {
		for j := range got[i] {
			api.AssertIsEqual(got[i][j], c.C[i][j])
		}
	}
	return nil
}

func ExampleMatMulChecked() {
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &productCircuit{})
	if err != nil {
		panic(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		panic(err)
	}
	w, err := frontend.NewWitness(&productCircuit{
		A: [2][3]frontend.Variable{{1, -2, 3}, {4, 5, -6}},
		B: [3][2]frontend.Variable{{7, 8}, {-9, 10}, {11, 12}},
		C: [2][2]frontend.Variable{{58, 24}, {-83, 10}},
	}, ecc.BN254.ScalarField())
	if err != nil {
		panic(err)
	}
	proof, err := groth16.Prove(ccs, pk, w)
	if err != nil {
		panic(err)
	}
	pub, err := w.Public()
	if err != nil {
		panic(err)
	}
	fmt.Println(groth16.Verify(proof, vk, pub) == nil)
	// Output: true
}

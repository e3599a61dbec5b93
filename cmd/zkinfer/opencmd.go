package main

import (
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

var openCommand = &cli.Command{
	Name:      "open",
	Usage:     "open a bundle's private input/output commitments with the prover's salts",
	UsageText: "zkinfer open --input input.json [--quantized model.quant.json] [--salts FILE] [--weights-basis vk.basis] [BUNDLE]",
	Description: `For a bundle with a private input or output: quantizes the input, runs the
integer reference forward pass of the model and checks that the values, with
the salts prove wrote (default: the bundle path + .salts.json), open the
bundle's salted commitments. How a host reveals a private input or output to
one auditor without a new proof: it hands over the input, the salts and the
quantized model; the auditor runs verify, then open. Prints the opened values'
first elements; exit code 0 only when every private commitment opens. With
committed weights the bundle names the model by its commitment over the
key's weights basis: pass that basis (--weights-basis vk.basis).`,
	Flags: []cli.Flag{InputFlag, QuantizedFlag, BundleFlag, SaltsFlag, WeightsBasisFlag},
	Action: func(ctx *cli.Context) error {
		bundle := ctx.String(BundleFlag.Name)
		if ctx.NArg() > 1 {
			return withHint(fmt.Errorf("open: %d arguments, want one bundle", ctx.NArg()), "open one bundle at a time, with the flags before it")
		}
		if ctx.NArg() == 1 {
			bundle = ctx.Args().First()
		}
		salts := ctx.String(SaltsFlag.Name)
		if salts == "" {
			salts = bundle + SaltsSuffix
		}
		return openBundle(ctx.App.Writer, bundle, salts, ctx.String(QuantizedFlag.Name), ctx.String(InputFlag.Name), ctx.String(WeightsBasisFlag.Name))
	},
}

func openBundle(w io.Writer, bundlePath, saltsPath, quantPath, inputPath, basisPath string) error {
	b, err := verifier.Read(bundlePath)
	if err != nil {
		return err
	}
	s, hasIn, hasOut, err := modelio.ReadSalts(saltsPath)
	if err != nil {
		return withHint(err, "prove writes the salts of private tensors beside the bundle (--salts)")
	}
	m, err := quant.LoadQuantized(quantPath)
	if err != nil {
		return err
	}
	var commit string
	if b.Visibility.Weights == quant.VisibilityCommitted {
		// The bundle names the model over its key's weights basis, whose
		// digest is the bundle's (verify checks it is the pinned key's).
		if basisPath == "" {
			return withHint(fmt.Errorf("open: %s: committed weights: --%s is missing", bundlePath, WeightsBasisFlag.Name), "pass the basis file setup wrote beside the verifying key: --%s vk.basis", WeightsBasisFlag.Name)
		}
		basis, err := prover.ReadWeightsBasis(basisPath, b.WeightsBasis)
		if err != nil {
			return fmt.Errorf("open: %w", err)
		}
		if commit, err = prover.CommittedCommitment(m, basis); err != nil {
			return fmt.Errorf("open: %w", err)
		}
	} else if commit, err = quant.CommitString(m); err != nil {
		return err
	}
	if commit != b.ModelCommitment {
		return withHint(fmt.Errorf("open: %w: %s has commitment %s, the bundle %s", verifier.ErrModelMismatch, quantPath, commit, b.ModelCommitment), "pass the quantized model the bundle was proven with (--quantized)")
	}
	in, err := quant.LoadInputFor(inputPath, m)
	if err != nil {
		return err
	}
	if len(in.InputData) != 1 {
		return withHint(fmt.Errorf("%s: %w: %d samples, a bundle proves one", inputPath, quant.ErrValidation, len(in.InputData)), "pass the single-sample input that was proven")
	}
	xq, err := m.QuantizeInput(in.InputData[0])
	if err != nil {
		return err
	}
	tr, err := m.Forward(xq)
	if err != nil {
		return err
	}
	opened := 0
	inVis, err := b.Visibility.InputsOf(m.InputParts())
	if err != nil {
		return err
	}
	outVis, err := b.Visibility.OutputsOf(m.OutputParts())
	if err != nil {
		return err
	}
	for _, t := range []struct {
		name   string
		vis    []string
		has    bool
		salt   fr.Element
		values [][]int64
	}{
		{verifier.TensorInput, inVis, hasIn, s.Input, tr.InputParts()},
		{verifier.TensorOutput, outVis, hasOut, s.Output, tr.OutputParts()},
	} {
		// The private parts: the whole side, or (parts of different
		// visibilities) the private group, whose values Open takes alone.
		_, _, private := quant.PartGroups(t.vis)
		if len(private) == 0 {
			continue
		}
		if !t.has {
			return withHint(fmt.Errorf("open: %s: no %s salt", saltsPath, t.name), "use the salts file prove wrote for this bundle")
		}
		values := quant.Flatten(quant.Pick(t.values, private))
		if err := verifier.Open(b, t.name, values, t.salt); err != nil {
			return err
		}
		tensor, _ := b.Tensor(t.name)
		fmt.Fprintf(w, "ok: %s opens commitment %s: %v\n", t.name, tensor.Commitment, values[:min(8, len(values))])
		opened++
	}
	if opened == 0 {
		return withHint(fmt.Errorf("open: %s has no private input or output", bundlePath), "hashed and public tensors are in the bundle already: zkinfer verify checks them")
	}
	return nil
}

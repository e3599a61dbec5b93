package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

var commitCommand = &cli.Command{
	Name:      "commit",
	Usage:     "print the Poseidon2 commitment of a quantized model (or its committed-weights commitment)",
	UsageText: "zkinfer commit MODEL.quant.json | zkinfer commit --settings settings.json [--json] [--weights-basis vk.basis --vk vk.key]",
	Description: `Prints quant.Commit of the model: Poseidon2 over BN254 of its canonical,
versioned encoding (shapes, scales, multipliers, packed int8 weights, tables;
see the quant package documentation). It is what bundles, circuits and the
registry contract name the model by. MODEL is the quantized model file
compile-circuit writes; with --settings instead, the model is quantized from
the calibrated settings and their weights file.

With --weights-basis and --vk (committed weights) it prints instead the
commitment proofs of the model with that key prove: Keccak256 of the
Pedersen point Σ w_j·B_j of the model's parameters over the key's weights
basis (the file setup wrote beside the key), "bsb22-keccak:0x…".`,
	Flags: []cli.Flag{&cli.StringFlag{Name: SettingsFlag.Name, Aliases: SettingsFlag.Aliases, Category: catFiles, Usage: "calibrated settings `FILE` to quantize the model from"}, WeightsBasisFlag,
		&cli.StringFlag{Name: PinVKFlag.Name, Category: catTrust, Usage: "committed weights: the verifying key `FILE` whose header names the --weights-basis file (its digest)"}, JSONFlag},
	Action: func(ctx *cli.Context) error {
		settingsPath := ctx.String(SettingsFlag.Name)
		if (ctx.NArg() == 1) == (settingsPath != "") {
			return withHint(errors.New("commit: give the quantized model file or --settings, one of them"), "zkinfer commit %s", DefaultQuantized)
		}
		var (
			m   *quant.Model
			err error
		)
		if settingsPath != "" {
			var s *quant.Settings
			if s, err = loadSettings(settingsPath); err != nil {
				return err
			}
			if m, err = s.Quantize(); err != nil {
				return fmt.Errorf("%s: %w", settingsPath, err)
			}
		} else if m, err = quant.LoadQuantized(ctx.Args().First()); err != nil {
			return withHint(err, "MODEL is the quantized model file compile-circuit writes (%s)", DefaultQuantized)
		}
		var c string
		if basis := ctx.String(WeightsBasisFlag.Name); basis != "" || ctx.String(PinVKFlag.Name) != "" {
			if basis == "" || ctx.String(PinVKFlag.Name) == "" {
				return withHint(errors.New("commit: committed weights need --weights-basis and --vk together"), "zkinfer commit --weights-basis vk.basis --vk vk.key MODEL")
			}
			_, h, err := prover.ReadVerifyingKey(ctx.String(PinVKFlag.Name))
			if err != nil {
				return err
			}
			b, err := prover.ReadWeightsBasis(basis, h.WeightsBasis)
			if err != nil {
				return err
			}
			if c, err = prover.CommittedCommitment(m, b); err != nil {
				return err
			}
		} else if c, err = quant.CommitString(m); err != nil {
			return err
		}
		if ctx.Bool(JSONFlag.Name) {
			return printJSON(ctx.App.Writer, struct {
				Commitment string `json:"model_commitment"`
				Version    int    `json:"encoding_version"`
			}{c, quant.CommitmentVersion})
		}
		fmt.Fprintln(ctx.App.Writer, c)
		return nil
	},
}

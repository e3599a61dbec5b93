package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/quant"
)

// ioVisibility reads --input-visibility and --output-visibility (one
// visibility, or per-part NAME=VIS overrides and a default: quant
// ParseIOVisibility) with the given weights visibility. Part names are
// checked against the model where it is known (quant.Visibility.Resolve).
func ioVisibility(ctx *cli.Context, weights string) (quant.Visibility, error) {
	v := quant.Visibility{Weights: weights}
	var err error
	if v.Input, v.InputParts, err = quant.ParseIOVisibility("input", ctx.String(InputVisibilityFlag.Name), quant.DefaultVisibility.Input); err != nil {
		return v, withHint(fmt.Errorf("--%s: %w", InputVisibilityFlag.Name, err), "%s", visibilityHint)
	}
	if v.Output, v.OutputParts, err = quant.ParseIOVisibility("output", ctx.String(OutputVisibilityFlag.Name), quant.DefaultVisibility.Output); err != nil {
		return v, withHint(fmt.Errorf("--%s: %w", OutputVisibilityFlag.Name, err), "%s", visibilityHint)
	}
	if err := v.Validate(); err != nil {
		return v, withHint(err, "%s", visibilityHint)
	}
	return v, nil
}

// visibilityHint says what the visibility flags take.
const visibilityHint = "pass --input-visibility and --output-visibility as public, hashed or private, or per graph input (output) as NAME=VIS,… with an optional bare VIS for the others (zkinfer inspect lists the names), and --weight-visibility as fixed, hashed, public or committed"

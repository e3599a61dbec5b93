package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Residual constrains ops.QResidual: fixedpoint.ResidualAdd, the legacy
// ffn circuit's residual (the sum is a linear combination, its clamp one
// lookup or the selector path).
type Residual struct{}

func init() { gadget.Register("residual", Residual{}) }

func (Residual) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, _ []quant.Value) ([][]frontend.Variable, error) {
	if _, err := opAs[*ops.QResidual](op); err != nil {
		return nil, err
	}
	return one(c.FP.ResidualAdd(in[0].V, in[1].V)), nil
}

func (Residual) Sites(_ quant.Op, _, out []quant.Value) []fixedpoint.Site {
	return fixedpoint.ResidualSites(out[0].Size())
}

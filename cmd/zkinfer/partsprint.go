package main

import (
	"fmt"
	"io"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// maxPrintedValues bounds the values printed of each part.
const maxPrintedValues = 16

// printOutputParts prints each output part of a verified bundle whose
// output is parts (several graph outputs, index outputs), cut by the parts
// the verifier checked (res.Output, from the anchor): dequantized reals for
// int8 parts, integers for index parts. Private outputs carry no values.
func printOutputParts(w io.Writer, b *verifier.Bundle, res *verifier.Result) {
	if res.Output == nil || len(res.Output.Parts) == 0 {
		return
	}
	t, ok := b.Tensor(verifier.TensorOutput)
	if !ok || len(t.Values) == 0 {
		return
	}
	values, err := quant.SplitParts(res.Output.Parts, t.Values)
	if err != nil {
		return
	}
	for i, p := range res.Output.Parts {
		v := values[i]
		more := ""
		if len(v) > maxPrintedValues {
			v, more = v[:maxPrintedValues], fmt.Sprintf(" … (%d values)", p.Size())
		}
		if p.DType == quant.DTypeIndex {
			fmt.Fprintf(w, "output %s %s: %v%s\n", p.Name, partShape(p), v, more)
			continue
		}
		fmt.Fprintf(w, "output %s %s: %v%s\n", p.Name, partShape(p), quant.DequantizePart(p, v), more)
	}
}

func partShape(p prover.PartSpec) string {
	if p.DType == quant.DTypeIndex {
		return fmt.Sprintf("index%v", p.Shape)
	}
	return fmt.Sprintf("%v@frac%d", p.Shape, p.Frac)
}

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
// When the parts have different visibilities, each line says which: public
// and hashed values are proven (packed or rehashed by the verifier), a
// private part is only in the salted commitment.
func printOutputParts(w io.Writer, b *verifier.Bundle, res *verifier.Result) {
	if res.Output == nil || len(res.Output.Parts) == 0 {
		return
	}
	t, ok := b.Tensor(verifier.TensorOutput)
	if !ok {
		return
	}
	parts := res.Output.Parts
	mixed := t.Encoding == verifier.EncodingMixedParts
	var (
		values [][]int64
		vis    []string
		err    error
	)
	switch {
	case mixed:
		if vis, err = res.Visibility.OutputsOf(parts); err == nil {
			values, err = verifier.MixedValues(*t, parts, vis)
		}
	case len(t.Values) == 0:
		return
	default:
		values, err = quant.SplitParts(parts, t.Values)
	}
	if err != nil {
		return
	}
	for i, p := range parts {
		label := ""
		if mixed {
			if vis[i] == quant.VisibilityPrivate {
				fmt.Fprintf(w, "output %s %s (private): not revealed, bound by the salted commitment %s\n", p.Name, partShape(p), t.Commitment)
				continue
			}
			label = " (" + vis[i] + ", proven)"
		}
		v := values[i]
		more := ""
		if len(v) > maxPrintedValues {
			v, more = v[:maxPrintedValues], fmt.Sprintf(" … (%d values)", p.Size())
		}
		if p.DType == quant.DTypeIndex {
			fmt.Fprintf(w, "output %s %s%s: %v%s\n", p.Name, partShape(p), label, v, more)
			continue
		}
		fmt.Fprintf(w, "output %s %s%s: %v%s\n", p.Name, partShape(p), label, quant.DequantizePart(p, v), more)
	}
}

// sideLabel is one side's visibility as verify prints it: the visibility,
// or "mixed (a public, b hashed, mask private)".
func sideLabel(def string, parts quant.PartVisibility) string {
	list, err := parts.List()
	if err != nil || len(list) == 0 {
		return def
	}
	s := def + " ("
	for i, e := range list {
		if i > 0 {
			s += ", "
		}
		s += e.Name + " " + e.Visibility
	}
	return s + ")"
}

func partShape(p prover.PartSpec) string {
	if p.DType == quant.DTypeIndex {
		return fmt.Sprintf("index%v", p.Shape)
	}
	return fmt.Sprintf("%v@frac%d", p.Shape, p.Frac)
}

// carriedParts cuts a verified bundle tensor's values by the pinned parts:
// one slice per part, nil for a part whose values are not carried (a
// private part of a mixed tensor); visOf gives each part's visibility.
func carriedParts(t verifier.Tensor, parts []prover.PartSpec, visOf func([]quant.IOPart) ([]string, error)) ([][]int64, error) {
	if t.Encoding != verifier.EncodingMixedParts {
		return quant.SplitParts(parts, t.Values)
	}
	vis, err := visOf(parts)
	if err != nil {
		return nil, err
	}
	return verifier.MixedValues(t, parts, vis)
}

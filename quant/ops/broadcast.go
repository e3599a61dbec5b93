package ops

import (
	"fmt"

	"github.com/zkinfer/zkinfer/quant"
)

// BroadcastShape is numpy's broadcast of two shapes.
func BroadcastShape(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if k := len(a) - n + i; k >= 0 {
			da = a[k]
		}
		if k := len(b) - n + i; k >= 0 {
			db = b[k]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("%w: shapes %v and %v do not broadcast", quant.ErrShape, a, b)
		}
	}
	return out, nil
}

// BroadcastIndex maps every position of out (row-major) to the position of
// in that numpy broadcasting reads there. in must broadcast to out.
func BroadcastIndex(in, out []int) []int {
	n := quant.ShapeSize(out)
	idx := make([]int, n)
	strides := make([]int, len(out))
	s := 1
	for i := len(out) - 1; i >= 0; i-- {
		k := len(in) - len(out) + i
		if k >= 0 && in[k] != 1 {
			strides[i] = s
		}
		if k >= 0 {
			s *= in[k]
		}
	}
	pos := make([]int, len(out))
	for p := 0; p < n; p++ {
		off := 0
		for i, c := range pos {
			off += c * strides[i]
		}
		idx[p] = off
		for i := len(out) - 1; i >= 0; i-- {
			pos[i]++
			if pos[i] < out[i] {
				break
			}
			pos[i] = 0
		}
	}
	return idx
}

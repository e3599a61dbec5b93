package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// gen-graph DIR multi-io|embedding SEED writes a native graph model
// (config.json with "architecture": "graph", model.safetensors), an input
// file (input.json, one sample) and a calibration file (calibration.json):
//
//   - multi-io: ops.ExampleMultiIO, inputs a, b [2, 4] (reals) and mask
//     [2, 4] (bool), outputs y1 [2, 3] and y2 [2, 4]; input_data is one
//     flattened array per input, a calibration file a list of such samples;
//   - embedding: ops.ExampleEmbedding, token ids [4] (index within [0, 7])
//     → gather [10, 6] → linear: y [4, 3]; input_data lists samples.
func genGraphCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: gen-graph DIR multi-io|embedding SEED")
	}
	seed, err := strconv.ParseUint(args[2], 10, 64)
	ts.Check(err)
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	rng := rand.New(rand.NewPCG(seed, 11))
	var (
		fm          *quant.FloatModel
		input, cal  string
		sampleOf    func() string
		calibration []string
	)
	switch args[1] {
	case "multi-io":
		fm, err = ops.ExampleMultiIO(seed)
		sampleOf = func() string {
			reals := func() string {
				v := make([]string, 8)
				for i := range v {
					v[i] = strconv.FormatFloat(rng.Float64()*2-1, 'g', 6, 64)
				}
				return "[" + strings.Join(v, ", ") + "]"
			}
			mask := make([]string, 8)
			for i := range mask {
				mask[i] = strconv.FormatBool(rng.IntN(2) == 1)
			}
			return fmt.Sprintf("[%s, %s, [%s]]", reals(), reals(), strings.Join(mask, ", "))
		}
	case "embedding":
		fm, err = ops.ExampleEmbedding(seed)
		sampleOf = func() string {
			v := make([]string, 4)
			for i := range v {
				v[i] = strconv.Itoa(rng.IntN(8))
			}
			return "[" + strings.Join(v, ", ") + "]"
		}
	default:
		ts.Fatalf("gen-graph: model %q (want multi-io or embedding)", args[1])
	}
	ts.Check(err)
	for range 8 {
		calibration = append(calibration, sampleOf())
	}
	if args[1] == "multi-io" {
		input = fmt.Sprintf(`{"input_data": %s}`, sampleOf())
	} else {
		input = fmt.Sprintf(`{"input_data": [%s]}`, sampleOf())
	}
	cal = fmt.Sprintf(`{"input_data": [%s]}`, strings.Join(calibration, ",\n  "))
	cfg, err := json.MarshalIndent(fm.Config, "", "  ")
	ts.Check(err)
	st, err := quant.EncodeSafetensors(fm)
	ts.Check(err)
	for name, data := range map[string][]byte{"config.json": cfg, "model.safetensors": st, "input.json": []byte(input + "\n"), "calibration.json": []byte(cal + "\n")} {
		ts.Check(os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
}

package benchmarks

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zkinfer/zkinfer/benchmarks/harness"
)

// Gas of verifying a sharded model on chain, by number of shards: the
// figures of results/aggregation-gas.md (go-ethereum simulated backend,
// pinned solc, tiny gpt2 with one block per shard, 3 public inputs and one
// BSB22 commitment per shard). Sharded: verifyShardedInference, measured by
// contracts' TestShardedGas (2, 3, 4) and BenchmarkShardedGas (12; it
// superseded the extrapolation 722 422 + 10 × 344 714 = 4 169 562) in
// results/gas-sharded.md. Aggregated: the outer proof through the registry's
// verifyInference, measured at 3 shards by TestAggregatePipeline
// (ZKINFER_AGG=1); the outer verifier has 3 public inputs and one BSB22
// commitment whatever the shard count, so the other counts are the same
// contract call, extrapolated.
var (
	gasSharded = harness.GasSeries{
		Name:     "sharded: verifyShardedInference",
		Measured: map[int]float64{2: 722422, 3: 1067107, 4: 1411850, 12: 4170001},
	}
	gasAggregated = harness.GasSeries{
		Name:         "aggregated: verifyInference of the outer proof",
		Measured:     map[int]float64{3: aggregatedRegistryGas},
		Extrapolated: map[int]float64{2: aggregatedRegistryGas, 4: aggregatedRegistryGas, 12: aggregatedRegistryGas},
	}
)

// aggregatedRegistryGas is verifyInference of the 3-shard outer proof.
const aggregatedRegistryGas = 370284

// TestAggregationGasPlot draws results/aggregation-gas.svg from the figures
// above: into a temporary directory, or into results/ with
// ZKINFER_WRITE_PLOTS=1 (how the committed file is made).
func TestAggregationGasPlot(t *testing.T) {
	dir := t.TempDir()
	if os.Getenv("ZKINFER_WRITE_PLOTS") != "" {
		dir = "results"
	}
	path := filepath.Join(dir, "aggregation-gas.svg")
	if err := harness.PlotGas(path, "verifying a sharded inference on chain", []harness.GasSeries{gasSharded, gasAggregated}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("%s: %v", path, err)
	}
}

package aggregate

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/google/renameio/v2"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// CircuitVersion is the version of the outer circuit's definition: part of
// CircuitID, so a change to Circuit.Define never reuses cached keys.
const CircuitVersion = 1

// CircuitID names the outer circuit for the shards of an n-block model with
// these ranges and inner verifying keys: SHA-256 of the circuit version, the
// gnark version, n, the ranges and each key's binary encoding. Two
// aggregations with the same ID compile the same circuit, so they can share
// its keys (the cache of Setup).
func CircuitID(n int, ranges []quant.ShardRange, vks []groth16.VerifyingKey) (string, error) {
	return ShardingCircuitID(Sharding{}, n, ranges, vks)
}

// ShardingCircuitID is CircuitID for a sharding of either version. A graph
// cut sharding (quant.GraphShardsVersion) also hashes, after the gnark
// version, "shards.v2", a zero byte and the whole model's commitment (32
// bytes), so its keys are never those of a version-1 sharding; a version-1
// sharding's ID is CircuitID's, byte for byte.
func ShardingCircuitID(sh Sharding, n int, ranges []quant.ShardRange, vks []groth16.VerifyingKey) (string, error) {
	if err := sh.Validate(); err != nil {
		return "", err
	}
	if len(ranges) != len(vks) {
		return "", fmt.Errorf("aggregate: %d ranges and %d keys", len(ranges), len(vks))
	}
	h := sha256.New()
	fmt.Fprintf(h, "zkinfer.aggregate.v%d\x00%s\x00", CircuitVersion, prover.GnarkVersion())
	if sh.graph() {
		model := sh.Model.Bytes()
		fmt.Fprintf(h, "shards.v%d\x00", sh.Version)
		h.Write(model[:])
	}
	word := func(x int) { binary.Write(h, binary.BigEndian, uint64(x)) }
	word(n)
	word(len(ranges))
	for i, r := range ranges {
		word(r.From)
		word(r.To)
		var key bytesCounter
		if _, err := vks[i].WriteRawTo(&key); err != nil {
			return "", fmt.Errorf("aggregate: shard %d's key: %w", i, err)
		}
		word(int(key.n))
		if _, err := vks[i].WriteRawTo(h); err != nil {
			return "", fmt.Errorf("aggregate: shard %d's key: %w", i, err)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

type bytesCounter struct{ n int64 }

func (c *bytesCounter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// Outer is the compiled outer circuit and its keys.
type Outer struct {
	// ID is CircuitID of the shards it aggregates.
	ID      string
	Circuit *Circuit
	CCS     constraint.ConstraintSystem
	PK      groth16.ProvingKey
	VK      groth16.VerifyingKey
	// Cached: the keys came from the cache, not a setup run now.
	Cached bool
}

// Setup compiles the outer circuit for the shards of an n-block model with
// these ranges and inner keys, and makes its keys with a single-party dev
// setup (unsafe: whoever runs it can forge aggregated proofs), or loads them
// from cacheDir/ID when an earlier Setup left them there. cacheDir "" never
// caches. The setup is the expensive step (about 10 minutes and 3 GiB per
// shard on two cores: benchmarks/results/aggregation.md); the cache makes it
// once per set of shard keys.
func Setup(n int, ranges []quant.ShardRange, vks []groth16.VerifyingKey, cacheDir string, p prover.Progress) (*Outer, error) {
	return SetupSharding(Sharding{}, n, ranges, vks, cacheDir, p)
}

// SetupSharding is Setup for a sharding of either version (n counts blocks
// or nodes); its cache key is ShardingCircuitID.
func SetupSharding(sh Sharding, n int, ranges []quant.ShardRange, vks []groth16.VerifyingKey, cacheDir string, p prover.Progress) (*Outer, error) {
	p = orSilent(p)
	id, err := ShardingCircuitID(sh, n, ranges, vks)
	if err != nil {
		return nil, err
	}
	c, err := NewShardingCircuit(sh, n, ranges, vks)
	if err != nil {
		return nil, err
	}
	done := p.Start(fmt.Sprintf("compiling the outer circuit (%d shards)", len(vks)))
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	done()
	if err != nil {
		return nil, fmt.Errorf("aggregate: compile: %w", err)
	}
	o := &Outer{ID: id, Circuit: c, CCS: ccs}
	dir := ""
	if cacheDir != "" {
		dir = filepath.Join(cacheDir, id[len("sha256:"):])
		if _, err := os.Stat(filepath.Join(dir, "vk.bin")); err == nil {
			done := p.Start("loading the cached outer keys from " + dir)
			pk, vk, err := readCached(dir)
			done()
			if err != nil {
				return nil, fmt.Errorf("aggregate: cached keys %s: %w (remove the directory to run the setup again)", dir, err)
			}
			o.PK, o.VK, o.Cached = pk, vk, true
			return o, nil
		}
	}
	runtime.GC()
	done = p.Start(fmt.Sprintf("outer setup (dev, unsafe; %d constraints: minutes per shard)", ccs.GetNbConstraints()))
	pk, vk, err := groth16.Setup(ccs)
	done()
	if err != nil {
		return nil, fmt.Errorf("aggregate: setup: %w", err)
	}
	o.PK, o.VK = pk, vk
	if dir != "" {
		done := p.Start("caching the outer keys in " + dir)
		err := writeCached(dir, pk, vk)
		done()
		if err != nil {
			return nil, err
		}
	}
	return o, nil
}

// Prove checks the shards (Check), proves the outer circuit for them with
// the hash to field of gnark's Solidity verifier (so the EVM verifies the
// aggregated proof), and verifies the proof with o.VK before returning it.
func (o *Outer) Prove(shards []Shard, p prover.Progress) (groth16.Proof, Statement, error) {
	p = orSilent(p)
	a, st, err := o.Circuit.Assign(shards)
	if err != nil {
		return nil, Statement{}, err
	}
	w, err := frontend.NewWitness(a, field)
	if err != nil {
		return nil, Statement{}, fmt.Errorf("aggregate: witness: %w", err)
	}
	done := p.Start("proving the outer circuit (groth16)")
	proof, err := groth16.Prove(o.CCS, o.PK, w, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
	done()
	if err != nil {
		return nil, Statement{}, fmt.Errorf("aggregate: prove: %w", err)
	}
	if err := VerifyOuter(proof, o.VK, st); err != nil {
		if o.Cached {
			return nil, Statement{}, fmt.Errorf("%w (the cached outer keys do not fit the compiled circuit: remove the cache directory)", err)
		}
		return nil, Statement{}, err
	}
	return proof, st, nil
}

// VerifyOuter verifies an aggregated proof of statement st under the outer
// verifying key vk (Keccak hash to field, as the EVM).
func VerifyOuter(proof groth16.Proof, vk groth16.VerifyingKey, st Statement) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: malformed proof: %v", ErrRejected, r)
		}
	}()
	w, err := publicWitness(st.PublicInputs())
	if err != nil {
		return err
	}
	if err := groth16.Verify(proof, vk, w, solidity.WithVerifierTargetSolidityVerifier(backend.GROTH16)); err != nil {
		return fmt.Errorf("%w: aggregated proof: %v", ErrRejected, err)
	}
	return nil
}

// Cache layout: DIR/pk.bin and DIR/vk.bin, gnark's raw encodings, each
// written to a temporary file and renamed, the verifying key last (its
// presence marks a complete entry).
func readCached(dir string) (groth16.ProvingKey, groth16.VerifyingKey, error) {
	vkf, err := os.Open(filepath.Join(dir, "vk.bin"))
	if err != nil {
		return nil, nil, err
	}
	defer vkf.Close()
	vk := new(groth16bn254.VerifyingKey)
	if _, err := vk.ReadFrom(bufio.NewReader(vkf)); err != nil {
		return nil, nil, fmt.Errorf("vk.bin: %w", err)
	}
	pkf, err := os.Open(filepath.Join(dir, "pk.bin"))
	if err != nil {
		return nil, nil, fmt.Errorf("pk.bin: %w", err)
	}
	defer pkf.Close()
	pk := new(groth16bn254.ProvingKey)
	// Our own cache: the points were checked when the setup made them.
	if _, err := pk.UnsafeReadFrom(bufio.NewReaderSize(pkf, 1<<20)); err != nil {
		return nil, nil, fmt.Errorf("pk.bin: %w", err)
	}
	return pk, vk, nil
}

func writeCached(dir string, pk groth16.ProvingKey, vk groth16.VerifyingKey) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("aggregate: cache: %w", err)
	}
	write := func(name string, w io.WriterTo) error {
		path := filepath.Join(dir, name)
		f, err := renameio.NewPendingFile(path, renameio.WithPermissions(0o644), renameio.WithTempDir(dir))
		if err != nil {
			return fmt.Errorf("aggregate: cache: %w", err)
		}
		defer f.Cleanup()
		b := bufio.NewWriterSize(f, 1<<20)
		if _, err := w.WriteTo(b); err != nil {
			return fmt.Errorf("aggregate: cache: %s: %w", path, err)
		}
		if err := b.Flush(); err != nil {
			return fmt.Errorf("aggregate: cache: %s: %w", path, err)
		}
		return f.CloseAtomicallyReplace()
	}
	if err := write("pk.bin", rawWriter{pk.WriteRawTo}); err != nil {
		return err
	}
	return write("vk.bin", rawWriter{vk.WriteRawTo})
}

type rawWriter struct {
	f func(io.Writer) (int64, error)
}

func (r rawWriter) WriteTo(w io.Writer) (int64, error) { return r.f(w) }

func orSilent(p prover.Progress) prover.Progress {
	if p == nil {
		return silent{}
	}
	return p
}

type silent struct{}

func (silent) Start(string) func() { return func() {} }

// StatementOf parses the three public inputs of an aggregated proof.
func StatementOf(in []fr.Element) (Statement, error) {
	if len(in) != 3 {
		return Statement{}, fmt.Errorf("%w: %d public inputs, an aggregated proof has 3 (input, output, shards commitment)", ErrRejected, len(in))
	}
	return Statement{Input: in[0], Output: in[1], ShardsCommitment: in[2]}, nil
}

package aggregate

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark/backend/groth16"

	"github.com/zkinfer/zkinfer/quant"
)

// TestCircuitID: the cache key of the outer keys changes with anything the
// outer circuit depends on (the shard keys, their order, the ranges, the
// block count) and nothing else.
func TestCircuitID(t *testing.T) {
	f, g := newFixture(t), newFixture(t)
	rs := []quant.ShardRange{{From: 0, To: 1}, {From: 1, To: 3}}
	id := func(n int, rs []quant.ShardRange, vks ...groth16.VerifyingKey) string {
		t.Helper()
		s, err := CircuitID(n, rs, vks)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := id(3, rs, f.vk, g.vk)
	if again := id(3, rs, f.vk, g.vk); again != base {
		t.Fatalf("CircuitID not deterministic: %s, %s", base, again)
	}
	for name, other := range map[string]string{
		"keys swapped":     id(3, rs, g.vk, f.vk),
		"another key":      id(3, rs, f.vk, f.vk),
		"another range":    id(4, []quant.ShardRange{{From: 0, To: 1}, {From: 1, To: 4}}, f.vk, g.vk),
		"another n":        id(4, rs, f.vk, g.vk),
		"another sharding": id(3, []quant.ShardRange{{From: 0, To: 2}, {From: 2, To: 3}}, f.vk, g.vk),
	} {
		if other == base {
			t.Errorf("%s: same CircuitID %s", name, base)
		}
	}
	// Graph cut shardings: another ID than version 1's, per model; version
	// 1 named explicitly is CircuitID.
	sid := func(sh Sharding) string {
		t.Helper()
		s, err := ShardingCircuitID(sh, 3, rs, []groth16.VerifyingKey{f.vk, g.vk})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if sid(Sharding{Version: quant.ShardsVersion}) != base || sid(Sharding{}) != base {
		t.Error("version 1 named explicitly: another CircuitID")
	}
	sh := graphSharding()
	v2 := sid(sh)
	sh2 := sh
	sh2.Model.SetUint64(9)
	if v2 == base || sid(sh2) == v2 || sid(sh2) == base {
		t.Errorf("graph sharding IDs %s (model 2: %s) vs version 1 %s", v2, sid(sh2), base)
	}
	if _, err := ShardingCircuitID(Sharding{Version: 7}, 3, rs, []groth16.VerifyingKey{f.vk, g.vk}); err == nil {
		t.Error("CircuitID of shards version 7")
	}
	if _, err := CircuitID(3, rs, []groth16.VerifyingKey{f.vk}); err == nil {
		t.Error("CircuitID of 2 ranges and 1 key")
	}
}

// TestKeyCache: the outer keys written to the cache read back as the same
// keys, and a truncated entry is an error, not a crash or a silent setup.
func TestKeyCache(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "entry")
	if _, _, err := readCached(dir); !os.IsNotExist(err) {
		t.Fatalf("empty cache: %v", err)
	}
	if err := writeCached(dir, f.pk, f.vk); err != nil {
		t.Fatal(err)
	}
	pk, vk, err := readCached(dir)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if _, err := f.vk.WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	if _, err := vk.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("cached verifying key differs")
	}
	a.Reset()
	b.Reset()
	if _, err := f.pk.WriteRawTo(&a); err != nil {
		t.Fatal(err)
	}
	if _, err := pk.WriteRawTo(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("cached proving key differs")
	}
	// A proof with the cached keys verifies under the original key.
	s := f.shard(t, quant.ShardRange{From: 0, To: 1}, 5, 7, 101)
	f2 := &fixture{ccs: f.ccs, pk: pk, vk: f.vk}
	s2 := f2.shard(t, s.Range, 5, 7, 101)
	if _, err := Check(1, []Shard{s2}); err != nil {
		t.Fatalf("proof with the cached proving key: %v", err)
	}
	pkPath := filepath.Join(dir, "pk.bin")
	data, err := os.ReadFile(pkPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pkPath, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readCached(dir); err == nil || os.IsNotExist(err) {
		t.Fatalf("truncated proving key: %v", err)
	}
}

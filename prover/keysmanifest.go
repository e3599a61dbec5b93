package prover

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/zkinfer/zkinfer/quant"
)

// FormatKeys is the media type of a keys manifest: the verifying-key
// digests of a sharded model's shards, which setup --shards writes and a
// verifier pins (verify --keys).
const FormatKeys = "application/vnd.zkinfer.keys.v1+json"

// maxKeysManifest bounds a keys manifest file.
const maxKeysManifest = 1 << 20

// KeysManifest pins the verifying keys of a sharded model: a verifier that
// obtained it from a source it trusts (the model host's signed release, an
// auditor who ran the setup or the ceremony audit) checks every shard's
// proof against the key with the shard's digest, never the key a bundle
// brings. Each entry also carries its key's header, so what a verifier
// reports about a shard (circuit, how the key was made, shapes) comes from
// the manifest, not from the bundle.
type KeysManifest struct {
	MediaType        string `json:"media_type"`
	ModelDigest      string `json:"model_digest"`
	ModelCommitment  string `json:"model_commitment"`
	ShardsCommitment string `json:"shards_commitment"`
	// ShardsVersion is the shard manifest's (absent for gpt2 blocks).
	ShardsVersion int              `json:"shards_version,omitempty"`
	NLayer        int              `json:"n_layer"`
	Backend       string           `json:"backend"`
	Visibility    quant.Visibility `json:"visibility"`
	Shards        []KeyEntry       `json:"shards"`
}

// KeyEntry pins shard Index (blocks From..To-1) to one verifying key.
type KeyEntry struct {
	Index int `json:"index"`
	From  int `json:"from"`
	To    int `json:"to"`
	// VKDigest is VerifyingKeyDigest of the shard's verifying key.
	VKDigest string `json:"vk_digest"`
	// Key is the verifying key's header.
	Key Header `json:"key"`
}

// KeysPath is the keys manifest beside a shard manifest:
// circuit.shards.json → circuit.keys.json.
func KeysPath(manifestPath string) string {
	return strings.TrimSuffix(manifestPath, ".shards.json") + ".keys.json"
}

// NewKeysManifest reads the verifying key of every shard of man (after
// setup --shards) and returns the manifest that pins them.
func NewKeysManifest(man *ShardManifest) (*KeysManifest, error) {
	k := &KeysManifest{MediaType: FormatKeys, ModelDigest: man.ModelDigest, ModelCommitment: man.ModelCommitment, ShardsCommitment: man.ShardsCommitment, ShardsVersion: man.ShardsVersion, NLayer: man.NLayer, Backend: man.Backend, Visibility: man.Visibility}
	for _, e := range man.Shards {
		vk, h, err := ReadVerifyingKey(e.VK)
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", e.Index, err)
		}
		if h.CircuitDigest != e.CircuitDigest {
			return nil, fmt.Errorf("shard %d: %s: %w: the key is for circuit %s, the manifest names %s", e.Index, e.VK, ErrCircuitMismatch, h.CircuitDigest, e.CircuitDigest)
		}
		// Shards of one circuit share a key (compileShards); its header
		// names the model the circuit was compiled from. With witness
		// weights each shard has its own weights, so the entry names the
		// shard's commitment (what the registry registers for it); the
		// layout, so the digest, is the key's either way. With fixed
		// weights the circuit is one model's and must be this shard's.
		if h.Commitment != e.Commitment {
			if w := h.IO().Weights; w == "" || w == quant.VisibilityFixed {
				return nil, fmt.Errorf("shard %d: %s: %w: the key is for model %s, the shard is %s", e.Index, e.VK, ErrCircuitMismatch, h.Commitment, e.Commitment)
			}
			h.Commitment = e.Commitment
		}
		ke, err := NewKeyEntry(e.Index, quant.ShardRange{From: e.From, To: e.To}, vk, h)
		if err != nil {
			return nil, err
		}
		k.Shards = append(k.Shards, ke)
	}
	return k, nil
}

// NewKeyEntry pins shard i, the blocks of r, to vk with header h.
func NewKeyEntry(i int, r quant.ShardRange, vk VerifyingKey, h Header) (KeyEntry, error) {
	d, err := VerifyingKeyDigest(vk, h.Layout())
	if err != nil {
		return KeyEntry{}, err
	}
	return KeyEntry{Index: i, From: r.From, To: r.To, VKDigest: d, Key: h}, nil
}

// WriteKeysManifest writes a keys manifest atomically.
func WriteKeysManifest(path string, k *KeysManifest) error {
	data, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		return err
	}
	if err := quant.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ReadKeysManifest reads and checks a keys manifest (ParseKeysManifest).
func ReadKeysManifest(path string) (*KeysManifest, error) {
	data, err := quant.ReadFileLimited(path, maxKeysManifest)
	if err != nil {
		return nil, err
	}
	k, err := ParseKeysManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ParseKeysManifest decodes a keys manifest strictly: its media type, no
// unknown fields, shards in order covering the blocks, well-formed digests,
// and every entry's key header of the manifest's backend.
func ParseKeysManifest(data []byte) (*KeysManifest, error) {
	if len(data) > maxKeysManifest {
		return nil, fmt.Errorf("%w: keys manifest of %d bytes, at most %d", ErrCorrupted, len(data), maxKeysManifest)
	}
	var k KeysManifest
	if err := decodeStrict(data, FormatKeys, &k); err != nil {
		return nil, err
	}
	if err := checkManifestHead(k.Backend, k.Visibility, k.ShardsVersion, k.NLayer, len(k.Shards)); err != nil {
		return nil, err
	}
	next := 0
	for i, e := range k.Shards {
		if err := checkShardRange(k.ShardsVersion, i, e.Index, e.From, e.To, next, k.NLayer); err != nil {
			return nil, err
		}
		next = e.To
		if _, err := ParseVKDigest(e.VKDigest); err != nil {
			return nil, fmt.Errorf("%w: shard %d: %v", ErrCorrupted, i, err)
		}
		if e.Key.Format != FormatVerifyingKey || e.Key.Backend != k.Backend {
			return nil, fmt.Errorf("%w: shard %d: key header of format %q for backend %q, want %q for %q", ErrCorrupted, i, e.Key.Format, e.Key.Backend, FormatVerifyingKey, k.Backend)
		}
		if want := quant.ShardVisibility(k.Visibility, i, len(k.Shards)); e.Key.Visibility == nil || *e.Key.Visibility != want {
			return nil, fmt.Errorf("%w: shard %d: key header of visibility %+v, want %+v", ErrCorrupted, i, e.Key.Visibility, want)
		}
	}
	if next != k.NLayer {
		return nil, fmt.Errorf("%w: shards cover %s 0:%d of %d", ErrCorrupted, UnitName(k.ShardsVersion), next, k.NLayer)
	}
	return &k, nil
}

package farm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// Media types of the farm's records.
const (
	MediaTypeJob    = "application/vnd.zkinfer.farm-job.v1+json"
	MediaTypeInput  = "application/vnd.zkinfer.farm-input.v1+json"
	MediaTypeStatus = "application/vnd.zkinfer.farm-status.v1+json"
	MediaTypeWorker = "application/vnd.zkinfer.farm-worker.v1+json"
)

// Job asks for the proof of one shard: everything in it is a digest of an
// artifact in the store, or what the result bundle must say of the whole
// model. It is what a job message carries.
type Job struct {
	MediaType string `json:"media_type"`
	// Key names the job: the SHA-256 of what decides its proof (JobKey).
	Key     string `json:"key"`
	Shard   int    `json:"shard"`
	NShards int    `json:"n_shards"`
	From    int    `json:"from"`
	To      int    `json:"to"`
	// ShardsVersion is the shard manifest's: absent for a gpt2 model cut
	// into blocks, quant.GraphShardsVersion for a layer graph cut into node
	// ranges (From, To and NLayer then count nodes).
	ShardsVersion int `json:"shards_version,omitempty"`
	// The whole model, as the result's sharded bundle names it.
	NLayer           int              `json:"n_layer"`
	ModelDigest      string           `json:"model_digest"`
	ModelCommitment  string           `json:"model_commitment"`
	ShardsCommitment string           `json:"shards_commitment"`
	Visibility       quant.Visibility `json:"visibility"`
	// CircuitDigest and SubModelDigest are the shard manifest's: the
	// circuit header and the sub-model the artifacts must be.
	CircuitDigest  string `json:"circuit_digest"`
	SubModelDigest string `json:"sub_model_digest"`
	// Artifacts, by the SHA-256 of their bytes. Model is the JSON of the
	// sub-model as quant.Model.Digest encodes it: its digest is
	// SubModelDigest.
	Circuit Digest `json:"circuit"`
	PK      Digest `json:"pk"`
	VK      Digest `json:"vk"`
	Model   Digest `json:"model"`
	Input   Digest `json:"input"`
}

// Input is the shard's input as its sub-model's Forward takes it (the
// activation, int8 seq × d_model, rows of its last axis for one int8
// tensor; one flat slice per part for a graph shard whose cut set is
// several tensors or index values) and the salts of the model's private
// input or output where this shard has them.
type Input struct {
	MediaType  string    `json:"media_type"`
	X          [][]int64 `json:"x"`
	SaltInput  string    `json:"salt_input,omitempty"`
	SaltOutput string    `json:"salt_output,omitempty"`
}

// Job states.
const (
	StateQueued  = "queued"
	StateProving = "proving"
	StateDone    = "done"
	StateFailed  = "failed"
)

// Status is a job's record in the job bucket, written by the submitter
// (queued) and the workers. Nothing in it is trusted: a result it names is
// checked like any other.
type Status struct {
	MediaType string `json:"media_type"`
	State     string `json:"state"`
	Worker    string `json:"worker,omitempty"`
	// Attempt is the job message's delivery count when a worker wrote it.
	Attempt int    `json:"attempt,omitempty"`
	Error   string `json:"error,omitempty"`
	// Result is the digest of the shard bundle, once done.
	Result  Digest    `json:"result,omitempty"`
	Seconds float64   `json:"seconds,omitempty"`
	Updated time.Time `json:"updated"`
	Job     Job       `json:"job"`
}

// WorkerInfo is a worker's heartbeat record.
type WorkerInfo struct {
	MediaType   string    `json:"media_type"`
	Name        string    `json:"name"`
	Host        string    `json:"host"`
	Concurrency int       `json:"concurrency"`
	Busy        int       `json:"busy"`
	Done        int       `json:"done"`
	Failed      int       `json:"failed"`
	Started     time.Time `json:"started"`
	Seen        time.Time `json:"seen"`
}

// decodeStrict decodes a record of media type format: no other media type,
// no unknown fields, at most maxJobMessage bytes unless limit says more.
func decodeStrict(data []byte, format string, limit int, v any) error {
	if len(data) > limit {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrMessage, len(data), limit)
	}
	var probe struct {
		MediaType string `json:"media_type"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return fmt.Errorf("%w: %v", ErrMessage, err)
	}
	if probe.MediaType != format {
		return fmt.Errorf("%w: media type %.80q, want %q", ErrMessage, probe.MediaType, format)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrMessage, err)
	}
	return nil
}

// ParseJob decodes and checks a job message.
func ParseJob(data []byte) (*Job, error) {
	var j Job
	if err := decodeStrict(data, MediaTypeJob, maxJobMessage, &j); err != nil {
		return nil, err
	}
	if prover.CheckShardCount(j.ShardsVersion, j.NLayer, j.NShards) != nil ||
		j.Shard < 0 || j.Shard >= j.NShards || j.From < 0 || j.To <= j.From || j.To > j.NLayer {
		return nil, fmt.Errorf("%w: shard %d of %d, %s %d:%d of %d (shards version %d)", ErrMessage, j.Shard, j.NShards, prover.UnitName(j.ShardsVersion), j.From, j.To, j.NLayer, j.ShardsVersion)
	}
	if err := j.Visibility.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMessage, err)
	}
	for _, d := range []Digest{j.Circuit, j.PK, j.VK, j.Model, j.Input} {
		if err := d.Validate(); err != nil {
			return nil, err
		}
	}
	if string(j.Model) != j.SubModelDigest {
		return nil, fmt.Errorf("%w: the sub-model artifact %s is not the sub-model %.80s the job names", ErrMessage, j.Model, j.SubModelDigest)
	}
	if len(j.Key) != 2*sha256.Size {
		return nil, fmt.Errorf("%w: job key %.80q", ErrMessage, j.Key)
	}
	if _, err := hex.DecodeString(j.Key); err != nil {
		return nil, fmt.Errorf("%w: job key %.80q", ErrMessage, j.Key)
	}
	return &j, nil
}

// JobKey is the name of the job for shard i of a sharding with the given
// artifacts and input activation x: the SHA-256 of what decides the proof
// (not the salts, which are fresh per run), so a rerun finds the shards
// an earlier run proved.
func JobKey(j *Job, x [][]int64) (string, error) {
	id := struct {
		Format                   string
		Shard, NShards, From, To int
		// Absent for gpt2 blocks: their keys are unchanged.
		ShardsVersion          int `json:",omitempty"`
		ShardsCommitment       string
		Circuit, PK, VK, Model Digest
		X                      [][]int64
	}{MediaTypeJob, j.Shard, j.NShards, j.From, j.To, j.ShardsVersion, j.ShardsCommitment, j.Circuit, j.PK, j.VK, j.Model, x}
	data, err := json.Marshal(id)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// maxInput bounds an input record: seq × d_model int8 values as JSON.
const maxInput = 64 << 20

// ParseInput decodes an input record; the model checks the shape (Forward).
func ParseInput(data []byte) (*Input, modelio.Salts, error) {
	var in Input
	var s modelio.Salts
	if err := decodeStrict(data, MediaTypeInput, maxInput, &in); err != nil {
		return nil, s, err
	}
	for _, e := range []struct {
		hex string
		el  *fr.Element
	}{{in.SaltInput, &s.Input}, {in.SaltOutput, &s.Output}} {
		if e.hex == "" {
			continue
		}
		raw, err := hex.DecodeString(e.hex)
		if err != nil || len(raw) != fr.Bytes {
			return nil, s, fmt.Errorf("%w: salt is not %d hex bytes", ErrMessage, fr.Bytes)
		}
		if err := e.el.SetBytesCanonical(raw); err != nil {
			return nil, s, fmt.Errorf("%w: salt: %v", ErrMessage, err)
		}
	}
	return &in, s, nil
}

// NewInput is the input record of a shard: activation x, and the salts it
// needs (the model input's in the first shard, the output's in the last)
// when those are private.
func NewInput(x [][]int64, salts modelio.Salts, vis quant.Visibility) ([]byte, error) {
	in := Input{MediaType: MediaTypeInput, X: x}
	privIn, privOut := vis.HasPrivate()
	if privIn {
		b := salts.Input.Bytes()
		in.SaltInput = hex.EncodeToString(b[:])
	}
	if privOut {
		b := salts.Output.Bytes()
		in.SaltOutput = hex.EncodeToString(b[:])
	}
	return json.Marshal(in)
}

// ParseStatus decodes a job's status record.
func ParseStatus(data []byte) (*Status, error) {
	var s Status
	if err := decodeStrict(data, MediaTypeStatus, maxJobMessage, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// ParseWorker decodes a worker's heartbeat record.
func ParseWorker(data []byte) (*WorkerInfo, error) {
	var w WorkerInfo
	if err := decodeStrict(data, MediaTypeWorker, maxJobMessage, &w); err != nil {
		return nil, err
	}
	return &w, nil
}

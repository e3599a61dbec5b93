package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// Default artifact names, shared by the commands, the demo and the tests.
const (
	DefaultSettings  = "settings.json"
	DefaultQuantized = "model.quant.json"
	DefaultCircuit   = "circuit.zkc"
	DefaultPK        = "pk.key"
	DefaultVK        = "vk.key"
	DefaultBundle    = "proof.json"
	DefaultSolidity  = "Verifier.sol"
	DefaultDemoDir   = "zkinfer-demo"
	DefaultDeploy    = "deployment.json"
	DefaultMPCSRS    = "phase1.srs"
	// SaltsSuffix follows the bundle path in the default salts file name.
	SaltsSuffix = ".salts.json"
)

// PrivateKeyEnv holds the hex private key for --rpc when --key-file is not
// given. Keys are never taken from flag values, which end up in shell
// history and process listings.
const PrivateKeyEnv = "ZKINFER_PRIVATE_KEY"

const (
	catSetup = "SETUP"
	catModel = "MODEL"
	catFiles = "ARTIFACTS"
	catOut   = "OUTPUT"
	catChain = "CHAIN"
	catProve = "PROVING"
	catTrust = "TRUST ANCHOR"
)

var (
	ModelFlag = &cli.StringFlag{
		Name: "model", Aliases: []string{"M"}, Category: catModel, Required: true,
		Usage: "model `FILE`: an ONNX graph (.onnx), a Hugging Face GPT-2, Llama or Mistral model.safetensors (beside its config.json), or safetensors with GPT-2 tensor names and a zkinfer config",
	}
	SeqLenFlag = &cli.IntFlag{
		Name: "seq-len", Category: catModel,
		Usage: "sequence length `N` to prove, for ONNX graphs with a dynamic sequence axis and Hugging Face checkpoints (default 8 for those)",
	}
	BlocksFlag = &cli.StringFlag{
		Name: "blocks", Category: catModel,
		Usage: "blocks `A:B` (A..B-1) of a Hugging Face GPT-2 checkpoint; ln_f is included when B is n_layer (default: all)",
	}
	LMFlag = &cli.BoolFlag{
		Name: "lm", Category: catModel,
		Usage: "import a Hugging Face GPT-2 checkpoint as a whole language model: token ids in, logits out (wte, wpe, blocks, ln_f, the head: wte unless tie_word_embeddings is false), for zkinfer generate; without it a GPT-2 checkpoint is a stack of blocks (residual stream in and out). Llama and Mistral checkpoints are always whole language models",
	}
	// CutInputsFlag and CutOutputsFlag cut an ONNX graph at named tensors.
	CutInputsFlag = &cli.StringSliceFlag{
		Name: "inputs", Category: catModel,
		Usage: "cut the ONNX graph: start at these tensors `NAME,…` (ONNX value names, e.g. /2/AveragePool_output_0; they become the inputs; default: the graph's inputs); with --outputs, prove the part of a larger model between them",
	}
	CutOutputsFlag = &cli.StringSliceFlag{
		Name: "outputs", Category: catModel,
		Usage: "cut the ONNX graph: end at these tensors `NAME,…` (they become the outputs; default: the graph's outputs)",
	}
	ConfigFlag = &cli.StringFlag{
		Name: "config", Category: catModel,
		Usage: "model config `FILE`: zkinfer's (architecture, d_model, d_hidden, seq_len, activation) or a Hugging Face GPT-2 config.json; default: config.json beside the model",
	}
	DataFlag = &cli.StringFlag{
		Name: "data", Aliases: []string{"D"}, Category: catModel, Required: true,
		Usage: "calibration samples, EZKL-style JSON `FILE` {\"input_data\": [[...], ...]}; a graph of several inputs lists samples of one flattened array per input, {\"input_data\": [[[in1...], [in2...]], ...]}",
	}
	InputFlag = &cli.StringFlag{
		Name: "input", Aliases: []string{"I"}, Category: catModel, Required: true,
		Usage: "input JSON `FILE` {\"input_data\": [[seq_len·d_model numbers]]} (one sample); a graph of several inputs: one flattened array per input, {\"input_data\": [[in1...], [in2...]]} (integers for index inputs, true/false for bool inputs)",
	}
	// SeqInputFlag is --input for the commands that import a model: optional,
	// it tells the sequence length instead of proving anything.
	SeqInputFlag = &cli.StringFlag{
		Name: "input", Aliases: []string{"I"}, Category: catModel,
		Usage: "input JSON `FILE` the model will be proven on: where the sequence length is open (ONNX dynamic axis, Hugging Face) it is the number of rows, values / d_model; every model must take its samples",
	}
	SettingsFlag = &cli.StringFlag{
		Name: "settings", Aliases: []string{"S"}, Category: catFiles, Value: DefaultSettings,
		Usage: "settings `FILE` (written by gen-settings, completed by calibrate-settings)",
	}
	QuantizedFlag = &cli.StringFlag{
		Name: "quantized", Category: catFiles, Value: DefaultQuantized,
		Usage: "quantized model `FILE` (integers and scales, JSON)",
	}
	CircuitFlag = &cli.StringFlag{
		Name: "circuit", Aliases: []string{"C"}, Category: catFiles, Value: DefaultCircuit,
		Usage: "compiled circuit `FILE`",
	}
	PKFlag = &cli.StringFlag{
		Name: "pk", Category: catFiles, Value: DefaultPK, Usage: "proving key `FILE`",
	}
	VKFlag = &cli.StringFlag{
		Name: "vk", Category: catFiles, Value: DefaultVK, Usage: "verifying key `FILE`",
	}
	BundleFlag = &cli.StringFlag{
		Name: "bundle", Aliases: []string{"proof"}, Category: catFiles, Value: DefaultBundle,
		Usage: "proof bundle `FILE` (JSON: proof, public inputs, verifying key, digests)",
	}
	SolidityFlag = &cli.StringFlag{
		Name: "sol", Category: catFiles, Value: DefaultSolidity, Usage: "Solidity verifier `FILE` to write",
	}
	DevFlag = &cli.BoolFlag{
		Name: "dev", Category: catSetup,
		Usage: "UNSAFE single-party setup: this machine learns the toxic waste and could forge proofs; for development only",
	}
	BackendFlag = &cli.StringFlag{
		Name: "backend", Category: catSetup, Value: prover.DefaultBackend,
		Usage: "proving system: groth16 (smaller proofs, cheaper verify gas; keys from a per-circuit ceremony) or plonk (universal KZG SRS)",
	}
	RangeChecksFlag = &cli.StringFlag{
		Name: "range-checks", Category: catSetup, Value: prover.RangeChecksLookup,
		Usage: "range-check strategy: lookup (fewest constraints) or bits (no proof commitment: ~123 k less verify gas for ffn circuits)",
	}
	// SetupBackendFlag has no default: setup reads the backend from the
	// circuit, and the flag only guards against using the wrong circuit.
	SetupBackendFlag = &cli.StringFlag{
		Name: "backend", Category: catSetup,
		Usage: "expected proving system, groth16 or plonk (default: the one the circuit was compiled for)",
	}
	SRSFlag = &cli.StringFlag{
		Name: "srs", Category: catSetup,
		Usage: "PLONK: KZG SRS `FILE` for BN254 in gnark-crypto's kzg.SRS binary encoding (see README)",
	}
	GPUFlag = &cli.BoolFlag{
		Name: "gpu", Category: catProve,
		Usage: "prove on an NVIDIA GPU through ICICLE (Groth16 only; needs a binary built with prover/gpu/build.sh)",
	}
	DeviceFlag = &cli.IntFlag{
		Name: "device", Category: catProve,
		Usage: "CUDA device `N` to prove on with --gpu (numbered from 0)",
	}
	RequireProductionFlag = &cli.BoolFlag{
		Name: "require-production", Category: catSetup,
		Usage: "fail unless the keys came from a ceremony or an SRS file (not --dev)",
	}
	OutFlag = &cli.StringFlag{
		Name: "out", Aliases: []string{"o"}, Category: catFiles, Required: true, Usage: "`FILE` to write",
	}
	DomainFlag = &cli.Uint64Flag{
		Name: "domain", Category: catSetup,
		Usage: "phase 1 domain size `N` (a power of two); default: the smallest that fits --circuit",
	}
	ContributorFlag = &cli.StringFlag{
		Name: "name", Category: catSetup, Usage: "contributor `NAME` recorded in the transcript (free text)",
	}
	BeaconFlag = &cli.StringFlag{
		Name: "beacon", Category: catSetup, Required: true,
		Usage: "public random `HEX` fixed after the last contribution (e.g. a later block hash or drand round)",
	}
	MPCSRSFlag = &cli.StringFlag{
		Name: "mpc-srs", Category: catFiles, Value: DefaultMPCSRS, Usage: "sealed phase 1 `FILE`",
	}
	Phase1Flag = &cli.StringSliceFlag{
		Name: "phase1", Category: catFiles, Usage: "phase 1 contribution `FILE`s, in order (repeat the flag)",
	}
	DirFlag = &cli.StringFlag{
		Name: "dir", Category: catFiles, Value: DefaultDemoDir, Usage: "`DIR` for the demo's artifacts",
	}
	// DemoTinyFlag keeps the demo's test fast; hidden because the tiny model
	// shows nothing the demo model does not.
	DemoTinyFlag = &cli.BoolFlag{
		Name: "tiny", Hidden: true, Usage: "run the demo on a one-block toy model (for tests)",
	}
	JSONFlag = &cli.BoolFlag{
		Name: "json", Category: catOut, Usage: "print the result as JSON",
	}
	QuietFlag = &cli.BoolFlag{
		Name: "quiet", Aliases: []string{"q"}, Category: catOut, Usage: "no progress output on stderr",
	}
	RPCFlag = &cli.StringFlag{
		Name: "rpc", Category: catChain,
		Usage: "JSON-RPC `URL` of an Ethereum node (http, ws or IPC path); default: go-ethereum's in-process simulated chain",
	}
	ChainIDFlag = &cli.Uint64Flag{
		Name: "chain-id", Category: catChain,
		Usage: "chain `ID` the node must serve (required with --rpc; transactions are signed for it)",
	}
	KeyFileFlag = &cli.StringFlag{
		Name: "key-file", Category: catChain,
		Usage: "`FILE` holding the hex private key that signs transactions with --rpc (default: $" + PrivateKeyEnv + ")",
	}
	RegistryFlag = &cli.StringFlag{
		Name: "registry", Category: catChain,
		Usage: "existing registry contract `ADDRESS` to register the model with (default: deploy a new registry)",
	}
	DeploymentFlag = &cli.StringFlag{
		Name: "deployment", Category: catFiles, Value: DefaultDeploy,
		Usage: "deployment `FILE` (JSON: chain, verifier, registry, model id) written by deploy-evm, read by verify-evm --rpc",
	}
	InputVisibilityFlag = &cli.StringFlag{
		Name: "input-visibility", Category: catModel, Value: quant.DefaultVisibility.Input,
		Usage: "what the verifier sees of the input: public (packed values as public inputs), hashed (one Poseidon2 hash; values in the bundle) or private (a salted commitment; salt kept by the prover); per graph input: `NAME=VIS,…[,VIS]` (e.g. ids=public,mask=private,hashed: a bare VIS is for the inputs not named); or committed (Groth16, one int8 tensor, the whole side: the values committed by the proof system's own Pedersen commitment instead of hashed, ≈ 0 constraints instead of ≈ 6 per value; values in the bundle, verify recomputes the commitment over the key's input basis, which setup writes beside the verifying key; not hiding: use private for secret values)",
	}
	OutputVisibilityFlag = &cli.StringFlag{
		Name: "output-visibility", Category: catModel, Value: quant.DefaultVisibility.Output,
		Usage: "what the verifier sees of the output: public, hashed or private, or per graph output `NAME=VIS,…[,VIS]` (as --input-visibility), or committed (as --input-visibility committed)",
	}
	WeightVisibilityFlag = &cli.StringFlag{
		Name: "weight-visibility", Category: catModel, Value: quant.DefaultVisibility.Weights,
		Usage: "what the verifier sees of the weights: fixed (circuit constants: the keys are bound to one model), hashed (private witnesses whose Poseidon2 commitment is a public input: one setup serves every model of the architecture) or public (hashed, plus the weights as public inputs; small models only), or committed (layer graphs, Groth16: private witnesses committed by the proof system's own Pedersen commitment instead of hashed in the circuit, ≈ 2 constraints per weight instead of ≈ 8; the model commitment is then over the key's weights basis, which setup writes beside the verifying key)",
	}
	InputBasisFlag = &cli.StringFlag{
		Name: "input-basis", Category: catTrust,
		Usage: "committed input: the input basis `FILE` setup wrote beside the verifying key (default with --vk: vk.input.basis); its digest must be the pinned key's",
	}
	OutputBasisFlag = &cli.StringFlag{
		Name: "output-basis", Category: catTrust,
		Usage: "committed output: the output basis `FILE` setup wrote beside the verifying key (default with --vk: vk.output.basis); its digest must be the pinned key's",
	}
	WeightsBasisFlag = &cli.StringFlag{
		Name: "weights-basis", Category: catTrust,
		Usage: "committed weights: the weights basis `FILE` setup wrote beside the verifying key (vk.basis); its digest must be the pinned key's. With --model, the model's commitment is recomputed from it",
	}
	VerifyModelFlag = &cli.StringFlag{
		Name: "model", Aliases: []string{"M"}, Category: catModel,
		Usage: "quantized model `FILE` the bundle must be about: checks its commitment, recompiles its circuit and checks the digest (with hashed or public weights the circuit is the architecture's, the commitment pins the weights)",
	}
	PinVKFlag = &cli.StringFlag{
		Name: "vk", Category: catTrust,
		Usage: "pin the verifying key `FILE` you made (setup) or audited (ceremony audit): the proof must verify against it, and what is reported (circuit, setup, shapes) comes from its header",
	}
	PinVKDigestFlag = &cli.StringFlag{
		Name: "vk-digest", Category: catTrust,
		Usage: "pin the verifying key by its `DIGEST` (sha256:…, printed by setup and written to vk.digest), obtained from a source you trust",
	}
	PinKeysFlag = &cli.StringFlag{
		Name: "keys", Category: catTrust,
		Usage: "sharded bundles: pin every shard's key by the keys manifest `FILE` that setup --shards writes (circuit.keys.json)",
	}
	PinSRSFlag = &cli.StringFlag{
		Name: "srs", Category: catTrust,
		Usage: "PLONK, with --model: derive the verifying key yourself from the model file and this KZG SRS `FILE` you trust (compile + setup; as slow as both)",
	}
	PinModelIDFlag = &cli.StringFlag{
		Name: "model-id", Category: catTrust,
		Usage: "with --rpc and --registry: pin the verifying key registered under model `ID` (0x…, names the registrant: choose one you trust)",
	}
	PinRegistryFlag = &cli.StringFlag{
		Name: "registry", Category: catTrust,
		Usage: "with --model-id: the registry contract `ADDRESS`",
	}
	PinAuditorFlag = &cli.StringSliceFlag{
		Name: "auditor", Category: catTrust,
		Usage: "with --model-id: require an attestation of the registered key by auditor `ADDRESS` (repeatable)",
	}
	InsecureUnpinnedFlag = &cli.BoolFlag{
		Name: "insecure-unpinned", Category: catTrust,
		Usage: "debugging only: check the proof against the key the bundle brings; proves nothing about any model (anyone can make such a bundle)",
	}
	SaltsFlag = &cli.StringFlag{
		Name: "salts", Category: catFiles,
		Usage: "`FILE` to keep the salts of private input/output in (default: the bundle path + " + SaltsSuffix + "); keep it secret",
	}
	ShardBlocksFlag = &cli.IntFlag{
		Name: "shard-blocks", Category: catProve,
		Usage: "split a gpt2 model into shards of `K` blocks, one circuit each (circuit.shard-N.zkc and the manifest circuit.shards.json); 0: one circuit",
	}
	// CompileShardsFlag is compile-circuit's --shards: a number of graph
	// shards (elsewhere --shards names the manifest compile-circuit writes).
	CompileShardsFlag = &cli.IntFlag{
		Name: "shards", Category: catProve,
		Usage: "cut a layer-graph model into `N` shards of about equal estimated constraints, one circuit each (as --shard-blocks; 0: one circuit)",
	}
	CutFlag = &cli.StringSliceFlag{
		Name: "cut", Category: catProve,
		Usage: "cut a layer-graph model after the named values `NAME,…` (or nodes; see zkinfer inspect): one shard per part, one circuit each",
	}
	ShardsFlag = &cli.StringFlag{
		Name: "shards", Category: catFiles,
		Usage: "shard manifest `FILE` written by compile-circuit --shard-blocks (e.g. circuit.shards.json): work on every shard it lists",
	}
	ShardFlag = &cli.IntFlag{
		Name: "shard", Category: catProve, Value: -1,
		Usage: "with --shards, prove only shard `N` (numbered from 0) into a shard bundle, for proving shards on several machines (default: all)",
	}
	AggregatableFlag = &cli.BoolFlag{
		Name: "aggregatable", Category: catProve,
		Usage: "with --shards, prove the shards for 'zkinfer aggregate' (MiMC commitment challenge, the recursive verifier's; same keys, but the shard proofs no longer verify on the EVM one by one)",
	}
	JobsFlag = &cli.IntFlag{
		Name: "jobs", Aliases: []string{"j"}, Category: catProve, Value: 1,
		Usage: "with --shards, prove `J` shards at a time (each holds its own circuit and proving key in memory)",
	}
	MetadataURIFlag = &cli.StringFlag{
		Name: "metadata-uri", Category: catChain, Usage: "metadata `URI` recorded with the model in the registry",
	}
	// calldata's targets: they only fill in the calls it prints.
	CalldataDeploymentFlag = &cli.StringFlag{
		Name: "deployment", Category: catChain,
		Usage: "deployment `FILE` written by deploy-evm: take the verifier, registry and model id from it",
	}
	CalldataRegistryFlag = &cli.StringFlag{
		Name: "registry", Category: catChain,
		Usage: "registry contract `ADDRESS` to address verifyInference to",
	}
	CalldataModelIDFlag = &cli.StringFlag{
		Name: "model-id", Category: catChain,
		Usage: "registry model `ID` (0x and 64 hex digits, deploy-evm prints it): completes verifyInference's calldata",
	}
	// Issue 18: keys, clamping, messages.
	StrictFlag = &cli.BoolFlag{
		Name: "strict", Category: catProve,
		Usage: "fail when an input value lies outside the model's input format, instead of warning and clamping it to the nearest value the format holds",
	}
	// CalibrateStrictFlag is --strict of calibrate-settings.
	CalibrateStrictFlag = &cli.BoolFlag{
		Name: "strict", Category: catModel,
		Usage: "fail when the calibration set looks degenerate (one sample, identical or constant samples, saturation or < 4 bits on held-out samples) instead of warning",
	}
	// Requantization precision (settings' requant_bits, norm_requant_bits).
	PrecisionFlag = &cli.StringFlag{
		Name: "precision", Category: catModel,
		Usage: "requantization precision preset: `NAME` default (about 16-bit multipliers) or compact (requant_bits 15, norm_requant_bits 30: dense remainders in one 15-bit range-check limb, norms in two; a smaller circuit for slightly coarser multipliers)",
	}
	RequantBitsFlag = &cli.IntFlag{
		Name: "requant-bits", Category: catModel,
		Usage: "the most bits `N` (1..48) a requantization remainder may have (dense layers, attention, affine, mean, average pool): each costs ceil(N/15) range-check limbs at the usual base; smaller N keeps fewer multiplier bits (at least 5: a layer that cannot reach N keeps the nearest shift, and calibrate-settings says so); 0: the default",
	}
	NormRequantBitsFlag = &cli.IntFlag{
		Name: "norm-requant-bits", Category: catModel,
		Usage: "--requant-bits for LayerNorm and RMSNorm, whose shift also holds their reciprocal square root's precision K (lowered too, keeping at least 4 bits beyond the worst case); 0: the default",
	}
)

// precisionFlags reads --precision, --requant-bits and --norm-requant-bits
// over p (the explicit widths override the preset); set reports whether
// any was given.
func precisionFlags(ctx *cli.Context, p quant.Precision) (_ quant.Precision, set bool, err error) {
	if ctx.IsSet(PrecisionFlag.Name) {
		switch name := ctx.String(PrecisionFlag.Name); name {
		case "default":
			p = quant.Precision{}
		case "compact":
			p = quant.CompactPrecision
		default:
			return p, false, withHint(fmt.Errorf("--%s %q: %w: unknown precision", PrecisionFlag.Name, name, quant.ErrValidation), "pass --%s default or --%s compact, or the widths with --%s N --%s N", PrecisionFlag.Name, PrecisionFlag.Name, RequantBitsFlag.Name, NormRequantBitsFlag.Name)
		}
		set = true
	}
	if ctx.IsSet(RequantBitsFlag.Name) {
		p.RequantBits, set = ctx.Int(RequantBitsFlag.Name), true
	}
	if ctx.IsSet(NormRequantBitsFlag.Name) {
		p.NormBits, set = ctx.Int(NormRequantBitsFlag.Name), true
	}
	if err := p.Validate(); err != nil {
		return p, false, withHint(err, "--%s and --%s take 1..%d bits (0: the default); --%s compact is 15 and 30", RequantBitsFlag.Name, NormRequantBitsFlag.Name, quant.MaxShift, PrecisionFlag.Name)
	}
	return p, set, nil
}

// Issue 17: the proving farm (NATS JetStream). Secrets come from files or
// the environment, never from flag values (shell history, process lists).
const (
	// NATSPasswordEnv and NATSTokenEnv hold the password for --nats-user
	// and a server token.
	NATSPasswordEnv = "ZKINFER_NATS_PASSWORD"
	NATSTokenEnv    = "ZKINFER_NATS_TOKEN"
	catFarm         = "FARM"
)

var (
	NATSFlag = &cli.StringFlag{
		Name: "nats", Category: catFarm, EnvVars: []string{"ZKINFER_NATS_URL"},
		Usage: "the farm's NATS server `URL`s, comma-separated (nats://host:4222, tls://…); user and password belong in --nats-user and $" + NATSPasswordEnv + ", not here",
	}
	NATSCredsFlag = &cli.StringFlag{
		Name: "nats-creds", Category: catFarm, EnvVars: []string{"ZKINFER_NATS_CREDS"},
		Usage: "NATS credentials `FILE` (user JWT and NKey seed, from nsc)",
	}
	NATSNKeyFlag = &cli.StringFlag{
		Name: "nats-nkey", Category: catFarm, EnvVars: []string{"ZKINFER_NATS_NKEY"},
		Usage: "`FILE` holding the user's NKey seed (SU…), for servers that authorize NKeys",
	}
	NATSUserFlag = &cli.StringFlag{
		Name: "nats-user", Category: catFarm, EnvVars: []string{"ZKINFER_NATS_USER"},
		Usage: "NATS `USER`; the password is read from $" + NATSPasswordEnv + " (a token from $" + NATSTokenEnv + ")",
	}
	NATSTLSCAFlag = &cli.StringFlag{
		Name: "nats-tls-ca", Category: catFarm, EnvVars: []string{"ZKINFER_NATS_TLS_CA"},
		Usage: "CA certificate `FILE` that signs the servers' certificates",
	}
	NATSTLSCertFlag = &cli.StringFlag{
		Name: "nats-tls-cert", Category: catFarm, EnvVars: []string{"ZKINFER_NATS_TLS_CERT"},
		Usage: "client certificate `FILE`, for servers that require mutual TLS (with --nats-tls-key)",
	}
	NATSTLSKeyFlag = &cli.StringFlag{
		Name: "nats-tls-key", Category: catFarm, EnvVars: []string{"ZKINFER_NATS_TLS_KEY"},
		Usage: "client key `FILE` of --nats-tls-cert",
	}
	NATSReplicasFlag = &cli.IntFlag{
		Name: "nats-replicas", Category: catFarm, Value: 1,
		Usage: "replicas `R` of the farm's streams and buckets when this command creates them (3 on a 3-node cluster)",
	}
	FarmTimeoutFlag = &cli.DurationFlag{
		Name: "timeout", Category: catFarm,
		Usage: "with --nats, give up waiting for the farm after `DURATION` (e.g. 30m; default: wait); finished shards are kept for a rerun",
	}
	ConcurrencyFlag = &cli.IntFlag{
		Name: "concurrency", Category: catFarm, Value: 1,
		Usage: "prove `N` jobs at once (each holds its circuit and proving key in memory; one job already uses every core)",
	}
	WorkerNameFlag = &cli.StringFlag{
		Name: "name", Category: catFarm,
		Usage: "worker `NAME` shown in progress and farm status (default: host name and process id)",
	}
	FarmCacheFlag = &cli.StringFlag{
		Name: "cache", Category: catFarm,
		Usage: "`DIR` to keep fetched circuits and keys in, by digest (default: the user cache directory's zkinfer/farm)",
	}
	AckWaitFlag = &cli.DurationFlag{
		Name: "ack-wait", Category: catFarm, Value: 60 * time.Second,
		Usage: "a job whose worker stops reporting progress for `DURATION` goes to another worker; give every worker of a farm the same",
	}
	// WorkerStallFlag is a test hook: the worker stops where gnark's prover
	// would start, holding its job, until it is stopped.
	WorkerStallFlag = &cli.BoolFlag{Name: "test-stall", Hidden: true}
	FarmListenFlag  = &cli.StringFlag{
		Name: "listen", Category: catFarm, Value: "127.0.0.1:4222",
		Usage: "`HOST:PORT` the embedded NATS server listens on (port 0: any free port)",
	}
	FarmStoreFlag = &cli.StringFlag{
		Name: "store", Category: catFarm, Value: "zkinfer-farm",
		Usage: "`DIR` where the embedded server keeps the queue, the job states and the artifacts",
	}
	NATSConfigFlag = &cli.StringFlag{
		Name: "nats-config", Category: catFarm,
		Usage: "nats-server configuration `FILE` for the embedded server (users, NKeys, TLS, cluster); --listen and --store override its address and store",
	}
)

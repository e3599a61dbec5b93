package quant

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

// SettingsMediaType is the format of a settings file.
const SettingsMediaType = "application/vnd.zkinfer.settings.v1+json"

// Visibility names (EZKL's vocabulary).
const (
	// VisibilityPublic: the packed values (PackInt8) are public inputs.
	VisibilityPublic = "public"
	// VisibilityHashed: one public input, HashPacked of the values (no
	// salt); the bundle carries the values and the verifier rehashes them.
	VisibilityHashed = "hashed"
	// VisibilityPrivate: one public input, HashPacked with a random salt
	// the host keeps; the bundle carries only the commitment.
	VisibilityPrivate = "private"
	// VisibilityFixed: weights are constants of the circuit, so the
	// verifying key is bound to them. Weights may also be hashed (private
	// witnesses, the commitment a public input: one setup per
	// architecture) or public (the commitment and the weight elements are
	// public inputs; small models only, MaxPublicWeights).
	VisibilityFixed = "fixed"
	// VisibilityCommitted (Groth16 only): the weights are
	// private witnesses committed by the proof system's own Pedersen
	// (BSB22) commitment instead of hashed in the circuit; the public model
	// commitment is the Keccak hash of that commitment point, which anyone
	// recomputes from the weights and the key's commitment basis
	// (prover.WeightsBasis). EZKL calls this "polycommit". See README,
	// "Committed weights". As an input or output visibility (the whole
	// side, one int8 tensor) the side's values are committed the same way
	// instead of hashed: one public input, Keccak of that commitment's
	// point, which a verifier holding the values recomputes from the key's
	// input (output) basis (prover.IOBasis). README, "Committed input and
	// output".
	VisibilityCommitted = "committed"
)

// DefaultVisibility hashes input and output, so that a proof has two public
// inputs whatever the model's size (each public input costs ~6.6k gas in
// the Solidity verifier), and keeps the weights fixed.
var DefaultVisibility = Visibility{Input: VisibilityHashed, Output: VisibilityHashed, Weights: VisibilityFixed}

// Validate checks that v is a combination this build can prove. Part
// names are checked against a model by Resolve.
func (v Visibility) Validate() error {
	if err := validateSide("input", v.Input, v.InputParts); err != nil {
		return err
	}
	if err := validateSide("output", v.Output, v.OutputParts); err != nil {
		return err
	}
	switch v.Weights {
	case VisibilityFixed, VisibilityHashed, VisibilityPublic, VisibilityCommitted:
	default:
		return fmt.Errorf("%w: weights visibility %q (supported: %s, %s, %s, %s)", ErrValidation, v.Weights, VisibilityFixed, VisibilityHashed, VisibilityPublic, VisibilityCommitted)
	}
	return nil
}

// Visibility says what the verifier sees of each part of the model.
type Visibility struct {
	Input   string `json:"input"`
	Output  string `json:"output"`
	Weights string `json:"weights"`
	// InputParts and OutputParts give named input (output) parts their
	// own visibility; absent when every part has Input's (Output's). See
	// "Per-part visibility" (partvis.go).
	InputParts  PartVisibility `json:"input_parts,omitempty"`
	OutputParts PartVisibility `json:"output_parts,omitempty"`
}

// Settings ties a model file to the choices made for proving it. It is
// written by gen-settings, completed by calibrate-settings, and read by every
// later stage.
type Settings struct {
	MediaType string `json:"media_type"`
	// Weights and ConfigPath are relative to the settings file's directory
	// when they were given relative to it.
	Weights       string     `json:"weights"`
	WeightsSHA256 string     `json:"weights_sha256"`
	ConfigPath    string     `json:"config"`
	Config        Config     `json:"model"`
	Visibility    Visibility `json:"visibility"`
	Backend       string     `json:"backend"`
	Scales        *Scales    `json:"scales"`
	// Precision bounds the requantizations' remainders ("requant_bits",
	// "norm_requant_bits"; absent: the default rule): smaller circuits
	// for less precise multipliers. Quantize applies it; calibration does
	// not depend on it.
	Precision
	Accuracy *AccuracyReport `json:"accuracy,omitempty"`
	// Source is the file the model was imported from, when gen-settings
	// converted it into Weights and ConfigPath.
	Source *Source `json:"source,omitempty"`

	dir string
}

// Source records an imported model file. Later stages read the converted
// copy, not the source: the layer list was fixed when it was imported.
type Source struct {
	Format string `json:"format"`
	// Path is relative to the settings file's directory when it can be.
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	// Config and ConfigSHA256 record the configuration file an import read
	// beside the weights (a Hugging Face config.json: it decides norms'
	// epsilons, RoPE's θ, the attention scale), relative as Path.
	Config       string `json:"config,omitempty"`
	ConfigSHA256 string `json:"config_sha256,omitempty"`
	// Options are the import options that shaped the model (sequence
	// length, block range), for the record.
	Options string `json:"options,omitempty"`
	// Inputs and Outputs are the tensors an ONNX graph was cut at
	// (--inputs, --outputs): the converted copy is that part only.
	Inputs  []string `json:"inputs,omitempty"`
	Outputs []string `json:"outputs,omitempty"`
}

// Names of the converted copy of an imported model, after the settings file's
// name without its extension: settings.json → settings.model.safetensors.
const (
	ImportedWeightsSuffix = ".model.safetensors"
	ImportedConfigSuffix  = ".config.json"
)

// NewImportedSettings writes fm, imported from src.Path, in zkinfer's own
// format beside the settings file and creates settings for that copy, so
// that every later stage reads one format whatever the source was.
func NewImportedSettings(fm *FloatModel, src Source, settingsPath string) (*Settings, error) {
	if err := fm.Config.Validate(); err != nil {
		return nil, err
	}
	sum, err := fileSHA256(src.Path)
	if err != nil {
		return nil, err
	}
	weights, err := EncodeSafetensors(fm)
	if err != nil {
		return nil, err
	}
	config, err := json.MarshalIndent(fm.Config, "", "  ")
	if err != nil {
		return nil, err
	}
	stem := strings.TrimSuffix(settingsPath, filepath.Ext(settingsPath))
	weightsPath, configPath := stem+ImportedWeightsSuffix, stem+ImportedConfigSuffix
	if err := WriteFile(weightsPath, weights, 0o644); err != nil {
		return nil, fmt.Errorf("%s: %w", weightsPath, err)
	}
	if err := WriteFile(configPath, append(config, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("%s: %w", configPath, err)
	}
	s, _, err := NewSettings(weightsPath, configPath, settingsPath)
	if err != nil {
		return nil, err
	}
	src.Path, src.SHA256 = relTo(filepath.Dir(settingsPath), src.Path), sum
	if src.Config != "" {
		csum, err := fileSHA256(src.Config)
		if err != nil {
			return nil, err
		}
		src.Config, src.ConfigSHA256 = relTo(filepath.Dir(settingsPath), src.Config), csum
	}
	s.Source = &src
	return s, nil
}

// NewSettings creates settings for the model at weightsPath with its config at configPath.
func NewSettings(weightsPath, configPath, settingsPath string) (*Settings, *FloatModel, error) {
	cfg, err := LoadConfig(configPath)
	if err != nil {
		return nil, nil, err
	}
	fm, err := LoadModel(weightsPath, cfg)
	if err != nil {
		return nil, nil, err
	}
	sum, err := fileSHA256(weightsPath)
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Dir(settingsPath)
	s := &Settings{
		MediaType:     SettingsMediaType,
		Weights:       relTo(dir, weightsPath),
		WeightsSHA256: sum,
		ConfigPath:    relTo(dir, configPath),
		Config:        cfg,
		Visibility:    DefaultVisibility,
		Backend:       "groth16",
		dir:           dir,
	}
	return s, fm, nil
}

func relTo(dir, path string) string {
	abs, err1 := filepath.Abs(path)
	absDir, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return path
	}
	if rel, err := filepath.Rel(absDir, abs); err == nil {
		return rel
	}
	return abs
}

func fileSHA256(path string) (string, error) {
	data, err := readFileLimited(path, MaxModelFileSize)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// LoadSettings reads a settings file.
func LoadSettings(path string) (*Settings, error) {
	data, err := readFileLimited(path, MaxJSONFileSize)
	if err != nil {
		return nil, err
	}
	var s Settings
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w: malformed settings: %v", path, ErrValidation, err)
	}
	if s.MediaType != SettingsMediaType {
		return nil, fmt.Errorf("%s: %w: %q (this build reads %q)", path, ErrUnsupportedVersion, s.MediaType, SettingsMediaType)
	}
	if err := s.Config.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := s.Visibility.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := s.Precision.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Scales != nil {
		if err := s.Scales.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	s.dir = filepath.Dir(path)
	return &s, nil
}

// Digest is the SHA-256 of the settings as Write encodes them: circuits,
// keys and bundles record it to name the settings they came from.
func (s *Settings) Digest() (string, error) {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append(data, '\n'))
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Write writes the settings atomically.
func (s *Settings) Write(path string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// WeightsPath resolves the weights file against the settings file's directory.
func (s *Settings) WeightsPath() string { return s.resolve(s.Weights) }

func (s *Settings) resolve(p string) string {
	if filepath.IsAbs(p) || s.dir == "" {
		return p
	}
	return filepath.Join(s.dir, p)
}

// LoadModel loads the float model the settings name and checks that the
// weights file is the one the settings were made for.
func (s *Settings) LoadModel() (*FloatModel, error) {
	path := s.WeightsPath()
	sum, err := fileSHA256(path)
	if err != nil {
		return nil, err
	}
	if sum != s.WeightsSHA256 {
		return nil, fmt.Errorf("%s: %w: weights changed since gen-settings (sha256 %s, settings say %s)", path, ErrValidation, sum, s.WeightsSHA256)
	}
	return LoadModel(path, s.Config)
}

// Quantize loads the model and quantizes it at the calibrated scales and
// the settings' precision.
func (s *Settings) Quantize() (*Model, error) {
	if s.Scales == nil {
		return nil, fmt.Errorf("%w: settings are not calibrated", ErrValidation)
	}
	fm, err := s.LoadModel()
	if err != nil {
		return nil, err
	}
	return QuantizeWith(fm, *s.Scales, NewRequantizer(s.Precision, nil))
}

// WriteQuantized writes a quantized model atomically, as inspectable JSON.
func WriteQuantized(path string, m *Model) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// CommittedIO reports whether the input and the output are committed
// (VisibilityCommitted: one BSB22 commitment per side, Groth16 only).
func (v Visibility) CommittedIO() (in, out bool) {
	return v.Input == VisibilityCommitted, v.Output == VisibilityCommitted
}

package quant

// Limits enforced while parsing untrusted files, so that a malformed or
// hostile file fails with an error instead of exhausting memory.
const (
	// MaxDim bounds every model dimension (GPT-2 XL's hidden size is 6400).
	MaxDim = 1 << 15
	// MaxGPT2Dim bounds a GPT-2 d_model: LayerNorm intermediates of wider
	// rows would not fit int64 (GPT-2 XL has d_model 1600).
	MaxGPT2Dim = 1 << 12
	// MaxLayers bounds the number of decoder blocks.
	MaxLayers = 256
	// MaxSeqLen bounds the sequence length.
	MaxSeqLen = 1 << 12
	// MaxModelFileSize bounds a weights file (bytes).
	MaxModelFileSize = 2 << 30
	// MaxJSONFileSize bounds config, settings, input and quantized-model files (bytes).
	MaxJSONFileSize = 512 << 20
	// MaxSamples bounds the number of calibration samples in one file.
	MaxSamples = 1 << 16
	// MinFrac and MaxFrac bound a fixed-point fraction (the f of 2^-f).
	MinFrac, MaxFrac = -16, 24
	// MaxShift bounds a requantization shift.
	MaxShift = 48
	// MaxPublicWeights bounds the public inputs of public weights (weight
	// elements of the model encoding): each costs ~6 k gas on chain and a
	// curve point in the verifying key.
	MaxPublicWeights = 1 << 12
	// MaxMultiplier bounds a requantization multiplier (exclusive).
	MaxMultiplier = 1 << 16
)

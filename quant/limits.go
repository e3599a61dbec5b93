package quant

// Limits enforced while parsing untrusted files, so that a malformed or
// hostile file fails with an error instead of exhausting memory.
const (
	// MaxDim bounds every model dimension (GPT-2 XL's hidden size is 6400).
	MaxDim = 1 << 15
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
	// MaxMultiplier bounds a requantization multiplier (exclusive).
	MaxMultiplier = 1 << 16
)

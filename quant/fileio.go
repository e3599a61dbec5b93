package quant

import (
	"fmt"
	"io"
	"os"
)

// readFileLimited reads a whole file, refusing files larger than limit bytes.
func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w: file larger than %d bytes", path, ErrValidation, limit)
	}
	return data, nil
}

// ReadFileLimited reads a whole file, refusing files larger than limit bytes,
// so that importers in sub-packages enforce the same limits.
func ReadFileLimited(path string, limit int64) ([]byte, error) {
	return readFileLimited(path, limit)
}

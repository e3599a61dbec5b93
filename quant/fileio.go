package quant

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
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

// WriteFile writes data to path atomically (temporary file + rename), with
// the temporary file in path's directory: renameio would otherwise pick
// $TMPDIR whenever it is on the same file system, where an interrupted write
// leaves a hidden file nobody looks for.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return renameio.WriteFile(path, data, perm, renameio.WithTempDir(filepath.Dir(path)))
}

package farm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Digest names an artifact: "sha256:" and the hex SHA-256 of its bytes.
type Digest string

const digestPrefix = "sha256:"

// DigestOf returns the digest of data.
func DigestOf(data []byte) Digest {
	sum := sha256.Sum256(data)
	return Digest(digestPrefix + hex.EncodeToString(sum[:]))
}

// FileDigest returns the digest and size of the file at path, read once.
func FileDigest(path string) (Digest, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", path, err)
	}
	return Digest(digestPrefix + hex.EncodeToString(h.Sum(nil))), n, nil
}

// Validate checks that d is "sha256:" and 64 lowercase hex digits.
func (d Digest) Validate() error {
	h, ok := strings.CutPrefix(string(d), digestPrefix)
	if !ok || len(h) != 2*sha256.Size {
		return fmt.Errorf("%w: digest %.80q is not sha256: and 64 hex digits", ErrMessage, d)
	}
	if _, err := hex.DecodeString(h); err != nil || strings.ToLower(h) != h {
		return fmt.Errorf("%w: digest %.80q is not sha256: and 64 lowercase hex digits", ErrMessage, d)
	}
	return nil
}

func (d Digest) hex() string { return strings.TrimPrefix(string(d), digestPrefix) }

// object is the name of the artifact with digest d in the store.
func (d Digest) object() string { return "sha256-" + d.hex() }

// natsDigest is d in the form the object store records (it computes the
// SHA-256 of what it stores itself): a stored object with this digest holds
// exactly the artifact's bytes.
func (d Digest) natsDigest() string {
	raw, _ := hex.DecodeString(d.hex())
	return "SHA-256=" + base64.URLEncoding.EncodeToString(raw)
}

// PutFile uploads the file at path under its digest, unless the store
// already holds those bytes, and returns the digest and whether it uploaded.
func (f *Farm) PutFile(ctx context.Context, path, kind string) (Digest, bool, error) {
	d, size, err := FileDigest(path)
	if err != nil {
		return "", false, err
	}
	up, err := f.put(ctx, d, size, kind, func() (io.ReadCloser, error) { return os.Open(path) })
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", path, err)
	}
	return d, up, nil
}

// PutBytes uploads data under its digest unless the store holds it already.
func (f *Farm) PutBytes(ctx context.Context, data []byte, kind string) (Digest, bool, error) {
	d := DigestOf(data)
	up, err := f.put(ctx, d, int64(len(data)), kind, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	return d, up, err
}

// put stores the artifact d of size bytes from open, unless an object of
// that name already holds those bytes (the store's own SHA-256 of the
// object is d). An object with other bytes under the name (an overwrite,
// a damaged store) is replaced.
func (f *Farm) put(ctx context.Context, d Digest, size int64, kind string, open func() (io.ReadCloser, error)) (bool, error) {
	info, err := f.objects.GetInfo(ctx, d.object())
	if err == nil && info.Digest == d.natsDigest() && int64(info.Size) == size {
		return false, nil
	}
	if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return false, fmt.Errorf("%w: %s: %v", ErrFarm, d.object(), err)
	}
	r, err := open()
	if err != nil {
		return false, err
	}
	defer r.Close()
	info, err = f.objects.Put(ctx, jetstream.ObjectMeta{Name: d.object(), Description: kind}, r)
	if err != nil {
		return false, fmt.Errorf("%w: upload %s (%s): %v", ErrFarm, d.object(), kind, err)
	}
	if info.Digest != d.natsDigest() || int64(info.Size) != size {
		return false, fmt.Errorf("%w: uploaded %s (%s) changed while it was read", ErrCorrupt, d.object(), kind)
	}
	return true, nil
}

// get opens artifact d and checks its recorded size against limit before
// anything is read.
func (f *Farm) get(ctx context.Context, d Digest, limit int64) (jetstream.ObjectResult, int64, error) {
	if err := d.Validate(); err != nil {
		return nil, 0, err
	}
	r, err := f.objects.Get(ctx, d.object())
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, 0, fmt.Errorf("%w: %s", ErrNotFound, d)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %s: %v", ErrFarm, d, err)
	}
	info, err := r.Info()
	if err != nil {
		r.Close()
		return nil, 0, fmt.Errorf("%w: %s: %v", ErrFarm, d, err)
	}
	if info.Size > uint64(limit) {
		r.Close()
		return nil, 0, fmt.Errorf("%w: %s is %d bytes, at most %d", ErrTooLarge, d, info.Size, limit)
	}
	return r, int64(info.Size), nil
}

// copyChecked copies the object r of size bytes to w (at most limit
// bytes) and checks that what was read hashes to d.
func copyChecked(w io.Writer, r io.Reader, d Digest, size, limit int64) error {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(r, limit+1))
	switch {
	case errors.Is(err, jetstream.ErrDigestMismatch):
		return fmt.Errorf("%w: %s: the store's chunks do not hash to the object's recorded digest", ErrCorrupt, d)
	case err != nil:
		return fmt.Errorf("%w: %s: %v", ErrFarm, d, err)
	case n > limit:
		return fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, d, limit)
	case n != size:
		return fmt.Errorf("%w: %s: read %d bytes, the store records %d", ErrCorrupt, d, n, size)
	}
	if got := Digest(digestPrefix + hex.EncodeToString(h.Sum(nil))); got != d {
		return fmt.Errorf("%w: the object named %s holds bytes with digest %s", ErrCorrupt, d, got)
	}
	return nil
}

// GetBytes reads artifact d into memory, at most limit bytes, checked
// against its digest.
func (f *Farm) GetBytes(ctx context.Context, d Digest, limit int64) ([]byte, error) {
	r, size, err := f.get(ctx, d, limit)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var buf bytes.Buffer
	buf.Grow(int(size))
	if err := copyChecked(&buf, r, d, size, limit); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Has reports whether the store holds artifact d with the right bytes (by
// the store's own digest of the object).
func (f *Farm) Has(ctx context.Context, d Digest) bool {
	info, err := f.objects.GetInfo(ctx, d.object())
	return err == nil && info.Digest == d.natsDigest()
}

// Cache is a worker's local copy of artifacts, one file per digest. A
// cached file is hashed again on every use, so a damaged or altered copy
// is fetched again rather than used.
type Cache struct {
	Dir string
	// Logf, when set, reports copies found damaged.
	Logf func(format string, args ...any)
}

// Fetch returns the path of a checked local copy of artifact d, fetching
// it from the store when the cache has no good copy. The copy is written
// beside its final name and renamed into place once its digest checks.
func (f *Farm) Fetch(ctx context.Context, c *Cache, d Digest, limit int64) (string, error) {
	if err := d.Validate(); err != nil {
		return "", err
	}
	path := filepath.Join(c.Dir, d.hex())
	if got, size, err := FileDigest(path); err == nil {
		if got == d && size <= limit {
			return path, nil
		}
		if c.Logf != nil {
			c.Logf("cache: %s holds bytes with digest %s: fetching it again", path, got)
		}
		if err := os.Remove(path); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return "", err
	}
	r, size, err := f.get(ctx, d, limit)
	if err != nil {
		return "", err
	}
	defer r.Close()
	tmp, err := os.CreateTemp(c.Dir, "."+d.hex()[:16]+".*.part")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := copyChecked(tmp, r, d, size, limit); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	return path, nil
}

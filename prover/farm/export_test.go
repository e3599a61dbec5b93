package farm

import (
	"bytes"
	"context"

	"github.com/nats-io/nats.go/jetstream"
)

// Overwrite replaces the object named by d with other bytes, as a damaged
// or tampered store would hold them.
func Overwrite(ctx context.Context, f *Farm, d Digest, data []byte) error {
	_, err := f.objects.Put(ctx, jetstream.ObjectMeta{Name: d.object()}, bytes.NewReader(data))
	return err
}

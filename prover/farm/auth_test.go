package farm_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"

	"github.com/zkinfer/zkinfer/prover/farm"
)

// The server configuration of deploy/nats-node.conf (its TLS and cluster
// blocks left out: they need certificates and peers) admits a worker with
// the NKey seed of a listed key, and nobody else; errors never show a
// secret.
func TestNKeyAuth(t *testing.T) {
	conf, err := os.ReadFile(filepath.Join("deploy", "nats-node.conf"))
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	c := regexp.MustCompile(`(?s)\ntls \{.*?\n\}`).ReplaceAllString(string(conf), "")
	c = regexp.MustCompile(`(?s)\ncluster \{.*\n\}`).ReplaceAllString(c, "")
	c = regexp.MustCompile(`nkey: U[A-Z0-9]+ \}  # workers`).ReplaceAllString(c, "nkey: "+pub+" }")
	c = strings.Replace(c, "/var/lib/nats/jetstream", t.TempDir(), 1)
	if strings.Contains(c, "tls {") || strings.Contains(c, "cluster {") || !strings.Contains(c, pub) {
		t.Fatalf("could not adapt the configuration:\n%s", c)
	}
	dir := t.TempDir()
	confPath, seedPath := filepath.Join(dir, "nats.conf"), filepath.Join(dir, "worker.nk")
	if err := os.WriteFile(confPath, []byte(c), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seedPath, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := farm.StartServer(farm.ServerConfig{Listen: "127.0.0.1:0", ConfigFile: confPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	url := srv.ClientURL()
	ctx := context.Background()
	f, err := farm.Connect(ctx, farm.Options{URL: url, NKey: seedPath})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, o := range []farm.Options{
		{URL: url},
		{URL: strings.Replace(url, "nats://", "nats://alice:pa55word@", 1)},
		{URL: url, User: "alice", Password: "pa55word"},
	} {
		_, err := farm.Connect(ctx, o)
		if err == nil {
			t.Fatalf("connected without a listed key: %+v", o)
		}
		if strings.Contains(err.Error(), "pa55word") || strings.Contains(err.Error(), string(seed)) {
			t.Fatalf("the error shows a secret: %v", err)
		}
	}
}

package contracts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/zkinfer/zkinfer/contracts/gethtest"
)

// TestRegistryGethDev runs the registry scenario against a real node:
// geth --dev over JSON-RPC, blocks every second.
func TestRegistryGethDev(t *testing.T) {
	requireSolc(t)
	url := gethtest.StartDev(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	key, err := ParsePrivateKey(gethtest.FundedKey(t, ctx, url))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("wrong chain id", func(t *testing.T) {
		_, err := DialChain(ctx, url, key, big.NewInt(1))
		if !errors.Is(err, ErrWrongChain) {
			t.Fatalf("got %v, want ErrWrongChain", err)
		}
	})
	t.Run("node down", func(t *testing.T) {
		_, err := DialChain(ctx, fmt.Sprintf("http://127.0.0.1:%d", gethtest.FreePort(t)), key, nil)
		if !errors.Is(err, ErrNodeUnreachable) {
			t.Fatalf("got %v, want ErrNodeUnreachable", err)
		}
	})

	chain, err := DialChain(ctx, url, key, big.NewInt(1337))
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	testRegistry(t, ctx, chain)
	t.Run("attacks", func(t *testing.T) { testRegistryAttacks(t, ctx, chain) })
}

func TestParsePrivateKey(t *testing.T) {
	if _, err := ParsePrivateKey("0x" + gethtest.DevKey + "\n"); err != nil {
		t.Fatal(err)
	}
	secret := "zz" + gethtest.DevKey[2:]
	for _, bad := range []string{"", "abc", secret, gethtest.DevKey + "00"} {
		_, err := ParsePrivateKey(bad)
		if !errors.Is(err, ErrBadKey) {
			t.Fatalf("%q: got %v, want ErrBadKey", bad, err)
		}
		if len(bad) > 8 && bytes.Contains([]byte(err.Error()), []byte(bad[4:])) {
			t.Fatalf("error repeats the key: %v", err)
		}
	}
}

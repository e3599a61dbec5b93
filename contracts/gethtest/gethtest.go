// Package gethtest starts a `geth --dev` node for tests that need a real
// Ethereum node over JSON-RPC.
package gethtest

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// Env names the geth binary the node tests run; .ci/run sets it.
const Env = "ZKINFER_GETH"

// gethVersion is the go-ethereum release the tests are written against, the
// one go.mod pins.
const gethVersion = "v1.17.10"

// DevKey is the key `geth --dev` funds in its genesis when its keystore
// is empty (utils.DeveloperKey in go-ethereum's cmd/utils/flags.go). It is
// public: never use it outside a dev chain.
const DevKey = "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291"

const gethInstallHint = "install it with: GOBIN=$HOME/.cache/zkinfer/geth-" + gethVersion +
	" go install github.com/ethereum/go-ethereum/cmd/geth@" + gethVersion + " (or run .ci/run), or set " + Env

// findGeth returns the geth to test against: $ZKINFER_GETH, the .ci/run
// cache, or geth on PATH. Without one the test fails under CI (CI=true) and
// is skipped elsewhere.
func findGeth(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(Env); p != "" {
		if err := checkExecutable(p); err != nil {
			t.Fatalf("%s=%q: %v; %s", Env, p, err, gethInstallHint)
		}
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		if p := filepath.Join(home, ".cache", "zkinfer", "geth-"+gethVersion, "geth"); checkExecutable(p) == nil {
			return p
		}
	}
	if p, err := exec.LookPath("geth"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("geth not found under CI; %s", gethInstallHint)
	}
	t.Skipf("geth not found; %s", gethInstallHint)
	return ""
}

func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartDev starts `geth --dev` on a free loopback port, waits until it
// answers JSON-RPC, and stops it (by its PID) when the test ends.
func StartDev(t testing.TB) string {
	t.Helper()
	geth := findGeth(t)
	dir := t.TempDir()
	port := FreePort(t)
	logPath := filepath.Join(dir, "geth.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(geth, "--dev", "--dev.period", "1",
		"--datadir", filepath.Join(dir, "data"),
		"--http", "--http.addr", "127.0.0.1", "--http.port", strconv.Itoa(port),
		"--authrpc.addr", "127.0.0.1", "--authrpc.port", strconv.Itoa(FreePort(t)),
		"--port", "0", "--nodiscover", "--maxpeers", "0", "--ipcdisable")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", geth, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logFile.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	logTail := func() string {
		b, _ := os.ReadFile(logPath)
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		return string(b)
	}

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("geth exited: %v\n%s", err, logTail())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := ethclient.DialContext(ctx, url)
		if err == nil {
			_, err = c.ChainID(ctx)
			c.Close()
		}
		cancel()
		if err == nil {
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("geth did not answer on %s within 60 s: %v\n%s", url, err, logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// FundedKey returns a key with ether on the dev chain: geth's well-known
// dev key, or, if a future geth funds another account, a fresh key funded
// from the node's unlocked dev account through eth_sendTransaction.
func FundedKey(t testing.TB, ctx context.Context, url string) string {
	t.Helper()
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ec := ethclient.NewClient(c)
	key, err := crypto.HexToECDSA(DevKey)
	if err != nil {
		t.Fatal(err)
	}
	if bal, err := ec.BalanceAt(ctx, crypto.PubkeyToAddress(key.PublicKey), nil); err == nil && bal.Sign() > 0 {
		return DevKey
	}
	var accounts []common.Address
	if err := c.CallContext(ctx, &accounts, "eth_accounts"); err != nil || len(accounts) == 0 {
		t.Fatalf("dev key unfunded and no unlocked dev account (eth_accounts: %v, %v)", accounts, err)
	}
	fresh, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	to := crypto.PubkeyToAddress(fresh.PublicKey)
	value := new(big.Int).Exp(big.NewInt(10), big.NewInt(21), nil) // 1000 ether
	var hash common.Hash
	if err := c.CallContext(ctx, &hash, "eth_sendTransaction", map[string]any{
		"from": accounts[0], "to": to, "value": (*hexutil.Big)(value),
	}); err != nil {
		t.Fatalf("fund a fresh key from %s: %v", accounts[0], err)
	}
	for {
		if r, err := ec.TransactionReceipt(ctx, hash); err == nil && r != nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	return hexutil.Encode(crypto.FromECDSA(fresh))[2:]
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}

package contracts

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// Errors of connecting to a node; the CLI turns them into hints.
var (
	// ErrNodeUnreachable: nothing answered JSON-RPC at the URL.
	ErrNodeUnreachable = errors.New("node unreachable")
	// ErrWrongChain: the node serves another chain than the one asked for.
	ErrWrongChain = errors.New("wrong chain")
	// ErrBadKey: the private key is malformed.
	ErrBadKey = errors.New("bad private key")
)

// dialTimeout bounds the first request to a node, so a URL that swallows
// packets fails in seconds rather than hanging a command.
const dialTimeout = 10 * time.Second

// DialChain connects to an Ethereum node over JSON-RPC (http, https, ws, wss
// or an IPC path) and returns a Chain that signs with key.
//
// wantChainID, when not nil, must equal the node's chain id: transactions
// are signed for that id (EIP-155), so a key meant for a test network never
// signs something replayable on another. The node's URL is part of error
// messages with any user information stripped.
func DialChain(ctx context.Context, rawURL string, key *ecdsa.PrivateKey, wantChainID *big.Int) (*Chain, error) {
	if key == nil {
		return nil, fmt.Errorf("contracts: dial: %w: no key", ErrBadKey)
	}
	name := redactURL(rawURL)
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	client, err := ethclient.DialContext(dctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("contracts: dial %s: %w: %v", name, ErrNodeUnreachable, err)
	}
	chainID, err := client.ChainID(dctx)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("contracts: dial %s: %w: %v", name, ErrNodeUnreachable, err)
	}
	if wantChainID != nil && chainID.Cmp(wantChainID) != 0 {
		client.Close()
		return nil, fmt.Errorf("contracts: dial %s: %w: node serves chain id %s, want %s", name, ErrWrongChain, chainID, wantChainID)
	}
	return &Chain{
		rpc:     client,
		client:  client,
		key:     key,
		from:    crypto.PubkeyToAddress(key.PublicKey),
		chainID: chainID,
		name:    name,
	}, nil
}

// ParsePrivateKey reads a secp256k1 private key written as 64 hex digits,
// with or without 0x and surrounding white space. Errors never repeat the
// input, so a key cannot leak into logs through them.
func ParsePrivateKey(s string) (*ecdsa.PrivateKey, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "0x")
	if len(s) != 64 {
		return nil, fmt.Errorf("contracts: %w: want 64 hex digits, got %d characters", ErrBadKey, len(s))
	}
	key, err := crypto.HexToECDSA(s)
	if err != nil {
		return nil, fmt.Errorf("contracts: %w: not a valid secp256k1 key in hex", ErrBadKey)
	}
	return key, nil
}

// Name says which chain c is: "embedded" or the node's URL.
func (c *Chain) Name() string { return c.name }

// ChainID is the chain id transactions are signed for.
func (c *Chain) ChainID() *big.Int { return new(big.Int).Set(c.chainID) }

// From is the address c sends transactions from.
func (c *Chain) From() common.Address { return c.from }

// Balance is the sender's balance in wei.
func (c *Chain) Balance(ctx context.Context) (*big.Int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil {
		return nil, errors.New("contracts: balance: chain is closed")
	}
	b, err := c.client.BalanceAt(ctx, c.from, nil)
	if err != nil {
		return nil, fmt.Errorf("contracts: balance of %s: %w", c.from, err)
	}
	return b, nil
}

// redactURL keeps the scheme and host of a URL for messages: providers put
// API keys in the user information, the path (/v3/KEY) or the query. A path
// that is not a URL (IPC) is kept.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return raw
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return r.String() + "/…"
	}
	return r.String()
}

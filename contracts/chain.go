package contracts

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/rpc"
)

// blockGasLimit leaves ample room for deploying a verifier (a few million
// gas) and for verifiers with many public inputs.
const blockGasLimit = 60_000_000

// receiptWait bounds how long we wait for a receipt after mining, so a
// dropped transaction becomes an error instead of a hang when ctx has no
// deadline.
const receiptWait = 30 * time.Second

// Chain is an EVM to deploy verifiers to and send verification transactions
// to. It sends real signed transactions rather than eth_call so that the gas
// reported is what a user would pay, intrinsic and calldata costs included.
//
// A Chain is safe for concurrent use; transactions are serialized so that
// nonces stay in order.
type Chain struct {
	mu sync.Mutex
	// sim is the in-process chain, nil for a chain reached over JSON-RPC.
	sim *simulated.Backend
	// rpc is the JSON-RPC connection, nil for the simulated chain.
	rpc *ethclient.Client
	// client is nil once the chain is closed.
	client  simulated.Client
	key     *ecdsa.PrivateKey
	from    common.Address
	chainID *big.Int
	// name says which chain this is in messages: "embedded" or the node's URL.
	name string
}

// NewSimulatedChain starts go-ethereum's in-process simulated chain with a
// freshly generated, well-funded dev account. Close it when done.
func NewSimulatedChain() (c *Chain, err error) {
	key, err := crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("contracts: new simulated chain: %w", err)
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	balance := new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil) // 10^12 ether
	// simulated.NewBackend panics on node start-up failures; turn that into
	// an error so callers get one uniform failure mode.
	var sim *simulated.Backend
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("contracts: new simulated chain: %v", r)
			}
		}()
		sim = simulated.NewBackend(types.GenesisAlloc{from: {Balance: balance}}, simulated.WithBlockGasLimit(blockGasLimit))
	}()
	if err != nil {
		return nil, err
	}
	client := sim.Client()
	ctx, cancel := context.WithTimeout(context.Background(), receiptWait)
	defer cancel()
	chainID, err := client.ChainID(ctx)
	if err != nil {
		sim.Close()
		return nil, fmt.Errorf("contracts: new simulated chain: chain id: %w", err)
	}
	return &Chain{sim: sim, client: client, key: key, from: from, chainID: chainID, name: "embedded"}, nil
}

// Close stops the chain; it cannot be used afterwards. Closing twice is
// harmless.
func (c *Chain) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil {
		return nil
	}
	var err error
	if c.sim != nil {
		err = c.sim.Close()
	}
	if c.rpc != nil {
		c.rpc.Close()
	}
	c.sim, c.rpc, c.client = nil, nil, nil
	if err != nil {
		return fmt.Errorf("contracts: close chain: %w", err)
	}
	return nil
}

// BlockGasLimit returns the gas limit of block number (the latest block
// when number is nil): what one block, and so one transaction, may use.
func (c *Chain) BlockGasLimit(ctx context.Context, number *big.Int) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil {
		return 0, errors.New("contracts: block gas limit: chain is closed")
	}
	h, err := c.client.HeaderByNumber(ctx, number)
	if err != nil {
		return 0, fmt.Errorf("contracts: block gas limit on %s: %w", c.name, err)
	}
	return h.GasLimit, nil
}

// Deploy deploys comp's creation bytecode, mines it, and returns the
// contract address and the gas the deployment used.
func (c *Chain) Deploy(ctx context.Context, comp *Compiled) (common.Address, uint64, error) {
	rcpt, err := c.DeployReceipt(ctx, comp)
	if err != nil {
		var gas uint64
		if rcpt != nil {
			gas = rcpt.GasUsed
		}
		return common.Address{}, gas, err
	}
	return rcpt.ContractAddress, rcpt.GasUsed, nil
}

// DeployReceipt is Deploy returning the deployment's receipt (contract
// address, transaction hash, gas), for callers that report the transaction.
// On a failed deployment the receipt is returned with the error when there is one.
func (c *Chain) DeployReceipt(ctx context.Context, comp *Compiled) (*types.Receipt, error) {
	if comp == nil || len(comp.Bin) == 0 {
		return nil, errors.New("contracts: deploy: no bytecode")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil {
		return nil, errors.New("contracts: deploy: chain is closed")
	}
	gas, err := c.client.EstimateGas(ctx, ethereum.CallMsg{From: c.from, Data: comp.Bin})
	if err != nil {
		return nil, fmt.Errorf("contracts: deploy %s: estimate gas: %w", comp.Name, err)
	}
	rcpt, err := c.send(ctx, nil, comp.Bin, gas)
	if err != nil {
		return nil, fmt.Errorf("contracts: deploy %s: %w", comp.Name, err)
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return rcpt, fmt.Errorf("contracts: deploy %s: transaction %s failed", comp.Name, rcpt.TxHash)
	}
	code, err := c.client.CodeAt(ctx, rcpt.ContractAddress, nil)
	if err != nil {
		return rcpt, fmt.Errorf("contracts: deploy %s: read code: %w", comp.Name, err)
	}
	if len(code) == 0 {
		return rcpt, fmt.Errorf("contracts: deploy %s: no code at %s", comp.Name, rcpt.ContractAddress)
	}
	return rcpt, nil
}

// Groth16Calldata converts a gnark BN254 Groth16 proof and its public inputs
// into the two arguments of the generated verifier's verifyProof.
//
// The public inputs are those of the witness's public part, in order
// (pub.Vector().(fr.Vector)); the commitment's hash is not among them, the
// contract recomputes it.
func Groth16Calldata(proof groth16.Proof, publicInputs fr.Vector) (proofBytes []byte, inputs []*big.Int, err error) {
	p, ok := proof.(*groth16bn254.Proof)
	if !ok {
		return nil, nil, fmt.Errorf("contracts: groth16 calldata: proof is %T, want BN254 (*groth16bn254.Proof)", proof)
	}
	if p == nil {
		return nil, nil, errors.New("contracts: groth16 calldata: nil proof")
	}
	// MarshalSolidity panics if serialization fails; keep that contained.
	defer func() {
		if r := recover(); r != nil {
			proofBytes, inputs, err = nil, nil, fmt.Errorf("contracts: groth16 calldata: %v", r)
		}
	}()
	proofBytes = p.MarshalSolidity()
	inputs = make([]*big.Int, len(publicInputs))
	for i := range publicInputs {
		inputs[i] = publicInputs[i].BigInt(new(big.Int))
	}
	return proofBytes, inputs, nil
}

// VerifyGroth16 sends a transaction calling verifyProof on the Groth16
// verifier deployed at addr and reports whether it accepted the proof.
//
// The generated verifier signals rejection by reverting, so a revert yields
// accepted=false with a nil error; err is reserved for problems that say
// nothing about the proof (bad ABI, wrong input count, node failures).
// gasUsed is the receipt's gas of the verifying transaction, or 0 when the
// revert was already detected during gas estimation.
func (c *Chain) VerifyGroth16(ctx context.Context, comp *Compiled, addr common.Address, proof groth16.Proof, publicInputs fr.Vector) (accepted bool, gasUsed uint64, err error) {
	proofBytes, inputs, err := Groth16Calldata(proof, publicInputs)
	if err != nil {
		return false, 0, err
	}
	return c.VerifyGroth16Calldata(ctx, comp, addr, proofBytes, inputs)
}

// VerifyGroth16Calldata is VerifyGroth16 on raw calldata, for callers that
// hold a serialized proof (or want to test the contract against bytes no
// gnark Proof could represent, such as points off the curve).
func (c *Chain) VerifyGroth16Calldata(ctx context.Context, comp *Compiled, addr common.Address, proof []byte, inputs []*big.Int) (accepted bool, gasUsed uint64, err error) {
	if comp == nil {
		return false, 0, errors.New("contracts: verify: nil compiled contract")
	}
	data, err := packVerifyProof(comp.ABI, proof, inputs)
	if err != nil {
		return false, 0, err
	}
	rcpt, err := c.verifyGroth16Tx(ctx, addr, data)
	if err != nil || rcpt == nil {
		return false, 0, err
	}
	return rcpt.Status == types.ReceiptStatusSuccessful, rcpt.GasUsed, nil
}

// VerifyGroth16Receipt is VerifyGroth16 returning the verifying
// transaction's receipt; the receipt is nil when the verifier rejected the
// proof already during gas estimation (no transaction was sent).
func (c *Chain) VerifyGroth16Receipt(ctx context.Context, comp *Compiled, addr common.Address, proof groth16.Proof, publicInputs fr.Vector) (*types.Receipt, error) {
	if comp == nil {
		return nil, errors.New("contracts: verify: nil compiled contract")
	}
	proofBytes, inputs, err := Groth16Calldata(proof, publicInputs)
	if err != nil {
		return nil, err
	}
	data, err := packVerifyProof(comp.ABI, proofBytes, inputs)
	if err != nil {
		return nil, err
	}
	return c.verifyGroth16Tx(ctx, addr, data)
}

func (c *Chain) verifyGroth16Tx(ctx context.Context, addr common.Address, data []byte) (*types.Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil {
		return nil, errors.New("contracts: verify: chain is closed")
	}
	gas, err := c.client.EstimateGas(ctx, ethereum.CallMsg{From: c.from, To: &addr, Data: data})
	if err != nil {
		if isRevert(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("contracts: verify: estimate gas: %w", err)
	}
	rcpt, err := c.send(ctx, &addr, data, gas)
	if err != nil {
		return nil, fmt.Errorf("contracts: verify: %w", err)
	}
	return rcpt, nil
}

// packVerifyProof ABI-encodes verifyProof(bytes, uint256[N]) from the
// contract's own ABI, so N comes from the compiled contract rather than
// being trusted from the caller.
func packVerifyProof(abiJSON string, proof []byte, inputs []*big.Int) ([]byte, error) {
	parsed, err := abi.JSON(strings.NewReader(abiJSON))
	if err != nil {
		return nil, fmt.Errorf("contracts: verify: parse abi: %w", err)
	}
	const name = "verifyProof"
	m, ok := parsed.Methods[name]
	if !ok {
		return nil, fmt.Errorf("contracts: verify: abi has no %s method", name)
	}
	if len(m.Inputs) != 2 || m.Inputs[0].Type.T != abi.BytesTy || m.Inputs[1].Type.T != abi.ArrayTy ||
		m.Inputs[1].Type.Elem == nil || m.Inputs[1].Type.Elem.T != abi.UintTy || m.Inputs[1].Type.Elem.Size != 256 {
		return nil, fmt.Errorf("contracts: verify: %s is %s, want verifyProof(bytes,uint256[N])", name, m.Sig)
	}
	n := m.Inputs[1].Type.Size
	if len(inputs) != n {
		return nil, fmt.Errorf("contracts: verify: got %d public inputs, verifier wants %d", len(inputs), n)
	}
	// The ABI packer insists on a Go array for a fixed-size Solidity array.
	arr := reflect.New(reflect.ArrayOf(n, reflect.TypeFor[*big.Int]())).Elem()
	for i, v := range inputs {
		if v == nil {
			return nil, fmt.Errorf("contracts: verify: public input %d is nil", i)
		}
		arr.Index(i).Set(reflect.ValueOf(v))
	}
	data, err := parsed.Pack(name, proof, arr.Interface())
	if err != nil {
		return nil, fmt.Errorf("contracts: verify: pack calldata: %w", err)
	}
	return data, nil
}

// send signs and submits a transaction from the dev account, mines a block
// and returns the receipt. The caller holds c.mu.
func (c *Chain) send(ctx context.Context, to *common.Address, data []byte, gas uint64) (*types.Receipt, error) {
	nonce, err := c.client.PendingNonceAt(ctx, c.from)
	if err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	tip, err := c.client.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, fmt.Errorf("gas tip: %w", err)
	}
	head, err := c.client.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	tx, err := types.SignNewTx(c.key, types.LatestSignerForChainID(c.chainID), &types.DynamicFeeTx{
		ChainID:   c.chainID,
		Nonce:     nonce,
		GasTipCap: tip,
		GasFeeCap: feeCap,
		Gas:       gas,
		To:        to,
		Data:      data,
	})
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if err := c.client.SendTransaction(ctx, tx); err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	if c.sim != nil {
		c.sim.Commit()
	}
	return c.waitReceipt(ctx, tx.Hash())
}

func (c *Chain) waitReceipt(ctx context.Context, hash common.Hash) (*types.Receipt, error) {
	ctx, cancel := context.WithTimeout(ctx, receiptWait)
	defer cancel()
	for {
		rcpt, err := c.client.TransactionReceipt(ctx, hash)
		if err == nil {
			return rcpt, nil
		}
		if !errors.Is(err, ethereum.NotFound) {
			return nil, fmt.Errorf("receipt %s: %w", hash, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("receipt %s: %w", hash, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// isRevert reports whether err is the node saying the EVM reverted, as
// opposed to the node itself failing. JSON-RPC code 3 is geth's revert code.
func isRevert(err error) bool {
	var rerr rpc.Error
	if errors.As(err, &rerr) && rerr.ErrorCode() == 3 {
		return true
	}
	return strings.Contains(err.Error(), "execution reverted")
}

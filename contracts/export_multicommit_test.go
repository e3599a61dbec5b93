package contracts

import (
	"context"
	"errors"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// VerifierRevertForTest calls verifyProof and names the custom error the
// verifier reverted with ("" when it accepted, "?" for an unnamed revert),
// so tests can tell which of the verifier's checks refused a proof.
func VerifierRevertForTest(ctx context.Context, c *Chain, comp *Compiled, addr common.Address, proof []byte, inputs []*big.Int) (string, error) {
	data, err := packVerifyProof(comp.ABI, proof, inputs)
	if err != nil {
		return "", err
	}
	_, err = c.client.CallContract(ctx, ethereum.CallMsg{From: c.from, To: &addr, Data: data}, nil)
	if err == nil {
		return "", nil
	}
	var derr rpc.DataError
	if !errors.As(err, &derr) || !isRevert(err) {
		return "", err
	}
	s, _ := derr.ErrorData().(string)
	raw, herr := hexutil.Decode(s)
	if herr != nil || len(raw) < 4 {
		return "?", nil
	}
	parsed, err := abi.JSON(strings.NewReader(comp.ABI))
	if err != nil {
		return "", err
	}
	for name, e := range parsed.Errors {
		if string(e.ID[:4]) == string(raw[:4]) {
			return name, nil
		}
	}
	return "?", nil
}

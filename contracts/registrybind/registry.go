// Code generated via abigen V2 - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package registrybind

import (
	"bytes"
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = bytes.Equal
	_ = errors.New
	_ = big.NewInt
	_ = common.Big1
	_ = types.BloomLookup
	_ = abi.ConvertType
)

// RegistryModel is an auto generated low-level Go binding around an user-defined struct.
type RegistryModel struct {
	Verifier     common.Address
	Backend      uint8
	PublicInputs uint16
	Selector     [4]byte
	Owner        common.Address
	Commitment   [32]byte
	MetadataURI  string
}

// RegistryMetaData contains all meta data concerning the Registry contract.
var RegistryMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"got\",\"type\":\"uint256\"}],\"name\":\"CommitmentMismatch\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint8\",\"name\":\"backend\",\"type\":\"uint8\"}],\"name\":\"InvalidBackend\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"}],\"name\":\"InvalidOwner\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"count\",\"type\":\"uint256\"}],\"name\":\"InvalidPublicInputCount\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"ModelExists\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotModelOwner\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"ProofRejected\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"want\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"got\",\"type\":\"uint256\"}],\"name\":\"PublicInputCountMismatch\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"UnknownModel\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"}],\"name\":\"VerifierHasNoCode\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"publicInputsHash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"InferenceVerified\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"}],\"name\":\"ModelDeregistered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"enumRegistry.Backend\",\"name\":\"backend\",\"type\":\"uint8\"},{\"indexed\":false,\"internalType\":\"uint16\",\"name\":\"publicInputs\",\"type\":\"uint16\"},{\"indexed\":false,\"internalType\":\"string\",\"name\":\"metadataURI\",\"type\":\"string\"}],\"name\":\"ModelRegistered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"previousOwner\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"newOwner\",\"type\":\"address\"}],\"name\":\"OwnershipTransferred\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"deregister\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"model\",\"outputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"},{\"internalType\":\"enumRegistry.Backend\",\"name\":\"backend\",\"type\":\"uint8\"},{\"internalType\":\"uint16\",\"name\":\"publicInputs\",\"type\":\"uint16\"},{\"internalType\":\"bytes4\",\"name\":\"selector\",\"type\":\"bytes4\"},{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"internalType\":\"string\",\"name\":\"metadataURI\",\"type\":\"string\"}],\"internalType\":\"structRegistry.Model\",\"name\":\"m\",\"type\":\"tuple\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"registrant\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"}],\"name\":\"modelIdOf\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"pure\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"},{\"internalType\":\"enumRegistry.Backend\",\"name\":\"backend\",\"type\":\"uint8\"},{\"internalType\":\"uint16\",\"name\":\"publicInputs\",\"type\":\"uint16\"},{\"internalType\":\"string\",\"name\":\"metadataURI\",\"type\":\"string\"}],\"name\":\"register\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"newOwner\",\"type\":\"address\"}],\"name\":\"transferOwnership\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"bytes\",\"name\":\"proof\",\"type\":\"bytes\"},{\"internalType\":\"uint256[]\",\"name\":\"publicInputs\",\"type\":\"uint256[]\"}],\"name\":\"verifyInference\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"publicInputsHash\",\"type\":\"bytes32\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "Registry",
	Bin: "0x6080604052348015600e575f5ffd5b506114b38061001c5f395ff3fe608060405234801561000f575f5ffd5b5060043610610060575f3560e01c8063203cd85514610064578063208131541461008a57806399324d391461009f578063a1db69fc146100b2578063ee19e84b146100c5578063ef5d6bbb146100e5575b5f5ffd5b610077610072366004610da0565b6100f8565b6040519081526020015b60405180910390f35b61009d610098366004610dd9565b61013e565b005b6100776100ad366004610e35565b6101c7565b6100776100c0366004610ebc565b610517565b6100d86100d3366004610dd9565b61072e565b6040516100819190610fc5565b61009d6100f3366004611053565b6108e9565b604080516001600160a01b03808616602083015291810184905290821660608201525f906080016040516020818303038152906040528051906020012090509392505050565b5f61014882610987565b5f83815260208190526040812080546001600160d81b03191681556001810180546001600160a01b03191690556002810182905591925061018c6003830182610d38565b50506040516001600160a01b0382169083907f013ce514e60e94431d5a89917ef982e9a03abc7deaaf3e6716a13200b3094948905f90a35050565b5f808560028111156101db576101db610f63565b03610216578460028111156101f2576101f2610f63565b604051631d2538c960e21b815260ff90911660048201526024015b60405180910390fd5b856001600160a01b03163b5f0361024b5760405163b3136e4760e01b81526001600160a01b038716600482015260240161020d565b8361ffff165f03610275576040516324cd32fd60e21b815261ffff8516600482015260240161020d565b6102803388886100f8565b90505f5f82815260208190526040902054600160a01b900460ff1660028111156102ac576102ac610f63565b146102cd57604051630921ba1360e21b81526004810182905260240161020d565b5f60018660028111156102e2576102e2610f63565b1461030d577f7e4f7a8a3016bf75945a95ae04e6678ed3bb4fb93fae55a684467fa45acd6b39610341565b61031a8561ffff16610a12565b60405160200161032a9190611094565b604051602081830303815290604052805190602001205b90506040518060e00160405280886001600160a01b0316815260200187600281111561036f5761036f610f63565b81526020018661ffff168152602001826001600160e01b0319168152602001336001600160a01b0316815260200189815260200185858080601f0160208091040260200160405190810160405280939291908181526020018383808284375f92018290525093909452505084815260208181526040909120835181546001600160a01b039091166001600160a01b031982168117835592850151919350909183916001600160a81b03191617600160a01b83600281111561043257610432610f63565b021790555060408201518154606084015160e01c600160b81b0263ffffffff60b81b1961ffff909316600160a81b029290921665ffffffffffff60a81b199091161717815560808201516001820180546001600160a01b039092166001600160a01b031990921691909117905560a0820151600282015560c082015160038201906104bd9082611173565b50905050336001600160a01b031688837f14985b5077437a06851b560dbc7e8368dd553f3e09a3844ffbe69b6b4350daa78a8a8a8a8a60405161050495949392919061125a565b60405180910390a4509695505050505050565b5f85815260208190526040812080546001600160a01b03811690600160a01b900460ff168381600281111561054e5761054e610f63565b0361056f5760405163a2dc062560e01b8152600481018a905260240161020d565b8254600160a81b900461ffff1685146105b857825460405163c307bc9b60e01b8152600481018b9052600160a81b90910461ffff1660248201526044810186905260640161020d565b5f86866105c66001826112b2565b8181106105d5576105d56112cb565b90506020020135905083600201545f1c811461060e57604051634fcd1da560e11b8152600481018b90526024810182905260440161020d565b826001600160a01b03163b5f036106435760405163b3136e4760e01b81526001600160a01b038416600482015260240161020d565b5f600183600281111561065857610658610f63565b1461067d578454610678908590600160b81b900460e01b8c8c8c8c610b0d565b610698565b8454610698908590600160b81b900460e01b8c8c8c8c610be8565b9050806106bb57604051632d93db7360e01b8152600481018c905260240161020d565b87876040516020016106ce929190611306565b60408051808303601f1901815282825280516020918201206002890154338552925190995089938f927f59ca1716342fe0be5a0b5ae74efb1c8e17ebc46c21475823e0105f183349844392918290030190a4505050505095945050505050565b6040805160e080820183525f808352602080840182905283850182905260608085018390526080850183905260a0850183905260c085015285825281815290849020845192830190945283546001600160a01b03811683529293919290830190600160a01b900460ff1660028111156107a9576107a9610f63565b60028111156107ba576107ba610f63565b81528154600160a81b810461ffff166020830152600160b81b900460e01b6001600160e01b031916604082015260018201546001600160a01b031660608201526002820154608082015260038201805460a090920191610819906110eb565b80601f0160208091040260200160405190810160405280929190818152602001828054610845906110eb565b80156108905780601f1061086757610100808354040283529160200191610890565b820191905f5260205f20905b81548152906001019060200180831161087357829003601f168201915b50505050508152505090505f60028111156108ad576108ad610f63565b816020015160028111156108c3576108c3610f63565b036108e45760405163a2dc062560e01b81526004810183905260240161020d565b919050565b5f6108f383610987565b90506001600160a01b0382166109275760405163b20f76e360e01b81526001600160a01b038316600482015260240161020d565b5f8381526020819052604080822060010180546001600160a01b0319166001600160a01b03868116918217909255915191929084169186917f0b659dccc8eb950324170e8d9598af5ee04ee070883eb28651a96788721fbf8391a4505050565b5f818152602081905260408120818154600160a01b900460ff1660028111156109b2576109b2610f63565b036109d35760405163a2dc062560e01b81526004810184905260240161020d565b60018101546001600160a01b03169150338214610a0c5760405163c0d87d6b60e01b81526004810184905233602482015260440161020d565b50919050565b6060815f03610a385750506040805180820190915260018152600360fc1b602082015290565b5f825b8015610a615781610a4b81611312565b9250610a5a9050600a8261133e565b9050610a3b565b508067ffffffffffffffff811115610a7b57610a7b6110d7565b6040519080825280601f01601f191660200182016040528015610aa5576020820181803683370190505b5091505b8215610a0c57610aba600a84611351565b610ac5906030611364565b60f81b82610ad283611377565b92508281518110610ae557610ae56112cb565b60200101906001600160f81b03191690815f1a905350610b06600a8461133e565b9250610aa9565b5f5f5f886001600160a01b03168888888888604051602401610b32949392919061138c565b60408051601f198184030181529181526020820180516001600160e01b03166001600160e01b0319909416939093179092529051610b7091906113d6565b5f60405180830381855afa9150503d805f8114610ba8576040519150601f19603f3d011682016040523d82523d5f602084013e610bad565b606091505b5091509150818015610bc0575080516020145b8015610bdb575080806020019051810190610bdb91906113e8565b9998505050505050505050565b5f8086610bf6846001611364565b610c01906020611407565b8585604051602001610c16949392919061141e565b60408051601f1981840301815291905290505f8587816020610c388183611351565b610c439060206112b2565b610c4d9190611351565b67ffffffffffffffff811115610c6557610c656110d7565b6040519080825280601f01601f191660200182016040528015610c8f576020820181803683370190505b50604051602001610ca3949392919061144b565b6040516020818303038152906040529050886001600160a01b03168282604051602001610cd1929190611469565b60408051601f1981840301815290829052610ceb916113d6565b5f60405180830381855afa9150503d805f8114610d23576040519150601f19603f3d011682016040523d82523d5f602084013e610d28565b606091505b50909a9950505050505050505050565b508054610d44906110eb565b5f825580601f10610d53575050565b601f0160209004905f5260205f2090610d6c9190610d6e565b565b5f5b80821115610d85575f81840155600101610d70565b505050565b80356001600160a01b03811681146108e4575f5ffd5b5f5f5f60608486031215610db2575f5ffd5b610dbb84610d8a565b925060208401359150610dd060408501610d8a565b90509250925092565b5f60208284031215610de9575f5ffd5b5035919050565b5f5f83601f840112610e00575f5ffd5b50813567ffffffffffffffff811115610e17575f5ffd5b602083019150836020828501011115610e2e575f5ffd5b9250929050565b5f5f5f5f5f5f60a08789031215610e4a575f5ffd5b86359550610e5a60208801610d8a565b9450604087013560038110610e6d575f5ffd5b9350606087013561ffff81168114610e83575f5ffd5b9250608087013567ffffffffffffffff811115610e9e575f5ffd5b610eaa89828a01610df0565b979a9699509497509295939492505050565b5f5f5f5f5f60608688031215610ed0575f5ffd5b85359450602086013567ffffffffffffffff811115610eed575f5ffd5b610ef988828901610df0565b909550935050604086013567ffffffffffffffff811115610f18575f5ffd5b8601601f81018813610f28575f5ffd5b803567ffffffffffffffff811115610f3e575f5ffd5b8860208260051b8401011115610f52575f5ffd5b959894975092955050506020019190565b634e487b7160e01b5f52602160045260245ffd5b60038110610f9357634e487b7160e01b5f52602160045260245ffd5b9052565b5f81518084528060208401602086015e5f602082860101526020601f19601f83011685010191505092915050565b602080825282516001600160a01b0316828201528201515f90610feb6040840182610f77565b5061ffff604084015116606083015263ffffffff60e01b6060840151166080830152608083015161102760a08401826001600160a01b03169052565b5060a083015160c083015260c083015160e08084015261104b610100840182610f97565b949350505050565b5f5f60408385031215611064575f5ffd5b8235915061107460208401610d8a565b90509250929050565b5f81518060208401855e5f93019283525090919050565b7f76657269667950726f6f662862797465732c75696e743235365b00000000000081525f6110c5601a83018461107d565b615d2960f01b81526002019392505050565b634e487b7160e01b5f52604160045260245ffd5b600181811c908216806110ff57607f821691505b602082108103610a0c57634e487b7160e01b5f52602260045260245ffd5b601f821115610d855782821115610d8557805f5260205f20601f840160051c602085101561114857505f5b90810190601f840160051c035f5b8181101561116b575f83820155600101611156565b505050505050565b815167ffffffffffffffff81111561118d5761118d6110d7565b6111a18161119b84546110eb565b8461111d565b6020601f8211600181146111d3575f83156111bc5750848201515b5f19600385901b1c1916600184901b17845561122b565b5f84815260208120601f198516915b8281101561120257878501518255602094850194600190920191016111e2565b508482101561121f57868401515f19600387901b60f8161c191681555b505060018360011b0184555b5050505050565b81835281816020850137505f828201602090810191909152601f909101601f19169091010190565b6001600160a01b03861681526112736020820186610f77565b61ffff84166040820152608060608201525f611293608083018486611232565b979650505050505050565b634e487b7160e01b5f52601160045260245ffd5b818103818111156112c5576112c561129e565b92915050565b634e487b7160e01b5f52603260045260245ffd5b5f6001600160fb1b038311156112f3575f5ffd5b8260051b80838637939093019392505050565b5f61104b8284866112df565b5f600182016113235761132361129e565b5060010190565b634e487b7160e01b5f52601260045260245ffd5b5f8261134c5761134c61132a565b500490565b5f8261135f5761135f61132a565b500690565b808201808211156112c5576112c561129e565b5f816113855761138561129e565b505f190190565b604081525f61139f604083018688611232565b82810360208401528381526001600160fb1b038411156113bd575f5ffd5b8360051b80866020840137016020019695505050505050565b5f6113e1828461107d565b9392505050565b5f602082840312156113f8575f5ffd5b815180151581146113e1575f5ffd5b80820281158282048414176112c5576112c561129e565b6001600160e01b031985168152600481018490525f6114416024830184866112df565b9695505050505050565b848152828460208301375f6020848301015f8152611293818561107d565b5f61104b611477838661107d565b8461107d56fea26469706673582212204665dfe52994b0520de86296bf104b2b7b2663983e4ed06b35932a3ae5a8593164736f6c63430008250033",
}

// Registry is an auto generated Go binding around an Ethereum contract.
type Registry struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *Registry) GetABI() abi.ABI {
	return c.abi
}

// NewRegistry creates a new instance of Registry.
func NewRegistry() *Registry {
	parsed, err := RegistryMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &Registry{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *Registry) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackDeregister is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x20813154.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function deregister(bytes32 modelId) returns()
func (registry *Registry) PackDeregister(modelId [32]byte) []byte {
	enc, err := registry.abi.Pack("deregister", modelId)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackDeregister is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x20813154.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function deregister(bytes32 modelId) returns()
func (registry *Registry) TryPackDeregister(modelId [32]byte) ([]byte, error) {
	return registry.abi.Pack("deregister", modelId)
}

// PackModel is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xee19e84b.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function model(bytes32 modelId) view returns((address,uint8,uint16,bytes4,address,bytes32,string) m)
func (registry *Registry) PackModel(modelId [32]byte) []byte {
	enc, err := registry.abi.Pack("model", modelId)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackModel is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xee19e84b.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function model(bytes32 modelId) view returns((address,uint8,uint16,bytes4,address,bytes32,string) m)
func (registry *Registry) TryPackModel(modelId [32]byte) ([]byte, error) {
	return registry.abi.Pack("model", modelId)
}

// UnpackModel is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xee19e84b.
//
// Solidity: function model(bytes32 modelId) view returns((address,uint8,uint16,bytes4,address,bytes32,string) m)
func (registry *Registry) UnpackModel(data []byte) (RegistryModel, error) {
	out, err := registry.abi.Unpack("model", data)
	if err != nil {
		return *new(RegistryModel), err
	}
	out0 := *abi.ConvertType(out[0], new(RegistryModel)).(*RegistryModel)
	return out0, nil
}

// PackModelIdOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x203cd855.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function modelIdOf(address registrant, bytes32 commitment, address verifier) pure returns(bytes32)
func (registry *Registry) PackModelIdOf(registrant common.Address, commitment [32]byte, verifier common.Address) []byte {
	enc, err := registry.abi.Pack("modelIdOf", registrant, commitment, verifier)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackModelIdOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x203cd855.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function modelIdOf(address registrant, bytes32 commitment, address verifier) pure returns(bytes32)
func (registry *Registry) TryPackModelIdOf(registrant common.Address, commitment [32]byte, verifier common.Address) ([]byte, error) {
	return registry.abi.Pack("modelIdOf", registrant, commitment, verifier)
}

// UnpackModelIdOf is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x203cd855.
//
// Solidity: function modelIdOf(address registrant, bytes32 commitment, address verifier) pure returns(bytes32)
func (registry *Registry) UnpackModelIdOf(data []byte) ([32]byte, error) {
	out, err := registry.abi.Unpack("modelIdOf", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackRegister is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x99324d39.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function register(bytes32 commitment, address verifier, uint8 backend, uint16 publicInputs, string metadataURI) returns(bytes32 modelId)
func (registry *Registry) PackRegister(commitment [32]byte, verifier common.Address, backend uint8, publicInputs uint16, metadataURI string) []byte {
	enc, err := registry.abi.Pack("register", commitment, verifier, backend, publicInputs, metadataURI)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRegister is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x99324d39.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function register(bytes32 commitment, address verifier, uint8 backend, uint16 publicInputs, string metadataURI) returns(bytes32 modelId)
func (registry *Registry) TryPackRegister(commitment [32]byte, verifier common.Address, backend uint8, publicInputs uint16, metadataURI string) ([]byte, error) {
	return registry.abi.Pack("register", commitment, verifier, backend, publicInputs, metadataURI)
}

// UnpackRegister is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x99324d39.
//
// Solidity: function register(bytes32 commitment, address verifier, uint8 backend, uint16 publicInputs, string metadataURI) returns(bytes32 modelId)
func (registry *Registry) UnpackRegister(data []byte) ([32]byte, error) {
	out, err := registry.abi.Unpack("register", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackTransferOwnership is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xef5d6bbb.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function transferOwnership(bytes32 modelId, address newOwner) returns()
func (registry *Registry) PackTransferOwnership(modelId [32]byte, newOwner common.Address) []byte {
	enc, err := registry.abi.Pack("transferOwnership", modelId, newOwner)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTransferOwnership is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xef5d6bbb.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function transferOwnership(bytes32 modelId, address newOwner) returns()
func (registry *Registry) TryPackTransferOwnership(modelId [32]byte, newOwner common.Address) ([]byte, error) {
	return registry.abi.Pack("transferOwnership", modelId, newOwner)
}

// PackVerifyInference is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa1db69fc.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function verifyInference(bytes32 modelId, bytes proof, uint256[] publicInputs) returns(bytes32 publicInputsHash)
func (registry *Registry) PackVerifyInference(modelId [32]byte, proof []byte, publicInputs []*big.Int) []byte {
	enc, err := registry.abi.Pack("verifyInference", modelId, proof, publicInputs)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackVerifyInference is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa1db69fc.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function verifyInference(bytes32 modelId, bytes proof, uint256[] publicInputs) returns(bytes32 publicInputsHash)
func (registry *Registry) TryPackVerifyInference(modelId [32]byte, proof []byte, publicInputs []*big.Int) ([]byte, error) {
	return registry.abi.Pack("verifyInference", modelId, proof, publicInputs)
}

// UnpackVerifyInference is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xa1db69fc.
//
// Solidity: function verifyInference(bytes32 modelId, bytes proof, uint256[] publicInputs) returns(bytes32 publicInputsHash)
func (registry *Registry) UnpackVerifyInference(data []byte) ([32]byte, error) {
	out, err := registry.abi.Unpack("verifyInference", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// RegistryInferenceVerified represents a InferenceVerified event raised by the Registry contract.
type RegistryInferenceVerified struct {
	ModelId          [32]byte
	Commitment       [32]byte
	PublicInputsHash [32]byte
	Caller           common.Address
	Raw              *types.Log // Blockchain specific contextual infos
}

const RegistryInferenceVerifiedEventName = "InferenceVerified"

// ContractEventName returns the user-defined event name.
func (RegistryInferenceVerified) ContractEventName() string {
	return RegistryInferenceVerifiedEventName
}

// UnpackInferenceVerifiedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event InferenceVerified(bytes32 indexed modelId, bytes32 indexed commitment, bytes32 indexed publicInputsHash, address caller)
func (registry *Registry) UnpackInferenceVerifiedEvent(log *types.Log) (*RegistryInferenceVerified, error) {
	event := "InferenceVerified"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != registry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(RegistryInferenceVerified)
	if len(log.Data) > 0 {
		if err := registry.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range registry.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// RegistryModelDeregistered represents a ModelDeregistered event raised by the Registry contract.
type RegistryModelDeregistered struct {
	ModelId [32]byte
	Owner   common.Address
	Raw     *types.Log // Blockchain specific contextual infos
}

const RegistryModelDeregisteredEventName = "ModelDeregistered"

// ContractEventName returns the user-defined event name.
func (RegistryModelDeregistered) ContractEventName() string {
	return RegistryModelDeregisteredEventName
}

// UnpackModelDeregisteredEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event ModelDeregistered(bytes32 indexed modelId, address indexed owner)
func (registry *Registry) UnpackModelDeregisteredEvent(log *types.Log) (*RegistryModelDeregistered, error) {
	event := "ModelDeregistered"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != registry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(RegistryModelDeregistered)
	if len(log.Data) > 0 {
		if err := registry.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range registry.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// RegistryModelRegistered represents a ModelRegistered event raised by the Registry contract.
type RegistryModelRegistered struct {
	ModelId      [32]byte
	Commitment   [32]byte
	Owner        common.Address
	Verifier     common.Address
	Backend      uint8
	PublicInputs uint16
	MetadataURI  string
	Raw          *types.Log // Blockchain specific contextual infos
}

const RegistryModelRegisteredEventName = "ModelRegistered"

// ContractEventName returns the user-defined event name.
func (RegistryModelRegistered) ContractEventName() string {
	return RegistryModelRegisteredEventName
}

// UnpackModelRegisteredEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event ModelRegistered(bytes32 indexed modelId, bytes32 indexed commitment, address indexed owner, address verifier, uint8 backend, uint16 publicInputs, string metadataURI)
func (registry *Registry) UnpackModelRegisteredEvent(log *types.Log) (*RegistryModelRegistered, error) {
	event := "ModelRegistered"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != registry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(RegistryModelRegistered)
	if len(log.Data) > 0 {
		if err := registry.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range registry.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// RegistryOwnershipTransferred represents a OwnershipTransferred event raised by the Registry contract.
type RegistryOwnershipTransferred struct {
	ModelId       [32]byte
	PreviousOwner common.Address
	NewOwner      common.Address
	Raw           *types.Log // Blockchain specific contextual infos
}

const RegistryOwnershipTransferredEventName = "OwnershipTransferred"

// ContractEventName returns the user-defined event name.
func (RegistryOwnershipTransferred) ContractEventName() string {
	return RegistryOwnershipTransferredEventName
}

// UnpackOwnershipTransferredEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event OwnershipTransferred(bytes32 indexed modelId, address indexed previousOwner, address indexed newOwner)
func (registry *Registry) UnpackOwnershipTransferredEvent(log *types.Log) (*RegistryOwnershipTransferred, error) {
	event := "OwnershipTransferred"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != registry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(RegistryOwnershipTransferred)
	if len(log.Data) > 0 {
		if err := registry.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range registry.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (registry *Registry) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], registry.abi.Errors["CommitmentMismatch"].ID.Bytes()[:4]) {
		return registry.UnpackCommitmentMismatchError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["InvalidBackend"].ID.Bytes()[:4]) {
		return registry.UnpackInvalidBackendError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["InvalidOwner"].ID.Bytes()[:4]) {
		return registry.UnpackInvalidOwnerError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["InvalidPublicInputCount"].ID.Bytes()[:4]) {
		return registry.UnpackInvalidPublicInputCountError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["ModelExists"].ID.Bytes()[:4]) {
		return registry.UnpackModelExistsError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["NotModelOwner"].ID.Bytes()[:4]) {
		return registry.UnpackNotModelOwnerError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["ProofRejected"].ID.Bytes()[:4]) {
		return registry.UnpackProofRejectedError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["PublicInputCountMismatch"].ID.Bytes()[:4]) {
		return registry.UnpackPublicInputCountMismatchError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["UnknownModel"].ID.Bytes()[:4]) {
		return registry.UnpackUnknownModelError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["VerifierHasNoCode"].ID.Bytes()[:4]) {
		return registry.UnpackVerifierHasNoCodeError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// RegistryCommitmentMismatch represents a CommitmentMismatch error raised by the Registry contract.
type RegistryCommitmentMismatch struct {
	ModelId [32]byte
	Got     *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error CommitmentMismatch(bytes32 modelId, uint256 got)
func RegistryCommitmentMismatchErrorID() common.Hash {
	return common.HexToHash("0x9f9a3b4a6deb41f12a15fdeccfb18079495bcf88eca7864fdb9b28a9f8450081")
}

// UnpackCommitmentMismatchError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error CommitmentMismatch(bytes32 modelId, uint256 got)
func (registry *Registry) UnpackCommitmentMismatchError(raw []byte) (*RegistryCommitmentMismatch, error) {
	out := new(RegistryCommitmentMismatch)
	if err := registry.abi.UnpackIntoInterface(out, "CommitmentMismatch", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// RegistryInvalidBackend represents a InvalidBackend error raised by the Registry contract.
type RegistryInvalidBackend struct {
	Backend uint8
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InvalidBackend(uint8 backend)
func RegistryInvalidBackendErrorID() common.Hash {
	return common.HexToHash("0x7494e3243d027d70963cdedbfa21bde155b4996a1da19b962e3d6a198c89a2ae")
}

// UnpackInvalidBackendError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InvalidBackend(uint8 backend)
func (registry *Registry) UnpackInvalidBackendError(raw []byte) (*RegistryInvalidBackend, error) {
	out := new(RegistryInvalidBackend)
	if err := registry.abi.UnpackIntoInterface(out, "InvalidBackend", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// RegistryInvalidOwner represents a InvalidOwner error raised by the Registry contract.
type RegistryInvalidOwner struct {
	Owner common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InvalidOwner(address owner)
func RegistryInvalidOwnerErrorID() common.Hash {
	return common.HexToHash("0xb20f76e34eda46bc15525c330db503c4a0dcaa50addf47cfc3ad7e1965830ff5")
}

// UnpackInvalidOwnerError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InvalidOwner(address owner)
func (registry *Registry) UnpackInvalidOwnerError(raw []byte) (*RegistryInvalidOwner, error) {
	out := new(RegistryInvalidOwner)
	if err := registry.abi.UnpackIntoInterface(out, "InvalidOwner", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// RegistryInvalidPublicInputCount represents a InvalidPublicInputCount error raised by the Registry contract.
type RegistryInvalidPublicInputCount struct {
	Count *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InvalidPublicInputCount(uint256 count)
func RegistryInvalidPublicInputCountErrorID() common.Hash {
	return common.HexToHash("0x9334cbf485df5103b493662d569e715a924d397804b65cab6b5cf66ca205682e")
}

// UnpackInvalidPublicInputCountError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InvalidPublicInputCount(uint256 count)
func (registry *Registry) UnpackInvalidPublicInputCountError(raw []byte) (*RegistryInvalidPublicInputCount, error) {
	out := new(RegistryInvalidPublicInputCount)
	if err := registry.abi.UnpackIntoInterface(out, "InvalidPublicInputCount", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// RegistryModelExists represents a ModelExists error raised by the Registry contract.
type RegistryModelExists struct {
	ModelId [32]byte
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ModelExists(bytes32 modelId)
func RegistryModelExistsErrorID() common.Hash {
	return common.HexToHash("0x2486e84c052de9ee5713d71255d16e161b570742e58700609fd2c741335e69a6")
}

// UnpackModelExistsError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ModelExists(bytes32 modelId)
func (registry *Registry) UnpackModelExistsError(raw []byte) (*RegistryModelExists, error) {
	out := new(RegistryModelExists)
	if err := registry.abi.UnpackIntoInterface(out, "ModelExists", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// RegistryNotModelOwner represents a NotModelOwner error raised by the Registry contract.
type RegistryNotModelOwner struct {
	ModelId [32]byte
	Caller  common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NotModelOwner(bytes32 modelId, address caller)
func RegistryNotModelOwnerErrorID() common.Hash {
	return common.HexToHash("0xc0d87d6b109805e88b4c48a5b1eb97063d4bf7b08ff6a7c1dd78408e1976673a")
}

// UnpackNotModelOwnerError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NotModelOwner(bytes32 modelId, address caller)
func (registry *Registry) UnpackNotModelOwnerError(raw []byte) (*RegistryNotModelOwner, error) {
	out := new(RegistryNotModelOwner)
	if err := registry.abi.UnpackIntoInterface(out, "NotModelOwner", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// RegistryProofRejected represents a ProofRejected error raised by the Registry contract.
type RegistryProofRejected struct {
	ModelId [32]byte
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ProofRejected(bytes32 modelId)
func RegistryProofRejectedErrorID() common.Hash {
	return common.HexToHash("0x2d93db73f8645f3db299337b09be200301d191d99bcd1cdd2e237822c0feb6f0")
}

// UnpackProofRejectedError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ProofRejected(bytes32 modelId)
func (registry *Registry) UnpackProofRejectedError(raw []byte) (*RegistryProofRejected, error) {
	out := new(RegistryProofRejected)
	if err := registry.abi.UnpackIntoInterface(out, "ProofRejected", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// RegistryPublicInputCountMismatch represents a PublicInputCountMismatch error raised by the Registry contract.
type RegistryPublicInputCountMismatch struct {
	ModelId [32]byte
	Want    *big.Int
	Got     *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error PublicInputCountMismatch(bytes32 modelId, uint256 want, uint256 got)
func RegistryPublicInputCountMismatchErrorID() common.Hash {
	return common.HexToHash("0xc307bc9b771753d589e9009120def6dc106ec3ded3c7eb9c270e1e7c9387a78d")
}

// UnpackPublicInputCountMismatchError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error PublicInputCountMismatch(bytes32 modelId, uint256 want, uint256 got)
func (registry *Registry) UnpackPublicInputCountMismatchError(raw []byte) (*RegistryPublicInputCountMismatch, error) {
	out := new(RegistryPublicInputCountMismatch)
	if err := registry.abi.UnpackIntoInterface(out, "PublicInputCountMismatch", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// RegistryUnknownModel represents a UnknownModel error raised by the Registry contract.
type RegistryUnknownModel struct {
	ModelId [32]byte
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error UnknownModel(bytes32 modelId)
func RegistryUnknownModelErrorID() common.Hash {
	return common.HexToHash("0xa2dc0625b3fe9caa2cc8653c3bb80baa7333672dfd886a80b6343d529b2daa98")
}

// UnpackUnknownModelError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error UnknownModel(bytes32 modelId)
func (registry *Registry) UnpackUnknownModelError(raw []byte) (*RegistryUnknownModel, error) {
	out := new(RegistryUnknownModel)
	if err := registry.abi.UnpackIntoInterface(out, "UnknownModel", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// RegistryVerifierHasNoCode represents a VerifierHasNoCode error raised by the Registry contract.
type RegistryVerifierHasNoCode struct {
	Verifier common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error VerifierHasNoCode(address verifier)
func RegistryVerifierHasNoCodeErrorID() common.Hash {
	return common.HexToHash("0xb3136e47b488884d7871edd9162260482e3c3098ce1129ef742064342e81091f")
}

// UnpackVerifierHasNoCodeError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error VerifierHasNoCode(address verifier)
func (registry *Registry) UnpackVerifierHasNoCodeError(raw []byte) (*RegistryVerifierHasNoCode, error) {
	out := new(RegistryVerifierHasNoCode)
	if err := registry.abi.UnpackIntoInterface(out, "VerifierHasNoCode", raw); err != nil {
		return nil, err
	}
	return out, nil
}

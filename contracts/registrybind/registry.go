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
	ABI: "[{\"inputs\":[{\"internalType\":\"uint8\",\"name\":\"backend\",\"type\":\"uint8\"}],\"name\":\"InvalidBackend\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"}],\"name\":\"InvalidOwner\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"count\",\"type\":\"uint256\"}],\"name\":\"InvalidPublicInputCount\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"ModelExists\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotModelOwner\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"ProofRejected\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"want\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"got\",\"type\":\"uint256\"}],\"name\":\"PublicInputCountMismatch\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"UnknownModel\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"}],\"name\":\"VerifierHasNoCode\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"publicInputsHash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"InferenceVerified\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"}],\"name\":\"ModelDeregistered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"enumRegistry.Backend\",\"name\":\"backend\",\"type\":\"uint8\"},{\"indexed\":false,\"internalType\":\"uint16\",\"name\":\"publicInputs\",\"type\":\"uint16\"},{\"indexed\":false,\"internalType\":\"string\",\"name\":\"metadataURI\",\"type\":\"string\"}],\"name\":\"ModelRegistered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"previousOwner\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"newOwner\",\"type\":\"address\"}],\"name\":\"OwnershipTransferred\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"deregister\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"model\",\"outputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"},{\"internalType\":\"enumRegistry.Backend\",\"name\":\"backend\",\"type\":\"uint8\"},{\"internalType\":\"uint16\",\"name\":\"publicInputs\",\"type\":\"uint16\"},{\"internalType\":\"bytes4\",\"name\":\"selector\",\"type\":\"bytes4\"},{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"internalType\":\"string\",\"name\":\"metadataURI\",\"type\":\"string\"}],\"internalType\":\"structRegistry.Model\",\"name\":\"m\",\"type\":\"tuple\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"registrant\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"}],\"name\":\"modelIdOf\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"pure\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"},{\"internalType\":\"enumRegistry.Backend\",\"name\":\"backend\",\"type\":\"uint8\"},{\"internalType\":\"uint16\",\"name\":\"publicInputs\",\"type\":\"uint16\"},{\"internalType\":\"string\",\"name\":\"metadataURI\",\"type\":\"string\"}],\"name\":\"register\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"newOwner\",\"type\":\"address\"}],\"name\":\"transferOwnership\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"bytes\",\"name\":\"proof\",\"type\":\"bytes\"},{\"internalType\":\"uint256[]\",\"name\":\"publicInputs\",\"type\":\"uint256[]\"}],\"name\":\"verifyInference\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"publicInputsHash\",\"type\":\"bytes32\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "Registry",
	Bin: "0x6080604052348015600e575f5ffd5b5061145c8061001c5f395ff3fe608060405234801561000f575f5ffd5b5060043610610060575f3560e01c8063203cd85514610064578063208131541461008a57806399324d391461009f578063a1db69fc146100b2578063ee19e84b146100c5578063ef5d6bbb146100e5575b5f5ffd5b610077610072366004610d49565b6100f8565b6040519081526020015b60405180910390f35b61009d610098366004610d82565b61013e565b005b6100776100ad366004610dde565b6101c7565b6100776100c0366004610e65565b610517565b6100d86100d3366004610d82565b6106d7565b6040516100819190610f6e565b61009d6100f3366004610ffc565b610892565b604080516001600160a01b03808616602083015291810184905290821660608201525f906080016040516020818303038152906040528051906020012090509392505050565b5f61014882610930565b5f83815260208190526040812080546001600160d81b03191681556001810180546001600160a01b03191690556002810182905591925061018c6003830182610ce1565b50506040516001600160a01b0382169083907f013ce514e60e94431d5a89917ef982e9a03abc7deaaf3e6716a13200b3094948905f90a35050565b5f808560028111156101db576101db610f0c565b03610216578460028111156101f2576101f2610f0c565b604051631d2538c960e21b815260ff90911660048201526024015b60405180910390fd5b856001600160a01b03163b5f0361024b5760405163b3136e4760e01b81526001600160a01b038716600482015260240161020d565b8361ffff165f03610275576040516324cd32fd60e21b815261ffff8516600482015260240161020d565b6102803388886100f8565b90505f5f82815260208190526040902054600160a01b900460ff1660028111156102ac576102ac610f0c565b146102cd57604051630921ba1360e21b81526004810182905260240161020d565b5f60018660028111156102e2576102e2610f0c565b1461030d577f7e4f7a8a3016bf75945a95ae04e6678ed3bb4fb93fae55a684467fa45acd6b39610341565b61031a8561ffff166109bb565b60405160200161032a919061103d565b604051602081830303815290604052805190602001205b90506040518060e00160405280886001600160a01b0316815260200187600281111561036f5761036f610f0c565b81526020018661ffff168152602001826001600160e01b0319168152602001336001600160a01b0316815260200189815260200185858080601f0160208091040260200160405190810160405280939291908181526020018383808284375f92018290525093909452505084815260208181526040909120835181546001600160a01b039091166001600160a01b031982168117835592850151919350909183916001600160a81b03191617600160a01b83600281111561043257610432610f0c565b021790555060408201518154606084015160e01c600160b81b0263ffffffff60b81b1961ffff909316600160a81b029290921665ffffffffffff60a81b199091161717815560808201516001820180546001600160a01b039092166001600160a01b031990921691909117905560a0820151600282015560c082015160038201906104bd908261111c565b50905050336001600160a01b031688837f14985b5077437a06851b560dbc7e8368dd553f3e09a3844ffbe69b6b4350daa78a8a8a8a8a604051610504959493929190611203565b60405180910390a4509695505050505050565b5f85815260208190526040812080546001600160a01b03811690600160a01b900460ff168381600281111561054e5761054e610f0c565b0361056f5760405163a2dc062560e01b8152600481018a905260240161020d565b8254600160a81b900461ffff1685146105b857825460405163c307bc9b60e01b8152600481018b9052600160a81b90910461ffff1660248201526044810186905260640161020d565b816001600160a01b03163b5f036105ed5760405163b3136e4760e01b81526001600160a01b038316600482015260240161020d565b5f600182600281111561060257610602610f0c565b14610627578354610622908490600160b81b900460e01b8b8b8b8b610ab6565b610642565b8354610642908490600160b81b900460e01b8b8b8b8b610b91565b90508061066557604051632d93db7360e01b8152600481018b905260240161020d565b868660405160200161067892919061126e565b60408051808303601f1901815282825280516020918201206002880154338552925190985088938e927f59ca1716342fe0be5a0b5ae74efb1c8e17ebc46c21475823e0105f183349844392918290030190a45050505095945050505050565b6040805160e080820183525f808352602080840182905283850182905260608085018390526080850183905260a0850183905260c085015285825281815290849020845192830190945283546001600160a01b03811683529293919290830190600160a01b900460ff16600281111561075257610752610f0c565b600281111561076357610763610f0c565b81528154600160a81b810461ffff166020830152600160b81b900460e01b6001600160e01b031916604082015260018201546001600160a01b031660608201526002820154608082015260038201805460a0909201916107c290611094565b80601f01602080910402602001604051908101604052809291908181526020018280546107ee90611094565b80156108395780601f1061081057610100808354040283529160200191610839565b820191905f5260205f20905b81548152906001019060200180831161081c57829003601f168201915b50505050508152505090505f600281111561085657610856610f0c565b8160200151600281111561086c5761086c610f0c565b0361088d5760405163a2dc062560e01b81526004810183905260240161020d565b919050565b5f61089c83610930565b90506001600160a01b0382166108d05760405163b20f76e360e01b81526001600160a01b038316600482015260240161020d565b5f8381526020819052604080822060010180546001600160a01b0319166001600160a01b03868116918217909255915191929084169186917f0b659dccc8eb950324170e8d9598af5ee04ee070883eb28651a96788721fbf8391a4505050565b5f818152602081905260408120818154600160a01b900460ff16600281111561095b5761095b610f0c565b0361097c5760405163a2dc062560e01b81526004810184905260240161020d565b60018101546001600160a01b031691503382146109b55760405163c0d87d6b60e01b81526004810184905233602482015260440161020d565b50919050565b6060815f036109e15750506040805180820190915260018152600360fc1b602082015290565b5f825b8015610a0a57816109f48161128e565b9250610a039050600a826112ba565b90506109e4565b508067ffffffffffffffff811115610a2457610a24611080565b6040519080825280601f01601f191660200182016040528015610a4e576020820181803683370190505b5091505b82156109b557610a63600a846112cd565b610a6e9060306112e0565b60f81b82610a7b836112f9565b92508281518110610a8e57610a8e61130e565b60200101906001600160f81b03191690815f1a905350610aaf600a846112ba565b9250610a52565b5f5f5f886001600160a01b03168888888888604051602401610adb9493929190611322565b60408051601f198184030181529181526020820180516001600160e01b03166001600160e01b0319909416939093179092529051610b19919061136c565b5f60405180830381855afa9150503d805f8114610b51576040519150601f19603f3d011682016040523d82523d5f602084013e610b56565b606091505b5091509150818015610b69575080516020145b8015610b84575080806020019051810190610b84919061137e565b9998505050505050505050565b5f8086610b9f8460016112e0565b610baa90602061139d565b8585604051602001610bbf94939291906113b4565b60408051601f1981840301815291905290505f8587816020610be181836112cd565b610bec9060206113e1565b610bf691906112cd565b67ffffffffffffffff811115610c0e57610c0e611080565b6040519080825280601f01601f191660200182016040528015610c38576020820181803683370190505b50604051602001610c4c94939291906113f4565b6040516020818303038152906040529050886001600160a01b03168282604051602001610c7a929190611412565b60408051601f1981840301815290829052610c949161136c565b5f60405180830381855afa9150503d805f8114610ccc576040519150601f19603f3d011682016040523d82523d5f602084013e610cd1565b606091505b50909a9950505050505050505050565b508054610ced90611094565b5f825580601f10610cfc575050565b601f0160209004905f5260205f2090610d159190610d17565b565b5f5b80821115610d2e575f81840155600101610d19565b505050565b80356001600160a01b038116811461088d575f5ffd5b5f5f5f60608486031215610d5b575f5ffd5b610d6484610d33565b925060208401359150610d7960408501610d33565b90509250925092565b5f60208284031215610d92575f5ffd5b5035919050565b5f5f83601f840112610da9575f5ffd5b50813567ffffffffffffffff811115610dc0575f5ffd5b602083019150836020828501011115610dd7575f5ffd5b9250929050565b5f5f5f5f5f5f60a08789031215610df3575f5ffd5b86359550610e0360208801610d33565b9450604087013560038110610e16575f5ffd5b9350606087013561ffff81168114610e2c575f5ffd5b9250608087013567ffffffffffffffff811115610e47575f5ffd5b610e5389828a01610d99565b979a9699509497509295939492505050565b5f5f5f5f5f60608688031215610e79575f5ffd5b85359450602086013567ffffffffffffffff811115610e96575f5ffd5b610ea288828901610d99565b909550935050604086013567ffffffffffffffff811115610ec1575f5ffd5b8601601f81018813610ed1575f5ffd5b803567ffffffffffffffff811115610ee7575f5ffd5b8860208260051b8401011115610efb575f5ffd5b959894975092955050506020019190565b634e487b7160e01b5f52602160045260245ffd5b60038110610f3c57634e487b7160e01b5f52602160045260245ffd5b9052565b5f81518084528060208401602086015e5f602082860101526020601f19601f83011685010191505092915050565b602080825282516001600160a01b0316828201528201515f90610f946040840182610f20565b5061ffff604084015116606083015263ffffffff60e01b60608401511660808301526080830151610fd060a08401826001600160a01b03169052565b5060a083015160c083015260c083015160e080840152610ff4610100840182610f40565b949350505050565b5f5f6040838503121561100d575f5ffd5b8235915061101d60208401610d33565b90509250929050565b5f81518060208401855e5f93019283525090919050565b7f76657269667950726f6f662862797465732c75696e743235365b00000000000081525f61106e601a830184611026565b615d2960f01b81526002019392505050565b634e487b7160e01b5f52604160045260245ffd5b600181811c908216806110a857607f821691505b6020821081036109b557634e487b7160e01b5f52602260045260245ffd5b601f821115610d2e5782821115610d2e57805f5260205f20601f840160051c60208510156110f157505f5b90810190601f840160051c035f5b81811015611114575f838201556001016110ff565b505050505050565b815167ffffffffffffffff81111561113657611136611080565b61114a816111448454611094565b846110c6565b6020601f82116001811461117c575f83156111655750848201515b5f19600385901b1c1916600184901b1784556111d4565b5f84815260208120601f198516915b828110156111ab578785015182556020948501946001909201910161118b565b50848210156111c857868401515f19600387901b60f8161c191681555b505060018360011b0184555b5050505050565b81835281816020850137505f828201602090810191909152601f909101601f19169091010190565b6001600160a01b038616815261121c6020820186610f20565b61ffff84166040820152608060608201525f61123c6080830184866111db565b979650505050505050565b5f6001600160fb1b0383111561125b575f5ffd5b8260051b80838637939093019392505050565b5f610ff4828486611247565b634e487b7160e01b5f52601160045260245ffd5b5f6001820161129f5761129f61127a565b5060010190565b634e487b7160e01b5f52601260045260245ffd5b5f826112c8576112c86112a6565b500490565b5f826112db576112db6112a6565b500690565b808201808211156112f3576112f361127a565b92915050565b5f816113075761130761127a565b505f190190565b634e487b7160e01b5f52603260045260245ffd5b604081525f6113356040830186886111db565b82810360208401528381526001600160fb1b03841115611353575f5ffd5b8360051b80866020840137016020019695505050505050565b5f6113778284611026565b9392505050565b5f6020828403121561138e575f5ffd5b81518015158114611377575f5ffd5b80820281158282048414176112f3576112f361127a565b6001600160e01b031985168152600481018490525f6113d7602483018486611247565b9695505050505050565b818103818111156112f3576112f361127a565b848152828460208301375f6020848301015f815261123c8185611026565b5f610ff46114208386611026565b8461102656fea264697066735822122079857b31ca5023152af91b6239a47da156a9cfc754816b232427127e404f16cf64736f6c63430008250033",
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

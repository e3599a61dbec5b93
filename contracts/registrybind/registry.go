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
	CodeHash     [32]byte
	VkDigest     [32]byte
	MetadataURI  string
}

// RegistryMetaData contains all meta data concerning the Registry contract.
var RegistryMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"got\",\"type\":\"uint256\"}],\"name\":\"CommitmentMismatch\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint8\",\"name\":\"backend\",\"type\":\"uint8\"}],\"name\":\"InvalidBackend\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"}],\"name\":\"InvalidOwner\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"count\",\"type\":\"uint256\"}],\"name\":\"InvalidPublicInputCount\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"InvalidVkDigest\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"ModelExists\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"ModelRetired\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"NoAuditors\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"auditor\",\"type\":\"address\"}],\"name\":\"NotAttested\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotModelOwner\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"ProofRejected\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"want\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"got\",\"type\":\"uint256\"}],\"name\":\"PublicInputCountMismatch\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"UnknownModel\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"registered\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"current\",\"type\":\"bytes32\"}],\"name\":\"VerifierCodeChanged\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"}],\"name\":\"VerifierHasNoCode\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"registered\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"attested\",\"type\":\"bytes32\"}],\"name\":\"VkDigestMismatch\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"auditor\",\"type\":\"address\"}],\"name\":\"AttestationRevoked\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"auditor\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"vkDigest\",\"type\":\"bytes32\"}],\"name\":\"Attested\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"publicInputsHash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"vkDigest\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"InferenceVerified\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"}],\"name\":\"ModelDeregistered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"enumRegistry.Backend\",\"name\":\"backend\",\"type\":\"uint8\"},{\"indexed\":false,\"internalType\":\"uint16\",\"name\":\"publicInputs\",\"type\":\"uint16\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"codeHash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"vkDigest\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"string\",\"name\":\"metadataURI\",\"type\":\"string\"}],\"name\":\"ModelRegistered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"previousOwner\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"newOwner\",\"type\":\"address\"}],\"name\":\"OwnershipTransferred\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"vkDigest\",\"type\":\"bytes32\"}],\"name\":\"attest\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"deregister\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"auditor\",\"type\":\"address\"}],\"name\":\"isAttested\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"model\",\"outputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"},{\"internalType\":\"enumRegistry.Backend\",\"name\":\"backend\",\"type\":\"uint8\"},{\"internalType\":\"uint16\",\"name\":\"publicInputs\",\"type\":\"uint16\"},{\"internalType\":\"bytes4\",\"name\":\"selector\",\"type\":\"bytes4\"},{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"codeHash\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"vkDigest\",\"type\":\"bytes32\"},{\"internalType\":\"string\",\"name\":\"metadataURI\",\"type\":\"string\"}],\"internalType\":\"structRegistry.Model\",\"name\":\"m\",\"type\":\"tuple\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"registrant\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"}],\"name\":\"modelIdOf\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"pure\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"commitment\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"verifier\",\"type\":\"address\"},{\"internalType\":\"enumRegistry.Backend\",\"name\":\"backend\",\"type\":\"uint8\"},{\"internalType\":\"uint16\",\"name\":\"publicInputs\",\"type\":\"uint16\"},{\"internalType\":\"bytes32\",\"name\":\"vkDigest\",\"type\":\"bytes32\"},{\"internalType\":\"string\",\"name\":\"metadataURI\",\"type\":\"string\"}],\"name\":\"register\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"revokeAttestation\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"newOwner\",\"type\":\"address\"}],\"name\":\"transferOwnership\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"bytes\",\"name\":\"proof\",\"type\":\"bytes\"},{\"internalType\":\"uint256[]\",\"name\":\"publicInputs\",\"type\":\"uint256[]\"}],\"name\":\"verifyInference\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"publicInputsHash\",\"type\":\"bytes32\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"},{\"internalType\":\"bytes\",\"name\":\"proof\",\"type\":\"bytes\"},{\"internalType\":\"uint256[]\",\"name\":\"publicInputs\",\"type\":\"uint256[]\"},{\"internalType\":\"address[]\",\"name\":\"auditors\",\"type\":\"address[]\"}],\"name\":\"verifyInferenceAttested\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"publicInputsHash\",\"type\":\"bytes32\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"modelId\",\"type\":\"bytes32\"}],\"name\":\"vkDigestOf\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "Registry",
	Bin: "0x6080604052348015600e575f5ffd5b50611a5f8061001c5f395ff3fe608060405234801561000f575f5ffd5b50600436106100a6575f3560e01c806395e538b51161006e57806395e538b51461011e57806399d0199b14610141578063a1db69fc14610154578063b975627514610167578063ee19e84b1461017a578063ef5d6bbb1461019a575f5ffd5b80631c709d9f146100aa578063203cd855146100d057806320813154146100e35780634d5e1da6146100f85780638acbf78e1461010b575b5f5ffd5b6100bd6100b83660046112b9565b6101ad565b6040519081526020015b60405180910390f35b6100bd6100de366004611377565b6102a7565b6100f66100f13660046113b0565b6102ed565b005b6100f66101063660046113b0565b61039d565b6100f66101193660046113c7565b6103ea565b61013161012c3660046113e7565b6104b7565b60405190151581526020016100c7565b6100bd61014f3660046113b0565b61051a565b6100bd610162366004611411565b61055d565b6100bd61017536600461148a565b610575565b61018d6101883660046113b0565b610947565b6040516100c79190611569565b6100f66101a83660046113e7565b610b31565b5f8181036101ce5760405163ea97ac1160e01b815260040160405180910390fd5b5f5b8281101561028d575f898152600260205260408120908585848181106101f8576101f8611614565b905060200201602081019061020d9190611628565b6001600160a01b0316815260208101919091526040015f205460ff16610285578884848381811061024057610240611614565b90506020020160208101906102559190611628565b60405163d9efa61360e01b815260048101929092526001600160a01b031660248201526044015b60405180910390fd5b6001016101d0565b5061029b8888888888610bcf565b98975050505050505050565b604080516001600160a01b03808616602083015291810184905290821660608201525f906080016040516020818303038152906040528051906020012090509392505050565b5f6102f782610df5565b5f83815260208190526040812080546001600160d81b03191681556001810180546001600160a01b031916905560028101829055600381018290556004810182905591925061034960058301826111e1565b50505f828152600160208190526040808320805460ff1916909217909155516001600160a01b0383169184917f013ce514e60e94431d5a89917ef982e9a03abc7deaaf3e6716a13200b30949489190a35050565b5f818152600260209081526040808320338085529252808320805460ff1916905551909183917f59d1b98a5da8bbc1db92f7d8d2e21c3067da65edbe08f4ae23df11487ee4c8b09190a350565b5f828152602081905260408120908154600160a01b900460ff16600281111561041557610415611507565b036104235761042383610e6d565b8181600401541461045b5760048082015460405163e17c0b6160e01b815291820185905260248201526044810183905260640161027c565b5f8381526002602090815260408083203380855290835292819020805460ff191660011790555184815285917f6f0c4d48e4fab2b3d29a6de1a302d38e8acf649e13a90c9b1a5736d1ea7246b8910160405180910390a3505050565b5f805f84815260208190526040902054600160a01b900460ff1660028111156104e2576104e2611507565b1415801561051157505f8381526002602090815260408083206001600160a01b038616845290915290205460ff165b90505b92915050565b5f818152602081905260408120818154600160a01b900460ff16600281111561054557610545611507565b036105535761055383610e6d565b6004015492915050565b5f61056b8686868686610bcf565b9695505050505050565b5f8086600281111561058957610589611507565b036105bf578560028111156105a0576105a0611507565b604051631d2538c960e21b815260ff909116600482015260240161027c565b866001600160a01b03163b5f036105f45760405163b3136e4760e01b81526001600160a01b038816600482015260240161027c565b8461ffff165f0361061e576040516324cd32fd60e21b815261ffff8616600482015260240161027c565b8361063c57604051633b8a52e960e21b815260040160405180910390fd5b6106473389896102a7565b90505f5f82815260208190526040902054600160a01b900460ff16600281111561067357610673611507565b1461069457604051630921ba1360e21b81526004810182905260240161027c565b5f8181526001602052604090205460ff16156106c65760405163c1e1fc7d60e01b81526004810182905260240161027c565b5f60018760028111156106db576106db611507565b14610706577f7e4f7a8a3016bf75945a95ae04e6678ed3bb4fb93fae55a684467fa45acd6b3961073a565b6107138661ffff16610ebb565b6040516020016107239190611658565b604051602081830303815290604052805190602001205b90505f886001600160a01b03163f90506040518061012001604052808a6001600160a01b0316815260200189600281111561077757610777611507565b81526020018861ffff168152602001836001600160e01b0319168152602001336001600160a01b031681526020018b815260200182815260200187815260200186868080601f0160208091040260200160405190810160405280939291908181526020018383808284375f92018290525093909452505085815260208181526040909120835181546001600160a01b039091166001600160a01b031982168117835592850151919350909183916001600160a81b03191617600160a01b83600281111561084657610846611507565b021790555060408201518154606084015165ffffffffffff60a81b19909116600160a81b61ffff9093169290920263ffffffff60b81b191691909117600160b81b60e092831c0217825560808301516001830180546001600160a01b0319166001600160a01b0390921691909117905560a0830151600283015560c08301516003830155820151600482015561010082015160058201906108e79082611737565b50905050336001600160a01b03168a847f2cba8283728e8efad4d453b586cb3e78715f0eafcad537319363241fb14775348c8c8c878d8d8d604051610932979695949392919061181e565b60405180910390a45050979650505050505050565b6109a76040805161012081019091525f808252602082019081526020015f61ffff1681526020015f6001600160e01b03191681526020015f6001600160a01b031681526020015f81526020015f81526020015f8152602001606081525090565b5f82815260208181526040918290208251610120810190935280546001600160a01b03811684529091830190600160a01b900460ff1660028111156109ee576109ee611507565b60028111156109ff576109ff611507565b81528154600160a81b810461ffff166020830152600160b81b900460e090811b6001600160e01b031916604083015260018301546001600160a01b0316606083015260028301546080830152600383015460a0830152600483015460c0830152600583018054919092019190610a74906116af565b80601f0160208091040260200160405190810160405280929190818152602001828054610aa0906116af565b8015610aeb5780601f10610ac257610100808354040283529160200191610aeb565b820191905f5260205f20905b815481529060010190602001808311610ace57829003601f168201915b50505050508152505090505f6002811115610b0857610b08611507565b81602001516002811115610b1e57610b1e611507565b03610b2c57610b2c82610e6d565b919050565b5f610b3b83610df5565b90506001600160a01b038216610b6f5760405163b20f76e360e01b81526001600160a01b038316600482015260240161027c565b5f8381526020819052604080822060010180546001600160a01b0319166001600160a01b03868116918217909255915191929084169186917f0b659dccc8eb950324170e8d9598af5ee04ee070883eb28651a96788721fbf8391a4505050565b5f85815260208190526040812080546001600160a01b03811690600160a01b900460ff1683816002811115610c0657610c06611507565b03610c1457610c1489610e6d565b8254600160a81b900461ffff168514610c5d57825460405163c307bc9b60e01b8152600481018b9052600160a81b90910461ffff1660248201526044810186905260640161027c565b60028301545f8787610c70600182611877565b818110610c7f57610c7f611614565b905060200201359050815f1c8114610cb457604051634fcd1da560e11b8152600481018c90526024810182905260440161027c565b60038501546001600160a01b0385163f908114610cfb576003860154604051632cf04de360e11b8152600481018e905260248101919091526044810182905260640161027c565b5f6001856002811115610d1057610d10611507565b14610d35578654610d30908790600160b81b900460e01b8e8e8e8e610fb6565b610d50565b8654610d50908790600160b81b900460e01b8e8e8e8e611091565b905080610d7357604051632d93db7360e01b8152600481018e905260240161027c565b8989604051602001610d869291906118b1565b60408051808303601f19018152828252805160209182012060048b0154888552918401919091523383830152905190995089918f917f20b3c072054a177c4f9808bb7a0ea6695509b01bf1232c743ffaf2c2cef5a1b09181900360600190a35050505050505095945050505050565b5f818152602081905260408120818154600160a01b900460ff166002811115610e2057610e20611507565b03610e2e57610e2e83610e6d565b60018101546001600160a01b03169150338214610e675760405163c0d87d6b60e01b81526004810184905233602482015260440161027c565b50919050565b5f8181526001602052604090205460ff1615610e9f5760405163c1e1fc7d60e01b81526004810182905260240161027c565b60405163a2dc062560e01b81526004810182905260240161027c565b6060815f03610ee15750506040805180820190915260018152600360fc1b602082015290565b5f825b8015610f0a5781610ef4816118bd565b9250610f039050600a826118e9565b9050610ee4565b508067ffffffffffffffff811115610f2457610f2461169b565b6040519080825280601f01601f191660200182016040528015610f4e576020820181803683370190505b5091505b8215610e6757610f63600a846118fc565b610f6e90603061190f565b60f81b82610f7b83611922565b92508281518110610f8e57610f8e611614565b60200101906001600160f81b03191690815f1a905350610faf600a846118e9565b9250610f52565b5f5f5f886001600160a01b03168888888888604051602401610fdb9493929190611937565b60408051601f198184030181529181526020820180516001600160e01b03166001600160e01b03199094169390931790925290516110199190611981565b5f60405180830381855afa9150503d805f8114611051576040519150601f19603f3d011682016040523d82523d5f602084013e611056565b606091505b5091509150818015611069575080516020145b8015611084575080806020019051810190611084919061198c565b9998505050505050505050565b5f808661109f84600161190f565b6110aa9060206119b2565b85856040516020016110bf94939291906119c9565b60408051601f1981840301815291905290505f85878160206110e181836118fc565b6110ec906020611877565b6110f691906118fc565b67ffffffffffffffff81111561110e5761110e61169b565b6040519080825280601f01601f191660200182016040528015611138576020820181803683370190505b5060405160200161114c94939291906119ec565b6040516020818303038152906040529050886001600160a01b0316828260405160200161117a929190611a15565b60408051601f198184030181529082905261119491611981565b5f60405180830381855afa9150503d805f81146111cc576040519150601f19603f3d011682016040523d82523d5f602084013e6111d1565b606091505b50909a9950505050505050505050565b5080546111ed906116af565b5f825580601f106111fc575050565b601f0160209004905f5260205f20906112159190611217565b565b5f5b8082111561122e575f81840155600101611219565b505050565b5f5f83601f840112611243575f5ffd5b50813567ffffffffffffffff81111561125a575f5ffd5b602083019150836020828501011115611271575f5ffd5b9250929050565b5f5f83601f840112611288575f5ffd5b50813567ffffffffffffffff81111561129f575f5ffd5b6020830191508360208260051b8501011115611271575f5ffd5b5f5f5f5f5f5f5f6080888a0312156112cf575f5ffd5b87359650602088013567ffffffffffffffff8111156112ec575f5ffd5b6112f88a828b01611233565b909750955050604088013567ffffffffffffffff811115611317575f5ffd5b6113238a828b01611278565b909550935050606088013567ffffffffffffffff811115611342575f5ffd5b61134e8a828b01611278565b989b979a50959850939692959293505050565b80356001600160a01b0381168114610b2c575f5ffd5b5f5f5f60608486031215611389575f5ffd5b61139284611361565b9250602084013591506113a760408501611361565b90509250925092565b5f602082840312156113c0575f5ffd5b5035919050565b5f5f604083850312156113d8575f5ffd5b50508035926020909101359150565b5f5f604083850312156113f8575f5ffd5b8235915061140860208401611361565b90509250929050565b5f5f5f5f5f60608688031215611425575f5ffd5b85359450602086013567ffffffffffffffff811115611442575f5ffd5b61144e88828901611233565b909550935050604086013567ffffffffffffffff81111561146d575f5ffd5b61147988828901611278565b969995985093965092949392505050565b5f5f5f5f5f5f5f60c0888a0312156114a0575f5ffd5b873596506114b060208901611361565b95506040880135600381106114c3575f5ffd5b9450606088013561ffff811681146114d9575f5ffd5b93506080880135925060a088013567ffffffffffffffff8111156114fb575f5ffd5b61134e8a828b01611233565b634e487b7160e01b5f52602160045260245ffd5b6003811061153757634e487b7160e01b5f52602160045260245ffd5b9052565b5f81518084528060208401602086015e5f602082860101526020601f19601f83011685010191505092915050565b602081526115836020820183516001600160a01b03169052565b5f6020830151611596604084018261151b565b50604083015161ffff811660608401525060608301516001600160e01b0319811660808401525060808301516001600160a01b03811660a08401525060a083015160c083015260c083015160e083015260e08301516101008301526101008301516101208084015261160c61014084018261153b565b949350505050565b634e487b7160e01b5f52603260045260245ffd5b5f60208284031215611638575f5ffd5b61051182611361565b5f81518060208401855e5f93019283525090919050565b7f76657269667950726f6f662862797465732c75696e743235365b00000000000081525f611689601a830184611641565b615d2960f01b81526002019392505050565b634e487b7160e01b5f52604160045260245ffd5b600181811c908216806116c357607f821691505b602082108103610e6757634e487b7160e01b5f52602260045260245ffd5b601f82111561122e578282111561122e57805f5260205f20601f840160051c602085101561170c57505f5b90810190601f840160051c035f5b8181101561172f575f8382015560010161171a565b505050505050565b815167ffffffffffffffff8111156117515761175161169b565b6117658161175f84546116af565b846116e1565b6020601f821160018114611797575f83156117805750848201515b5f19600385901b1c1916600184901b1784556117ef565b5f84815260208120601f198516915b828110156117c657878501518255602094850194600190920191016117a6565b50848210156117e357868401515f19600387901b60f8161c191681555b505060018360011b0184555b5050505050565b81835281816020850137505f828201602090810191909152601f909101601f19169091010190565b6001600160a01b0388168152611837602082018861151b565b61ffff8616604082015284606082015283608082015260c060a08201525f61108460c0830184866117f6565b634e487b7160e01b5f52601160045260245ffd5b8181038181111561051457610514611863565b5f6001600160fb1b0383111561189e575f5ffd5b8260051b80838637939093019392505050565b5f61160c82848661188a565b5f600182016118ce576118ce611863565b5060010190565b634e487b7160e01b5f52601260045260245ffd5b5f826118f7576118f76118d5565b500490565b5f8261190a5761190a6118d5565b500690565b8082018082111561051457610514611863565b5f8161193057611930611863565b505f190190565b604081525f61194a6040830186886117f6565b82810360208401528381526001600160fb1b03841115611968575f5ffd5b8360051b80866020840137016020019695505050505050565b5f6105118284611641565b5f6020828403121561199c575f5ffd5b815180151581146119ab575f5ffd5b9392505050565b808202811582820484141761051457610514611863565b6001600160e01b031985168152600481018490525f61056b60248301848661188a565b848152828460208301375f6020848301015f8152611a0a8185611641565b979650505050505050565b5f61160c611a238386611641565b8461164156fea2646970667358221220b56bc7c5e06226e4e45ebf73c29453d95619765b7e29df94489bf64ae472bf7664736f6c63430008250033",
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

// PackAttest is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8acbf78e.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function attest(bytes32 modelId, bytes32 vkDigest) returns()
func (registry *Registry) PackAttest(modelId [32]byte, vkDigest [32]byte) []byte {
	enc, err := registry.abi.Pack("attest", modelId, vkDigest)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAttest is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8acbf78e.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function attest(bytes32 modelId, bytes32 vkDigest) returns()
func (registry *Registry) TryPackAttest(modelId [32]byte, vkDigest [32]byte) ([]byte, error) {
	return registry.abi.Pack("attest", modelId, vkDigest)
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

// PackIsAttested is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x95e538b5.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function isAttested(bytes32 modelId, address auditor) view returns(bool)
func (registry *Registry) PackIsAttested(modelId [32]byte, auditor common.Address) []byte {
	enc, err := registry.abi.Pack("isAttested", modelId, auditor)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackIsAttested is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x95e538b5.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function isAttested(bytes32 modelId, address auditor) view returns(bool)
func (registry *Registry) TryPackIsAttested(modelId [32]byte, auditor common.Address) ([]byte, error) {
	return registry.abi.Pack("isAttested", modelId, auditor)
}

// UnpackIsAttested is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x95e538b5.
//
// Solidity: function isAttested(bytes32 modelId, address auditor) view returns(bool)
func (registry *Registry) UnpackIsAttested(data []byte) (bool, error) {
	out, err := registry.abi.Unpack("isAttested", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackModel is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xee19e84b.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function model(bytes32 modelId) view returns((address,uint8,uint16,bytes4,address,bytes32,bytes32,bytes32,string) m)
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
// Solidity: function model(bytes32 modelId) view returns((address,uint8,uint16,bytes4,address,bytes32,bytes32,bytes32,string) m)
func (registry *Registry) TryPackModel(modelId [32]byte) ([]byte, error) {
	return registry.abi.Pack("model", modelId)
}

// UnpackModel is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xee19e84b.
//
// Solidity: function model(bytes32 modelId) view returns((address,uint8,uint16,bytes4,address,bytes32,bytes32,bytes32,string) m)
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
// the contract method with ID 0xb9756275.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function register(bytes32 commitment, address verifier, uint8 backend, uint16 publicInputs, bytes32 vkDigest, string metadataURI) returns(bytes32 modelId)
func (registry *Registry) PackRegister(commitment [32]byte, verifier common.Address, backend uint8, publicInputs uint16, vkDigest [32]byte, metadataURI string) []byte {
	enc, err := registry.abi.Pack("register", commitment, verifier, backend, publicInputs, vkDigest, metadataURI)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRegister is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb9756275.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function register(bytes32 commitment, address verifier, uint8 backend, uint16 publicInputs, bytes32 vkDigest, string metadataURI) returns(bytes32 modelId)
func (registry *Registry) TryPackRegister(commitment [32]byte, verifier common.Address, backend uint8, publicInputs uint16, vkDigest [32]byte, metadataURI string) ([]byte, error) {
	return registry.abi.Pack("register", commitment, verifier, backend, publicInputs, vkDigest, metadataURI)
}

// UnpackRegister is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xb9756275.
//
// Solidity: function register(bytes32 commitment, address verifier, uint8 backend, uint16 publicInputs, bytes32 vkDigest, string metadataURI) returns(bytes32 modelId)
func (registry *Registry) UnpackRegister(data []byte) ([32]byte, error) {
	out, err := registry.abi.Unpack("register", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackRevokeAttestation is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x4d5e1da6.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function revokeAttestation(bytes32 modelId) returns()
func (registry *Registry) PackRevokeAttestation(modelId [32]byte) []byte {
	enc, err := registry.abi.Pack("revokeAttestation", modelId)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRevokeAttestation is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x4d5e1da6.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function revokeAttestation(bytes32 modelId) returns()
func (registry *Registry) TryPackRevokeAttestation(modelId [32]byte) ([]byte, error) {
	return registry.abi.Pack("revokeAttestation", modelId)
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

// PackVerifyInferenceAttested is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x1c709d9f.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function verifyInferenceAttested(bytes32 modelId, bytes proof, uint256[] publicInputs, address[] auditors) returns(bytes32 publicInputsHash)
func (registry *Registry) PackVerifyInferenceAttested(modelId [32]byte, proof []byte, publicInputs []*big.Int, auditors []common.Address) []byte {
	enc, err := registry.abi.Pack("verifyInferenceAttested", modelId, proof, publicInputs, auditors)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackVerifyInferenceAttested is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x1c709d9f.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function verifyInferenceAttested(bytes32 modelId, bytes proof, uint256[] publicInputs, address[] auditors) returns(bytes32 publicInputsHash)
func (registry *Registry) TryPackVerifyInferenceAttested(modelId [32]byte, proof []byte, publicInputs []*big.Int, auditors []common.Address) ([]byte, error) {
	return registry.abi.Pack("verifyInferenceAttested", modelId, proof, publicInputs, auditors)
}

// UnpackVerifyInferenceAttested is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x1c709d9f.
//
// Solidity: function verifyInferenceAttested(bytes32 modelId, bytes proof, uint256[] publicInputs, address[] auditors) returns(bytes32 publicInputsHash)
func (registry *Registry) UnpackVerifyInferenceAttested(data []byte) ([32]byte, error) {
	out, err := registry.abi.Unpack("verifyInferenceAttested", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackVkDigestOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x99d0199b.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function vkDigestOf(bytes32 modelId) view returns(bytes32)
func (registry *Registry) PackVkDigestOf(modelId [32]byte) []byte {
	enc, err := registry.abi.Pack("vkDigestOf", modelId)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackVkDigestOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x99d0199b.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function vkDigestOf(bytes32 modelId) view returns(bytes32)
func (registry *Registry) TryPackVkDigestOf(modelId [32]byte) ([]byte, error) {
	return registry.abi.Pack("vkDigestOf", modelId)
}

// UnpackVkDigestOf is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x99d0199b.
//
// Solidity: function vkDigestOf(bytes32 modelId) view returns(bytes32)
func (registry *Registry) UnpackVkDigestOf(data []byte) ([32]byte, error) {
	out, err := registry.abi.Unpack("vkDigestOf", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// RegistryAttestationRevoked represents a AttestationRevoked event raised by the Registry contract.
type RegistryAttestationRevoked struct {
	ModelId [32]byte
	Auditor common.Address
	Raw     *types.Log // Blockchain specific contextual infos
}

const RegistryAttestationRevokedEventName = "AttestationRevoked"

// ContractEventName returns the user-defined event name.
func (RegistryAttestationRevoked) ContractEventName() string {
	return RegistryAttestationRevokedEventName
}

// UnpackAttestationRevokedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event AttestationRevoked(bytes32 indexed modelId, address indexed auditor)
func (registry *Registry) UnpackAttestationRevokedEvent(log *types.Log) (*RegistryAttestationRevoked, error) {
	event := "AttestationRevoked"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != registry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(RegistryAttestationRevoked)
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

// RegistryAttested represents a Attested event raised by the Registry contract.
type RegistryAttested struct {
	ModelId  [32]byte
	Auditor  common.Address
	VkDigest [32]byte
	Raw      *types.Log // Blockchain specific contextual infos
}

const RegistryAttestedEventName = "Attested"

// ContractEventName returns the user-defined event name.
func (RegistryAttested) ContractEventName() string {
	return RegistryAttestedEventName
}

// UnpackAttestedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Attested(bytes32 indexed modelId, address indexed auditor, bytes32 vkDigest)
func (registry *Registry) UnpackAttestedEvent(log *types.Log) (*RegistryAttested, error) {
	event := "Attested"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != registry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(RegistryAttested)
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

// RegistryInferenceVerified represents a InferenceVerified event raised by the Registry contract.
type RegistryInferenceVerified struct {
	ModelId          [32]byte
	PublicInputsHash [32]byte
	Commitment       [32]byte
	VkDigest         [32]byte
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
// Solidity: event InferenceVerified(bytes32 indexed modelId, bytes32 indexed publicInputsHash, bytes32 commitment, bytes32 vkDigest, address caller)
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
	CodeHash     [32]byte
	VkDigest     [32]byte
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
// Solidity: event ModelRegistered(bytes32 indexed modelId, bytes32 indexed commitment, address indexed owner, address verifier, uint8 backend, uint16 publicInputs, bytes32 codeHash, bytes32 vkDigest, string metadataURI)
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
	if bytes.Equal(raw[:4], registry.abi.Errors["InvalidVkDigest"].ID.Bytes()[:4]) {
		return registry.UnpackInvalidVkDigestError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["ModelExists"].ID.Bytes()[:4]) {
		return registry.UnpackModelExistsError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["ModelRetired"].ID.Bytes()[:4]) {
		return registry.UnpackModelRetiredError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["NoAuditors"].ID.Bytes()[:4]) {
		return registry.UnpackNoAuditorsError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["NotAttested"].ID.Bytes()[:4]) {
		return registry.UnpackNotAttestedError(raw[4:])
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
	if bytes.Equal(raw[:4], registry.abi.Errors["VerifierCodeChanged"].ID.Bytes()[:4]) {
		return registry.UnpackVerifierCodeChangedError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["VerifierHasNoCode"].ID.Bytes()[:4]) {
		return registry.UnpackVerifierHasNoCodeError(raw[4:])
	}
	if bytes.Equal(raw[:4], registry.abi.Errors["VkDigestMismatch"].ID.Bytes()[:4]) {
		return registry.UnpackVkDigestMismatchError(raw[4:])
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

// RegistryInvalidVkDigest represents a InvalidVkDigest error raised by the Registry contract.
type RegistryInvalidVkDigest struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InvalidVkDigest()
func RegistryInvalidVkDigestErrorID() common.Hash {
	return common.HexToHash("0xee294ba4da28ad42711adcd5bc4f2e8ae5e04a715822652c5b2d3fee32372609")
}

// UnpackInvalidVkDigestError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InvalidVkDigest()
func (registry *Registry) UnpackInvalidVkDigestError(raw []byte) (*RegistryInvalidVkDigest, error) {
	out := new(RegistryInvalidVkDigest)
	if err := registry.abi.UnpackIntoInterface(out, "InvalidVkDigest", raw); err != nil {
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

// RegistryModelRetired represents a ModelRetired error raised by the Registry contract.
type RegistryModelRetired struct {
	ModelId [32]byte
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ModelRetired(bytes32 modelId)
func RegistryModelRetiredErrorID() common.Hash {
	return common.HexToHash("0xc1e1fc7dcb7b78152bbbebcc9bfc4303f755c220596b6514d46edb9ad83d2155")
}

// UnpackModelRetiredError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ModelRetired(bytes32 modelId)
func (registry *Registry) UnpackModelRetiredError(raw []byte) (*RegistryModelRetired, error) {
	out := new(RegistryModelRetired)
	if err := registry.abi.UnpackIntoInterface(out, "ModelRetired", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// RegistryNoAuditors represents a NoAuditors error raised by the Registry contract.
type RegistryNoAuditors struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NoAuditors()
func RegistryNoAuditorsErrorID() common.Hash {
	return common.HexToHash("0xea97ac11057428d7939ef4a12de4ad73e2924545733286e3cbf2e7ff8702d54e")
}

// UnpackNoAuditorsError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NoAuditors()
func (registry *Registry) UnpackNoAuditorsError(raw []byte) (*RegistryNoAuditors, error) {
	out := new(RegistryNoAuditors)
	if err := registry.abi.UnpackIntoInterface(out, "NoAuditors", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// RegistryNotAttested represents a NotAttested error raised by the Registry contract.
type RegistryNotAttested struct {
	ModelId [32]byte
	Auditor common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NotAttested(bytes32 modelId, address auditor)
func RegistryNotAttestedErrorID() common.Hash {
	return common.HexToHash("0xd9efa613738031c0096f3f6703efe18c2a44dc1878f4fbe4195f61c2e3fc90be")
}

// UnpackNotAttestedError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NotAttested(bytes32 modelId, address auditor)
func (registry *Registry) UnpackNotAttestedError(raw []byte) (*RegistryNotAttested, error) {
	out := new(RegistryNotAttested)
	if err := registry.abi.UnpackIntoInterface(out, "NotAttested", raw); err != nil {
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

// RegistryVerifierCodeChanged represents a VerifierCodeChanged error raised by the Registry contract.
type RegistryVerifierCodeChanged struct {
	ModelId    [32]byte
	Registered [32]byte
	Current    [32]byte
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error VerifierCodeChanged(bytes32 modelId, bytes32 registered, bytes32 current)
func RegistryVerifierCodeChangedErrorID() common.Hash {
	return common.HexToHash("0x59e09bc6cfb104dae2ad7d15ebb75e36f0e0a9facc2c6ace7a4265c27fd5d2c5")
}

// UnpackVerifierCodeChangedError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error VerifierCodeChanged(bytes32 modelId, bytes32 registered, bytes32 current)
func (registry *Registry) UnpackVerifierCodeChangedError(raw []byte) (*RegistryVerifierCodeChanged, error) {
	out := new(RegistryVerifierCodeChanged)
	if err := registry.abi.UnpackIntoInterface(out, "VerifierCodeChanged", raw); err != nil {
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

// RegistryVkDigestMismatch represents a VkDigestMismatch error raised by the Registry contract.
type RegistryVkDigestMismatch struct {
	ModelId    [32]byte
	Registered [32]byte
	Attested   [32]byte
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error VkDigestMismatch(bytes32 modelId, bytes32 registered, bytes32 attested)
func RegistryVkDigestMismatchErrorID() common.Hash {
	return common.HexToHash("0xe17c0b61dfcefe7e1ff42bf535d02c88b32619907d7ed0908521df6d06b91a2c")
}

// UnpackVkDigestMismatchError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error VkDigestMismatch(bytes32 modelId, bytes32 registered, bytes32 attested)
func (registry *Registry) UnpackVkDigestMismatchError(raw []byte) (*RegistryVkDigestMismatch, error) {
	out := new(RegistryVkDigestMismatch)
	if err := registry.abi.UnpackIntoInterface(out, "VkDigestMismatch", raw); err != nil {
		return nil, err
	}
	return out, nil
}

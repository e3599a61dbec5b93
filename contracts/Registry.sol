// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title zkinfer model registry
/// @notice Ties a model commitment to the verifier contract of its circuit and
/// records verified inferences as events. Anyone may verify; only a model's
/// owner may deregister it or hand it over.
/// @dev Verifiers are gnark's generated contracts:
///  - Groth16: `verifyProof(bytes, uint256[N])`, reverts on a bad proof. N is
///    part of the function selector, so the registry stores the selector with
///    the model and re-encodes the dynamic input array as a fixed one (for a
///    static array the ABI puts the N words inline, right after the offset of
///    the bytes argument).
///  - PLONK: `Verify(bytes, uint256[])`, returns false on a bad proof without
///    reverting, so the registry requires an explicit true.
contract Registry {
    /// @dev None is zero so that an unset mapping slot reads as "no model".
    enum Backend {
        None,
        Groth16,
        Plonk
    }

    /// @dev verifier, backend, publicInputs and selector share one slot: a
    /// verification reads one cold slot for the call and one for the event.
    struct Model {
        address verifier;
        Backend backend;
        uint16 publicInputs;
        bytes4 selector;
        address owner;
        bytes32 commitment;
        string metadataURI;
    }

    mapping(bytes32 => Model) private _models;

    event ModelRegistered(
        bytes32 indexed modelId,
        bytes32 indexed commitment,
        address indexed owner,
        address verifier,
        Backend backend,
        uint16 publicInputs,
        string metadataURI
    );
    event ModelDeregistered(bytes32 indexed modelId, address indexed owner);
    event OwnershipTransferred(bytes32 indexed modelId, address indexed previousOwner, address indexed newOwner);
    /// @param publicInputsHash keccak256 of the public inputs as 32-byte
    /// words: the input/output commitment until circuits expose Poseidon
    /// commitments of their own.
    event InferenceVerified(
        bytes32 indexed modelId,
        bytes32 indexed commitment,
        bytes32 indexed publicInputsHash,
        address caller
    );

    error UnknownModel(bytes32 modelId);
    error ModelExists(bytes32 modelId);
    error NotModelOwner(bytes32 modelId, address caller);
    error InvalidOwner(address owner);
    error InvalidBackend(uint8 backend);
    error InvalidPublicInputCount(uint256 count);
    error VerifierHasNoCode(address verifier);
    error PublicInputCountMismatch(bytes32 modelId, uint256 want, uint256 got);
    error ProofRejected(bytes32 modelId);
    error CommitmentMismatch(bytes32 modelId, uint256 got);

    /// @notice The id a registrant gets for (commitment, verifier). The
    /// registrant is part of it so nobody can squat another owner's id.
    function modelIdOf(address registrant, bytes32 commitment, address verifier) public pure returns (bytes32) {
        return keccak256(abi.encode(registrant, commitment, verifier));
    }

    /// @notice Registers a model; the caller becomes its owner.
    /// @param publicInputs the number of public inputs the verifier takes (N).
    function register(
        bytes32 commitment,
        address verifier,
        Backend backend,
        uint16 publicInputs,
        string calldata metadataURI
    ) external returns (bytes32 modelId) {
        if (backend == Backend.None) revert InvalidBackend(uint8(backend));
        if (verifier.code.length == 0) revert VerifierHasNoCode(verifier);
        if (publicInputs == 0) revert InvalidPublicInputCount(publicInputs);
        modelId = modelIdOf(msg.sender, commitment, verifier);
        if (_models[modelId].backend != Backend.None) revert ModelExists(modelId);
        bytes4 selector = backend == Backend.Groth16
            ? bytes4(keccak256(abi.encodePacked("verifyProof(bytes,uint256[", _decimal(publicInputs), "])")))
            : bytes4(keccak256("Verify(bytes,uint256[])"));
        _models[modelId] = Model({
            verifier: verifier,
            backend: backend,
            publicInputs: publicInputs,
            selector: selector,
            owner: msg.sender,
            commitment: commitment,
            metadataURI: metadataURI
        });
        emit ModelRegistered(modelId, commitment, msg.sender, verifier, backend, publicInputs, metadataURI);
    }

    /// @notice Removes a model; verifications against it fail from then on.
    function deregister(bytes32 modelId) external {
        address owner = _onlyOwner(modelId);
        delete _models[modelId];
        emit ModelDeregistered(modelId, owner);
    }

    /// @notice Hands a model to a new owner.
    function transferOwnership(bytes32 modelId, address newOwner) external {
        address owner = _onlyOwner(modelId);
        if (newOwner == address(0)) revert InvalidOwner(newOwner);
        _models[modelId].owner = newOwner;
        emit OwnershipTransferred(modelId, owner, newOwner);
    }

    /// @notice The registration of modelId; reverts with UnknownModel if none.
    function model(bytes32 modelId) external view returns (Model memory m) {
        m = _models[modelId];
        if (m.backend == Backend.None) revert UnknownModel(modelId);
    }

    /// @notice Verifies a proof of one inference of modelId with the model's
    /// verifier and records it. Reverts with ProofRejected if the verifier
    /// rejects the proof, whichever way the verifier signals it.
    function verifyInference(bytes32 modelId, bytes calldata proof, uint256[] calldata publicInputs)
        external
        returns (bytes32 publicInputsHash)
    {
        Model storage m = _models[modelId];
        address verifier = m.verifier;
        Backend backend = m.backend;
        if (backend == Backend.None) revert UnknownModel(modelId);
        if (publicInputs.length != m.publicInputs) {
            revert PublicInputCountMismatch(modelId, m.publicInputs, publicInputs.length);
        }
        // zkinfer circuits expose the model commitment as their last public
        // input: a proof counts for this model only if it is about this
        // model's weights, whichever verifier the owner registered.
        uint256 got = publicInputs[publicInputs.length - 1];
        if (got != uint256(m.commitment)) revert CommitmentMismatch(modelId, got);
        // A call to an address without code succeeds: never count that as
        // an accepted proof.
        if (verifier.code.length == 0) revert VerifierHasNoCode(verifier);

        bool ok = backend == Backend.Groth16
            ? _callGroth16(verifier, m.selector, proof, publicInputs)
            : _callPlonk(verifier, m.selector, proof, publicInputs);
        if (!ok) revert ProofRejected(modelId);

        publicInputsHash = keccak256(abi.encodePacked(publicInputs));
        emit InferenceVerified(modelId, m.commitment, publicInputsHash, msg.sender);
    }

    /// @dev Calls verifyProof(bytes, uint256[N]); success means accepted.
    function _callGroth16(address verifier, bytes4 selector, bytes calldata proof, uint256[] calldata publicInputs)
        private
        view
        returns (bool ok)
    {
        // (bytes, uint256[N]) encodes as: offset of bytes = 32·(N+1), the N
        // words inline, then length, data and zero padding of the bytes.
        bytes memory head = abi.encodePacked(selector, uint256(32 * (publicInputs.length + 1)), publicInputs);
        bytes memory tail = abi.encodePacked(proof.length, proof, new bytes((32 - (proof.length % 32)) % 32));
        (ok,) = verifier.staticcall(bytes.concat(head, tail));
    }

    /// @dev Calls Verify(bytes, uint256[]); only a returned true is accepted.
    function _callPlonk(address verifier, bytes4 selector, bytes calldata proof, uint256[] calldata publicInputs)
        private
        view
        returns (bool)
    {
        (bool ok, bytes memory ret) = verifier.staticcall(abi.encodeWithSelector(selector, proof, publicInputs));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    function _onlyOwner(bytes32 modelId) private view returns (address owner) {
        Model storage m = _models[modelId];
        if (m.backend == Backend.None) revert UnknownModel(modelId);
        owner = m.owner;
        if (owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
    }

    function _decimal(uint256 v) private pure returns (bytes memory s) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t != 0; t /= 10) len++;
        s = new bytes(len);
        for (; v != 0; v /= 10) s[--len] = bytes1(uint8(48 + v % 10));
    }
}

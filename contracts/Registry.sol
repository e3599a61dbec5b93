// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title zkinfer model registry (v2)
/// @notice Ties a model commitment to the verifier contract of its circuit and
/// records verified inferences as events. Anyone may register, verify and
/// attest; only a model's owner may deregister it or hand it over.
///
/// WHAT TO TRUST. Registration is permissionless: anyone can register any
/// commitment with any contract as its "verifier", including one that accepts
/// every proof, and then emit InferenceVerified for that commitment without a
/// proof. A commitment alone therefore proves nothing. Relying parties key on
/// a modelId, i.e. on (registrant, commitment, verifier) via modelIdOf, for a
/// registrant they trust, or require attestations from auditors they trust
/// (verifyInferenceAttested, isAttested). That is why the commitment is not an
/// indexed topic of InferenceVerified: filter events by modelId.
///
/// WHO VERIFIED. InferenceVerified's caller is msg.sender: whoever submitted
/// the proof. A valid proof can be resubmitted (replayed) by anyone, so the
/// event proves that the inference was verified, not who requested it.
///
/// PINNING. A registration records the verifier's code hash and the digest of
/// the verifying key the registrant built it from; every verification checks
/// the code hash, so the contract that runs is the contract that was
/// registered (and audited). A registration is immutable: the owner can hand
/// it over or deregister it, never change what it verifies with, and a
/// deregistered id is retired for good (nobody, the previous owners included,
/// can register it again), so an attestation always refers to exactly one
/// registration.
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
    /// verification reads that slot, the commitment, the code hash and the
    /// key digest.
    struct Model {
        address verifier;
        Backend backend;
        uint16 publicInputs;
        bytes4 selector;
        address owner;
        bytes32 commitment;
        /// @dev extcodehash(verifier) at registration.
        bytes32 codeHash;
        /// @dev SHA-256 of the verifying key (zkinfer's "sha256:" digest, raw).
        bytes32 vkDigest;
        string metadataURI;
    }

    mapping(bytes32 => Model) private _models;
    /// @dev Deregistered ids: never registered again.
    mapping(bytes32 => bool) private _retired;
    mapping(bytes32 => mapping(address => bool)) private _attested;

    event ModelRegistered(
        bytes32 indexed modelId,
        bytes32 indexed commitment,
        address indexed owner,
        address verifier,
        Backend backend,
        uint16 publicInputs,
        bytes32 codeHash,
        bytes32 vkDigest,
        string metadataURI
    );
    event ModelDeregistered(bytes32 indexed modelId, address indexed owner);
    event OwnershipTransferred(bytes32 indexed modelId, address indexed previousOwner, address indexed newOwner);
    /// @notice An auditor vouches for a registration: typically it re-derived
    /// the verifying key from the published model (and setup) and found
    /// vkDigest, and checked that the verifier's code is the contract gnark
    /// generates from that key.
    event Attested(bytes32 indexed modelId, address indexed auditor, bytes32 vkDigest);
    event AttestationRevoked(bytes32 indexed modelId, address indexed auditor);
    /// @notice A proof of one inference of modelId was verified.
    /// @dev Filter by modelId, never by commitment (see the contract's notice):
    /// anyone can register a commitment. caller is whoever submitted the
    /// proof, not necessarily whoever requested the inference.
    /// @param publicInputsHash keccak256 of the public inputs as 32-byte
    /// words: the input/output commitment until circuits expose Poseidon
    /// commitments of their own.
    event InferenceVerified(
        bytes32 indexed modelId,
        bytes32 indexed publicInputsHash,
        bytes32 commitment,
        bytes32 vkDigest,
        address caller
    );

    error UnknownModel(bytes32 modelId);
    error ModelExists(bytes32 modelId);
    error ModelRetired(bytes32 modelId);
    error NotModelOwner(bytes32 modelId, address caller);
    error InvalidOwner(address owner);
    error InvalidBackend(uint8 backend);
    error InvalidPublicInputCount(uint256 count);
    error InvalidVkDigest();
    error VerifierHasNoCode(address verifier);
    error VerifierCodeChanged(bytes32 modelId, bytes32 registered, bytes32 current);
    error PublicInputCountMismatch(bytes32 modelId, uint256 want, uint256 got);
    error ProofRejected(bytes32 modelId);
    error CommitmentMismatch(bytes32 modelId, uint256 got);
    error VkDigestMismatch(bytes32 modelId, bytes32 registered, bytes32 attested);
    error NoAuditors();
    error NotAttested(bytes32 modelId, address auditor);

    /// @notice The id a registrant gets for (commitment, verifier). The
    /// registrant is part of it so nobody can squat another owner's id; it
    /// stays the same when ownership moves.
    function modelIdOf(address registrant, bytes32 commitment, address verifier) public pure returns (bytes32) {
        return keccak256(abi.encode(registrant, commitment, verifier));
    }

    /// @notice Registers a model; the caller becomes its owner. The verifier's
    /// code hash is recorded and checked at every verification.
    /// @param publicInputs the number of public inputs the verifier takes (N).
    /// @param vkDigest the SHA-256 digest of the verifying key the verifier was
    /// generated from (zkinfer's prover.VerifyingKeyDigest without "sha256:").
    function register(
        bytes32 commitment,
        address verifier,
        Backend backend,
        uint16 publicInputs,
        bytes32 vkDigest,
        string calldata metadataURI
    ) external returns (bytes32 modelId) {
        if (backend == Backend.None) revert InvalidBackend(uint8(backend));
        if (verifier.code.length == 0) revert VerifierHasNoCode(verifier);
        if (publicInputs == 0) revert InvalidPublicInputCount(publicInputs);
        if (vkDigest == bytes32(0)) revert InvalidVkDigest();
        modelId = modelIdOf(msg.sender, commitment, verifier);
        if (_models[modelId].backend != Backend.None) revert ModelExists(modelId);
        if (_retired[modelId]) revert ModelRetired(modelId);
        bytes4 selector = backend == Backend.Groth16
            ? bytes4(keccak256(abi.encodePacked("verifyProof(bytes,uint256[", _decimal(publicInputs), "])")))
            : bytes4(keccak256("Verify(bytes,uint256[])"));
        bytes32 codeHash = verifier.codehash;
        _models[modelId] = Model({
            verifier: verifier,
            backend: backend,
            publicInputs: publicInputs,
            selector: selector,
            owner: msg.sender,
            commitment: commitment,
            codeHash: codeHash,
            vkDigest: vkDigest,
            metadataURI: metadataURI
        });
        emit ModelRegistered(
            modelId, commitment, msg.sender, verifier, backend, publicInputs, codeHash, vkDigest, metadataURI
        );
    }

    /// @notice Removes a model for good: verifications against it fail from
    /// then on, and its id can never be registered again.
    function deregister(bytes32 modelId) external {
        address owner = _onlyOwner(modelId);
        delete _models[modelId];
        _retired[modelId] = true;
        emit ModelDeregistered(modelId, owner);
    }

    /// @notice Hands a model to a new owner. The model id does not change.
    function transferOwnership(bytes32 modelId, address newOwner) external {
        address owner = _onlyOwner(modelId);
        if (newOwner == address(0)) revert InvalidOwner(newOwner);
        _models[modelId].owner = newOwner;
        emit OwnershipTransferred(modelId, owner, newOwner);
    }

    /// @notice The registration of modelId; reverts with UnknownModel if none
    /// (ModelRetired once deregistered).
    function model(bytes32 modelId) external view returns (Model memory m) {
        m = _models[modelId];
        if (m.backend == Backend.None) _revertUnknown(modelId);
    }

    /// @notice The verifying-key digest modelId was registered with.
    function vkDigestOf(bytes32 modelId) external view returns (bytes32) {
        Model storage m = _models[modelId];
        if (m.backend == Backend.None) _revertUnknown(modelId);
        return m.vkDigest;
    }

    /// @notice Records that the caller, as an auditor, vouches for modelId.
    /// @param vkDigest the key digest the auditor checked; it must be the
    /// registration's, so an attestation never covers a key its auditor did
    /// not see.
    function attest(bytes32 modelId, bytes32 vkDigest) external {
        Model storage m = _models[modelId];
        if (m.backend == Backend.None) _revertUnknown(modelId);
        if (m.vkDigest != vkDigest) revert VkDigestMismatch(modelId, m.vkDigest, vkDigest);
        _attested[modelId][msg.sender] = true;
        emit Attested(modelId, msg.sender, vkDigest);
    }

    /// @notice Withdraws the caller's attestation of modelId.
    function revokeAttestation(bytes32 modelId) external {
        delete _attested[modelId][msg.sender];
        emit AttestationRevoked(modelId, msg.sender);
    }

    /// @notice Whether auditor attests modelId and modelId is registered.
    function isAttested(bytes32 modelId, address auditor) external view returns (bool) {
        return _models[modelId].backend != Backend.None && _attested[modelId][auditor];
    }

    /// @notice Verifies a proof of one inference of modelId with the model's
    /// verifier and records it. Reverts with ProofRejected if the verifier
    /// rejects the proof, whichever way the verifier signals it, and with
    /// VerifierCodeChanged if the verifier's code is not the registered code.
    function verifyInference(bytes32 modelId, bytes calldata proof, uint256[] calldata publicInputs)
        external
        returns (bytes32 publicInputsHash)
    {
        return _verify(modelId, proof, publicInputs);
    }

    /// @notice verifyInference that also requires an attestation of modelId
    /// from every one of auditors (all of them, not a quorum: list exactly
    /// the auditors you require). For relying contracts that trust auditors
    /// rather than a registrant. Reverts with NotAttested naming the first
    /// auditor missing.
    function verifyInferenceAttested(
        bytes32 modelId,
        bytes calldata proof,
        uint256[] calldata publicInputs,
        address[] calldata auditors
    ) external returns (bytes32 publicInputsHash) {
        if (auditors.length == 0) revert NoAuditors();
        for (uint256 i; i < auditors.length; ++i) {
            if (!_attested[modelId][auditors[i]]) revert NotAttested(modelId, auditors[i]);
        }
        return _verify(modelId, proof, publicInputs);
    }

    function _verify(bytes32 modelId, bytes calldata proof, uint256[] calldata publicInputs)
        private
        returns (bytes32 publicInputsHash)
    {
        Model storage m = _models[modelId];
        address verifier = m.verifier;
        Backend backend = m.backend;
        if (backend == Backend.None) _revertUnknown(modelId);
        if (publicInputs.length != m.publicInputs) {
            revert PublicInputCountMismatch(modelId, m.publicInputs, publicInputs.length);
        }
        // zkinfer circuits expose the model commitment as their last public
        // input: a proof counts for this model only if it is about this
        // model's weights, whichever verifier the owner registered.
        bytes32 commitment = m.commitment;
        uint256 got = publicInputs[publicInputs.length - 1];
        if (got != uint256(commitment)) revert CommitmentMismatch(modelId, got);
        // The code that runs must be the code that was registered (and
        // audited). This also refuses an address whose code is gone: a call
        // to it would succeed and look like an accepted proof.
        bytes32 codeHash = verifier.codehash;
        if (codeHash != m.codeHash) revert VerifierCodeChanged(modelId, m.codeHash, codeHash);

        bool ok = backend == Backend.Groth16
            ? _callGroth16(verifier, m.selector, proof, publicInputs)
            : _callPlonk(verifier, m.selector, proof, publicInputs);
        if (!ok) revert ProofRejected(modelId);

        publicInputsHash = keccak256(abi.encodePacked(publicInputs));
        emit InferenceVerified(modelId, publicInputsHash, commitment, m.vkDigest, msg.sender);
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
        if (m.backend == Backend.None) _revertUnknown(modelId);
        owner = m.owner;
        if (owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
    }

    /// @dev UnknownModel, or ModelRetired for a deregistered id: only on the
    /// failure path, so a verification pays nothing for the tombstone.
    function _revertUnknown(bytes32 modelId) private view {
        if (_retired[modelId]) revert ModelRetired(modelId);
        revert UnknownModel(modelId);
    }

    function _decimal(uint256 v) private pure returns (bytes memory s) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t != 0; t /= 10) len++;
        s = new bytes(len);
        for (; v != 0; v /= 10) s[--len] = bytes1(uint8(48 + v % 10));
    }
}

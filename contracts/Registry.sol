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

    /// @dev One shard of a sharded model; the first slot is read with the
    /// code hash and the commitment at every verification.
    struct Shard {
        address verifier;
        Backend backend;
        uint16 publicInputs;
        bytes4 selector;
        bytes32 commitment;
        bytes32 codeHash;
        bytes32 vkDigest;
    }

    /// @notice What a registrant names for one shard of a sharded model.
    struct ShardSpec {
        address verifier;
        Backend backend;
        uint16 publicInputs;
        /// @dev The shard sub-model's commitment: the shard proof's last
        /// public input.
        bytes32 commitment;
        bytes32 vkDigest;
    }

    /// @dev A model proven in shards: owner is zero for "no model".
    struct ShardedModel {
        address owner;
        /// @dev quant.ShardsCommitment of the ranges and shard commitments
        /// (a Poseidon2 hash the registry records, not recomputes).
        bytes32 shardsCommitment;
        Shard[] shards;
        string metadataURI;
    }

    mapping(bytes32 => Model) private _models;
    mapping(bytes32 => ShardedModel) private _sharded;
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

    /// @notice A sharded model was registered: its shards in order.
    event ShardedModelRegistered(
        bytes32 indexed modelId,
        bytes32 indexed shardsCommitment,
        address indexed owner,
        ShardSpec[] shards,
        bytes32[] codeHashes,
        string metadataURI
    );
    /// @notice A proof of one inference of the sharded model modelId was
    /// verified: every shard's proof, and the hash chain between them.
    /// @param inputHash keccak256 of the first shard's input public inputs
    /// (all but its last two: the output hash and the commitment).
    /// @param outputHash keccak256 of the last shard's output public inputs
    /// (all but its first, the input hash, and its last, the commitment).
    event ShardedInferenceVerified(
        bytes32 indexed modelId,
        bytes32 shardsCommitment,
        bytes32 inputHash,
        bytes32 outputHash,
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
    error InvalidShardCount(uint256 count);
    error WrongShardCount(bytes32 modelId, uint256 want, uint256 proofs, uint256 publicInputs);
    error ShardPublicInputCountMismatch(bytes32 modelId, uint256 shard, uint256 want, uint256 got);
    error ShardCommitmentMismatch(bytes32 modelId, uint256 shard, uint256 got);
    error BrokenShardChain(bytes32 modelId, uint256 shard, uint256 previousOutput, uint256 input);
    error ShardVerifierCodeChanged(bytes32 modelId, uint256 shard, bytes32 registered, bytes32 current);
    error ShardProofRejected(bytes32 modelId, uint256 shard);

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

    /// @notice The id a registrant gets for a sharded model: its shards
    /// commitment and its verifiers in shard order.
    function shardedModelIdOf(address registrant, bytes32 shardsCommitment, address[] memory verifiers)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(registrant, shardsCommitment, verifiers));
    }

    /// @notice Registers a model proven in shards (at least two); the caller
    /// becomes its owner. Shards are in order; shards of one circuit may
    /// share a verifier. Every verifier's code hash is recorded and checked
    /// at every verification, as for a single model.
    function registerSharded(bytes32 shardsCommitment, ShardSpec[] calldata shards, string calldata metadataURI)
        external
        returns (bytes32 modelId)
    {
        uint256 n = shards.length;
        if (n < 2 || n > type(uint16).max) revert InvalidShardCount(n);
        address[] memory verifiers = new address[](n);
        for (uint256 i; i < n; ++i) {
            verifiers[i] = shards[i].verifier;
        }
        modelId = shardedModelIdOf(msg.sender, shardsCommitment, verifiers);
        ShardedModel storage m = _sharded[modelId];
        if (m.owner != address(0)) revert ModelExists(modelId);
        if (_retired[modelId]) revert ModelRetired(modelId);
        m.owner = msg.sender;
        m.shardsCommitment = shardsCommitment;
        m.metadataURI = metadataURI;
        bytes32[] memory codeHashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            codeHashes[i] = _pushShard(m.shards, shards[i]);
        }
        emit ShardedModelRegistered(modelId, shardsCommitment, msg.sender, shards, codeHashes, metadataURI);
    }

    function _pushShard(Shard[] storage list, ShardSpec calldata s) private returns (bytes32 codeHash) {
        address verifier = s.verifier;
        if (s.backend == Backend.None) revert InvalidBackend(uint8(s.backend));
        if (verifier.code.length == 0) revert VerifierHasNoCode(verifier);
        // Two public inputs at least: the chain hash at one end, the
        // commitment last.
        if (s.publicInputs < 2) revert InvalidPublicInputCount(s.publicInputs);
        if (s.vkDigest == bytes32(0)) revert InvalidVkDigest();
        codeHash = verifier.codehash;
        list.push(
            Shard({
                verifier: verifier,
                backend: s.backend,
                publicInputs: s.publicInputs,
                selector: _selector(s.backend, s.publicInputs),
                commitment: s.commitment,
                codeHash: codeHash,
                vkDigest: s.vkDigest
            })
        );
    }

    /// @notice The registration of a sharded model; reverts with
    /// UnknownModel if none (ModelRetired once deregistered).
    function shardedModel(bytes32 modelId) external view returns (ShardedModel memory m) {
        m = _sharded[modelId];
        if (m.owner == address(0)) _revertUnknown(modelId);
    }

    /// @notice Removes a sharded model for good, as deregister does.
    function deregisterSharded(bytes32 modelId) external {
        address owner = _sharded[modelId].owner;
        if (owner == address(0)) _revertUnknown(modelId);
        if (owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
        delete _sharded[modelId];
        _retired[modelId] = true;
        emit ModelDeregistered(modelId, owner);
    }

    /// @notice Verifies one inference of a sharded model in one transaction:
    /// proofs[i] and publicInputs[i] are shard i's. Each shard's last public
    /// input must be its registered commitment, shard i's output hash (its
    /// next-to-last public input) must be shard i+1's input hash (its first),
    /// and every shard's registered verifier, with its registered code, must
    /// accept. Emits one ShardedInferenceVerified.
    function verifyShardedInference(bytes32 modelId, bytes[] calldata proofs, uint256[][] calldata publicInputs)
        external
        returns (bytes32 inputHash, bytes32 outputHash)
    {
        ShardedModel storage m = _sharded[modelId];
        if (m.owner == address(0)) _revertUnknown(modelId);
        Shard[] storage shards = m.shards;
        uint256 n = shards.length;
        if (proofs.length != n || publicInputs.length != n) {
            revert WrongShardCount(modelId, n, proofs.length, publicInputs.length);
        }
        // The cheap checks of every shard before any pairing.
        for (uint256 i; i < n; ++i) {
            uint256[] calldata pi = publicInputs[i];
            Shard storage s = shards[i];
            if (pi.length != s.publicInputs) revert ShardPublicInputCountMismatch(modelId, i, s.publicInputs, pi.length);
            if (pi[pi.length - 1] != uint256(s.commitment)) {
                revert ShardCommitmentMismatch(modelId, i, pi[pi.length - 1]);
            }
            if (i > 0) {
                uint256[] calldata prev = publicInputs[i - 1];
                if (prev[prev.length - 2] != pi[0]) revert BrokenShardChain(modelId, i, prev[prev.length - 2], pi[0]);
            }
        }
        for (uint256 i; i < n; ++i) {
            _verifyShard(modelId, i, shards[i], proofs[i], publicInputs[i]);
        }
        uint256[] calldata first = publicInputs[0];
        uint256[] calldata last = publicInputs[n - 1];
        inputHash = keccak256(abi.encodePacked(first[:first.length - 2]));
        outputHash = keccak256(abi.encodePacked(last[1:last.length - 1]));
        emit ShardedInferenceVerified(modelId, m.shardsCommitment, inputHash, outputHash, msg.sender);
    }

    function _verifyShard(
        bytes32 modelId,
        uint256 i,
        Shard storage s,
        bytes calldata proof,
        uint256[] calldata publicInputs
    ) private view {
        address verifier = s.verifier;
        Backend backend = s.backend;
        bytes32 codeHash = verifier.codehash;
        if (codeHash != s.codeHash) revert ShardVerifierCodeChanged(modelId, i, s.codeHash, codeHash);
        bool ok = backend == Backend.Groth16
            ? _callGroth16(verifier, s.selector, proof, publicInputs)
            : _callPlonk(verifier, s.selector, proof, publicInputs);
        if (!ok) revert ShardProofRejected(modelId, i);
    }

    function _selector(Backend backend, uint16 publicInputs) private pure returns (bytes4) {
        return backend == Backend.Groth16
            ? bytes4(keccak256(abi.encodePacked("verifyProof(bytes,uint256[", _decimal(publicInputs), "])")))
            : bytes4(keccak256("Verify(bytes,uint256[])"));
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

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IExitRootOracle} from "../interfaces/IExitRootOracle.sol";

/// @title A verifier of n certificate proofs of one Groth16 key in one call (e.g. CertificateTestBatchVerifier).
interface IBatchCertificateVerifier {
    /// @notice Number of public inputs of one proof (m).
    function PUBLIC_INPUTS() external view returns (uint256);

    /// @notice Whether every proof is valid with its public inputs (proof i's at [i * m, (i + 1) * m)). Must refuse
    /// (revert) a public input that is not below the scalar field's modulus r: the hub relies on it, and a Groth16
    /// check alone would accept x + r wherever x is valid (BatchGroth16 refuses it with PublicInputNotInField).
    function verifyBatch(uint256[8][] calldata proofs, uint256[] calldata publicInputs) external view returns (bool);
}

/// @title Settlement of S certificates in one L1 transaction, without an aggregation proof.
/// @notice The hub that inherits this contract settles a batch of certificates by verifying their certificate
/// proofs (docs/protocol.md §9) in one batched pairing check and checking the cross-chain rules itself, from the
/// proofs' public signals (circuits/CertificateProof.circom, lib/settlement.ts certificatePublicSignals):
///
/// - per slot: the network is active, the sequencer signed (networkId, height, revision, certificateId) and a
///   revision r > 0 carries the layer's signed rejection of r - 1 (its licence), through the hub's hooks;
/// - tip continuity: each network's `tip` is keccak256(abi.encode(stateCommitment, nextHeight)) of its last settled
///   certificate (genesis: the empty-trees commitment, height 0); a slot must start from it, and two slots of one
///   network in one batch follow each other in batch order. Tips are per network, so settling one network never
///   makes a batch of others stale;
/// - every active dependency (networkId, height, certificateId) is exactly another slot of the batch or a leaf of
///   a settled batch (a keccak Merkle proof under `batchRoot[batchId]`), and the exit root the certificate's
///   imports use, when stated (non-zero), is that certificate's newLocalExitRoot. A network settles one
///   certificate per height (the tip), so a leaf or slot for (networkId, height) is the only certificate settled
///   there: a dependency on an equivocated certificate matches neither;
/// - a stated L1 checkpoint (non-zero exit root) is L1's checkpoint of that number (`_l1ExitRoot`);
/// - bundles: the batch's legs, grouped by bundleId, hold every leg 0 .. legCount - 1 of each bundle exactly once,
///   all successful and naming the same participants (each leg's place is the circuit's check);
/// - ONE batched Groth16 verification of all proofs, which refuses any public signal not below the scalar field's
///   modulus (a signal congruent to a valid one is not that signal). The checks above run before it and compare
///   signals as integers: a batch with a non-canonical signal may be refused by one of them first; either way
///   it changes nothing, since every effect comes after the verification.
///
/// Effects: the batch's leaves keccak256(abi.encode(networkId, height, certificateId, newLocalExitRoot)), padded
/// with zero leaves to a power of two, are folded into one keccak Merkle root stored as `batchRoot[batchId]` (one
/// storage word per batch), and each slot's network tip is moved (one storage word per network). Exit roots for
/// the L1 bridge are registered afterwards by anyone who needs them (`registerExitRoot`), who pays that storage.
/// @dev The inheriting hub implements the hooks (`_isActive`, `_isSequencerSignature`, `_isLicensed`,
/// `_l1ExitRoot`) with its registry, EIP-712 domain and L1 bridge, and calls `_initializeTip` when it registers a
/// network. It may override `_verifyCertificateProofs` to verify with an inlined key instead of the verifier
/// contract. Exit-root entry ids are `batchId * 2^32 + index` (>= 2^32: never 0, and a hub that also keeps
/// sequential entries of its own can dispatch `exitRootOf` between them).
abstract contract BatchSettlement is IExitRootOracle {
    // ------------------------------------------------------------------------------------------------ constants

    /// @dev Public signals of a certificate proof before its dependencies: certificateId, slotWord,
    /// prevStateCommitment, newStateCommitment, newLocalExitRoot, checkpoint number, checkpoint exit root.
    uint256 private constant SIG_ID = 0;
    uint256 private constant SIG_SLOT_WORD = 1;
    uint256 private constant SIG_PREV_STATE = 2;
    uint256 private constant SIG_NEW_STATE = 3;
    uint256 private constant SIG_EXIT_ROOT = 4;
    uint256 private constant SIG_CHECKPOINT_NUMBER = 5;
    uint256 private constant SIG_CHECKPOINT_ROOT = 6;
    uint256 private constant HEADER_SIGNALS = 7;
    /// @dev Per dependency: networkId + height * 2^32, certificateId, exit root the imports use (or 0).
    uint256 private constant SIGNALS_PER_DEPENDENCY = 3;
    /// @dev Per bundle leg: bundleId, participants + legIndex * 2^224 + legCount * 2^227 + success * 2^230.
    uint256 private constant SIGNALS_PER_LEG = 2;
    /// @dev The low 96 bits of a slot word: networkId + height * 2^32, a dependency word's layout.
    uint256 private constant DEPENDENCY_WORD_MASK = (1 << 96) - 1;
    /// @dev The three bits of a leg word that hold legIndex.
    uint256 private constant LEG_INDEX_MASK = 7 << 224;

    // ------------------------------------------------------------------------------------------------ types

    /// @notice Where a dependency was settled: `batchId` 0 = slot `index` of this batch; otherwise leaf `index` of
    /// settled batch `batchId`, whose newLocalExitRoot is `exitRoot`, with its Merkle `siblings` (leaf level first).
    struct DependencyLocator {
        uint256 batchId;
        uint256 index;
        uint256 exitRoot;
        bytes32[] siblings;
    }

    /// @notice What a slot carries beyond its proof and public signals: the sequencer's EIP-712 signature of
    /// Certificate(networkId, height, revision, certificateId), the licence (the layer's signature of
    /// Rejection(networkId, height, revision - 1); empty for revision 0), and one locator per active dependency in
    /// the order of the public signals.
    struct SlotAuth {
        bytes signature;
        bytes licence;
        DependencyLocator[] dependencies;
    }

    /// @notice A batch: slot i's proof is `proofs[i]` (snarkjs order, BatchGroth16), its public signals are
    /// `publicSignals[i * m .. (i + 1) * m)` (m = PUBLIC_SIGNALS, circuit order), its authorization `slots[i]`.
    /// The slot's networkId, height and revision are read from its slotWord signal.
    struct Settlement {
        uint256[8][] proofs;
        uint256[] publicSignals;
        SlotAuth[] slots;
    }

    /// @dev An exit-root entry (two storage words, paid by its registrant).
    struct BatchExitRoot {
        uint32 networkId;
        uint256 exitRoot;
    }

    // ------------------------------------------------------------------------------------------------ errors

    /// @notice The constructor's verifier has no code (the zero address included).
    error VerifierNotAContract(address verifier);
    /// @notice The verifier's proofs have `verifierInputs` public inputs; the shape needs `expected`.
    error VerifierShapeMismatch(uint256 expected, uint256 verifierInputs);
    /// @notice `_initializeTip` for a network that already has a tip.
    error TipAlreadyInitialized(uint32 networkId);
    /// @notice A settlement without slots.
    error EmptySettlement();
    /// @notice The numbers of slots, proofs and public signals do not fit (signals must be slots * m).
    error SettlementShapeMismatch(uint256 slots, uint256 proofs, uint256 publicSignals);
    /// @notice The slot's network is not registered or was ejected.
    error NetworkNotActive(uint32 networkId);
    /// @notice The slot's signature is malformed or not by the network's sequencer.
    error InvalidSequencerSignature(uint32 networkId, uint64 height);
    /// @notice A slot of revision > 0 without the layer's signed rejection of revision - 1.
    error UnlicensedRevision(uint32 networkId, uint64 height, uint32 revision);
    /// @notice keccak256(prevStateCommitment, height) is not the network's tip (`expected`): a height gap, a stale
    /// or forged previous state, a replayed certificate, or a second certificate for a settled height.
    error StaleTip(uint32 networkId, uint64 height, bytes32 expected, bytes32 given);
    /// @notice A stated L1 checkpoint that L1 does not have.
    error UnknownCheckpoint(uint256 number);
    /// @notice A stated L1 checkpoint whose exit root is not L1's (`l1ExitRoot`).
    error CheckpointMismatch(uint256 number, uint256 l1ExitRoot, uint256 stated);
    /// @notice Slot `slot` has `active` active dependencies but `locators` locators.
    error LocatorCountMismatch(uint256 slot, uint256 active, uint256 locators);
    /// @notice A dependency of slot `slot` is neither the located slot of the batch nor the located settled leaf.
    error DependencyNotFound(uint256 slot, uint32 networkId, uint64 height, uint256 certificateId);
    /// @notice The exit root slot `slot`'s imports use for a dependency is not its newLocalExitRoot (`exitRoot`).
    error DependencyExitRootMismatch(uint256 slot, uint32 networkId, uint64 height, uint256 exitRoot, uint256 stated);
    /// @notice A bundle leg of the batch did not succeed.
    error BundleLegFailed(uint256 bundleId, uint256 legIndex);
    /// @notice Two legs of one bundle name different participants or leg counts.
    error BundleMismatch(uint256 bundleId);
    /// @notice A bundle leg appears twice in the batch.
    error DuplicateBundleLeg(uint256 bundleId, uint256 legIndex);
    /// @notice Not every leg of the bundle is in the batch.
    error IncompleteBundle(uint256 bundleId, uint256 legCount);
    /// @notice The batched verification of the certificate proofs failed (some proof is invalid).
    error InvalidProof();
    /// @notice The leaf is not under the root of batch `batchId` (or there is no such batch).
    error UnknownLeaf(uint256 batchId, uint256 index);

    // ------------------------------------------------------------------------------------------------ events

    /// @notice Batch `batchId` settled `count` certificates; `root` is the Merkle root of their leaves.
    event BatchSettled(uint256 indexed batchId, bytes32 root, uint256 count);
    /// @notice A certificate was finalized as leaf `index` of batch `batchId`.
    event BatchCertificateFinalized(
        uint32 indexed networkId,
        uint64 height,
        uint256 certificateId,
        uint256 newLocalExitRoot,
        uint256 indexed batchId,
        uint256 index
    );
    /// @notice Leaf `index` of batch `batchId` became exit-root entry `entryId` for the L1 bridge.
    event ExitRootRegistered(
        uint256 indexed entryId, uint32 indexed networkId, uint64 height, uint256 certificateId, uint256 exitRoot
    );

    // ------------------------------------------------------------------------------------------------ state

    /// @notice The batch verifier of the certificate proofs (one key: the certificate circuit's).
    IBatchCertificateVerifier public immutable certificateVerifier;
    /// @notice The state commitment of a network that has never settled (lib/global-state.ts, empty trees).
    uint256 public immutable genesisStateCommitment;
    /// @notice The certificate circuit's number of dependencies (D) and bundle legs (B) per proof.
    uint256 public immutable maxDependencies;
    uint256 public immutable maxBundles;
    /// @notice Public signals per proof: 7 + 3 D + 2 B.
    uint256 public immutable publicSignalsPerProof;
    /// @dev keccak256(abi.encode(genesisStateCommitment, 0)).
    bytes32 private immutable _genesisTip;

    /// @notice keccak256(abi.encode(stateCommitment, nextHeight)) of the network's last settled certificate
    /// (genesis at registration); 0 for a network never registered.
    mapping(uint32 networkId => bytes32) public tip;
    /// @notice The Merkle root of settled batch `batchId` (1, 2, ...); 0 for no such batch.
    mapping(uint256 batchId => bytes32) public batchRoot;
    /// @notice Number of settled batches (the last batch id).
    uint256 public batchCount;

    mapping(uint256 entryId => BatchExitRoot) private _batchExitRoots;

    // ------------------------------------------------------------------------------------------------ construction

    /// @param verifier The certificate key's batch verifier: a contract whose PUBLIC_INPUTS is 7 + 3 D + 2 B.
    /// @param genesisStateCommitment_ The empty-trees state commitment of the hub's tree parameters.
    /// @param maxDependencies_ D of the certificate circuit.
    /// @param maxBundles_ B of the certificate circuit.
    constructor(
        IBatchCertificateVerifier verifier,
        uint256 genesisStateCommitment_,
        uint256 maxDependencies_,
        uint256 maxBundles_
    ) {
        uint256 m = HEADER_SIGNALS + SIGNALS_PER_DEPENDENCY * maxDependencies_ + SIGNALS_PER_LEG * maxBundles_;
        if (address(verifier).code.length == 0) revert VerifierNotAContract(address(verifier));
        uint256 given = verifier.PUBLIC_INPUTS();
        if (given != m) revert VerifierShapeMismatch(m, given);
        certificateVerifier = verifier;
        genesisStateCommitment = genesisStateCommitment_;
        maxDependencies = maxDependencies_;
        maxBundles = maxBundles_;
        publicSignalsPerProof = m;
        _genesisTip = keccak256(abi.encode(genesisStateCommitment_, uint256(0)));
    }

    // ------------------------------------------------------------------------------------------------ settlement

    /// @notice Settles a batch of certificates (see the contract's notice for every check). Anyone may submit it:
    /// the proofs, signatures and licences authenticate it. Nothing in it names the hub's state except each
    /// network's own tip and settled batches, so a batch stays valid while other networks settle.
    /// @return batchId The new batch's id.
    function settleBatch(Settlement calldata s) public virtual returns (uint256 batchId) {
        uint256 count = s.slots.length;
        uint256 m = publicSignalsPerProof;
        if (count == 0) revert EmptySettlement();
        if (s.proofs.length != count || s.publicSignals.length != count * m) {
            revert SettlementShapeMismatch(count, s.proofs.length, s.publicSignals.length);
        }
        uint256[] calldata sig = s.publicSignals;

        // Per slot: its leaf (padded to a power of two for the Merkle fold), its network and its new tip.
        bytes32[] memory leaves = new bytes32[](_ceilPow2(count));
        uint32[] memory networkIds = new uint32[](count);
        bytes32[] memory newTips = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            (uint32 networkId, uint64 height) = _checkSlot(s, i, m, networkIds, newTips);
            leaves[i] = leafHash(networkId, height, sig[i * m + SIG_ID], sig[i * m + SIG_EXIT_ROOT]);
            _checkDependencies(s, i);
        }
        _checkBundles(sig, count, m);
        if (!_verifyCertificateProofs(s.proofs, sig)) revert InvalidProof();

        // Effects.
        batchId = batchCount + 1;
        batchCount = batchId;
        bytes32 root = _merkleRoot(leaves);
        batchRoot[batchId] = root;
        for (uint256 i = 0; i < count; ++i) {
            uint32 networkId = networkIds[i];
            tip[networkId] = newTips[i];
            uint256 at = i * m;
            emit BatchCertificateFinalized(
                networkId, uint64(sig[at + SIG_SLOT_WORD] >> 32), sig[at + SIG_ID], sig[at + SIG_EXIT_ROOT], batchId, i
            );
        }
        emit BatchSettled(batchId, root, count);
    }

    /// @notice Makes leaf `index` of settled batch `batchId` exit-root entry `exitRootEntryId(batchId, index)` for
    /// the L1 bridge (`exitRootOf`). Anyone may call it; the caller pays the entry's storage. Idempotent: a leaf
    /// registered before returns its entry again without an event.
    /// @param siblings The leaf's Merkle proof, leaf level first.
    /// @return entryId batchId * 2^32 + index.
    function registerExitRoot(
        uint256 batchId,
        uint256 index,
        uint32 networkId,
        uint64 height,
        uint256 certificateId,
        uint256 exitRoot,
        bytes32[] calldata siblings
    ) external returns (uint256 entryId) {
        if (!_isSettledLeaf(batchId, index, leafHash(networkId, height, certificateId, exitRoot), siblings)) {
            revert UnknownLeaf(batchId, index);
        }
        entryId = exitRootEntryId(batchId, index);
        BatchExitRoot storage e = _batchExitRoots[entryId];
        if (e.networkId != 0) return entryId;
        e.networkId = networkId;
        e.exitRoot = exitRoot;
        emit ExitRootRegistered(entryId, networkId, height, certificateId, exitRoot);
    }

    // ------------------------------------------------------------------------------------------------ views

    /// @inheritdoc IExitRootOracle
    function exitRootOf(uint256 entryId) public view virtual returns (uint32 networkId, uint256 exitRoot) {
        BatchExitRoot storage e = _batchExitRoots[entryId];
        networkId = e.networkId;
        if (networkId == 0) revert UnknownExitRootEntry(entryId);
        exitRoot = e.exitRoot;
    }

    /// @notice The entry id of leaf `index` of batch `batchId`: batchId * 2^32 + index (index < 2^32).
    function exitRootEntryId(uint256 batchId, uint256 index) public pure returns (uint256) {
        if (index >> 32 != 0) revert UnknownLeaf(batchId, index);
        return (batchId << 32) | index;
    }

    /// @notice A batch leaf: keccak256(abi.encode(networkId, height, certificateId, newLocalExitRoot)).
    function leafHash(uint32 networkId, uint64 height, uint256 certificateId, uint256 newLocalExitRoot)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(networkId, height, certificateId, newLocalExitRoot));
    }

    /// @notice A tip: keccak256(abi.encode(stateCommitment, nextHeight)).
    function tipOf(uint256 stateCommitment, uint64 nextHeight) public pure returns (bytes32) {
        return keccak256(abi.encode(stateCommitment, nextHeight));
    }

    /// @notice Whether leaf `index` of settled batch `batchId` is `leaf` (Merkle proof `siblings`).
    function isSettledLeaf(uint256 batchId, uint256 index, bytes32 leaf, bytes32[] calldata siblings)
        external
        view
        returns (bool)
    {
        return _isSettledLeaf(batchId, index, leaf, siblings);
    }

    // ------------------------------------------------------------------------------------------------ hooks

    /// @notice Whether `networkId` may settle (registered, not ejected).
    function _isActive(uint32 networkId) internal view virtual returns (bool);

    /// @notice Whether `signature` is the network's sequencer's EIP-712 signature of the certificate header.
    function _isSequencerSignature(
        uint32 networkId,
        uint64 height,
        uint32 revision,
        uint256 certificateId,
        bytes calldata signature
    ) internal view virtual returns (bool);

    /// @notice Whether `licence` is the layer's EIP-712 signature of Rejection(networkId, height, revision - 1)
    /// (called for revision > 0 only).
    function _isLicensed(uint32 networkId, uint64 height, uint32 revision, bytes calldata licence)
        internal
        view
        virtual
        returns (bool);

    /// @notice The exit root of L1 checkpoint `number`, or 0 when L1 has no such checkpoint (an exit tree's root is
    /// never 0).
    function _l1ExitRoot(uint256 number) internal view virtual returns (uint256);

    /// @notice Verifies the batch's proofs with the certificate key; by default with `certificateVerifier`.
    /// @dev Called once per batch, after every other check and before any effect; a view (staticcall), so it
    /// cannot re-enter.
    function _verifyCertificateProofs(uint256[8][] calldata proofs, uint256[] calldata publicSignals)
        internal
        view
        virtual
        returns (bool)
    {
        return certificateVerifier.verifyBatch(proofs, publicSignals);
    }

    /// @notice Gives a newly registered network its genesis tip (genesisStateCommitment, height 0). The hub calls
    /// it once per network, when it registers it.
    function _initializeTip(uint32 networkId) internal {
        if (tip[networkId] != bytes32(0)) revert TipAlreadyInitialized(networkId);
        tip[networkId] = _genesisTip;
    }

    // ------------------------------------------------------------------------------------------------ internals

    /// @dev Slot i: network active, signature, licence, L1 checkpoint, tip continuity (from the previous slot of
    /// the same network in this batch, or from storage). Records the slot's network and new tip.
    function _checkSlot(
        Settlement calldata s,
        uint256 i,
        uint256 m,
        uint32[] memory networkIds,
        bytes32[] memory newTips
    ) private view returns (uint32 networkId, uint64 height) {
        uint256[] calldata sig = s.publicSignals;
        uint256 at = i * m;
        (networkId, height) = _checkAuthorization(s.slots[i], sig[at + SIG_SLOT_WORD], sig[at + SIG_ID]);
        _checkCheckpoint(sig[at + SIG_CHECKPOINT_NUMBER], sig[at + SIG_CHECKPOINT_ROOT]);

        bytes32 expected = _currentTip(networkId, i, networkIds, newTips);
        bytes32 given = tipOf(sig[at + SIG_PREV_STATE], height);
        if (given != expected) revert StaleTip(networkId, height, expected, given);
        networkIds[i] = networkId;
        // unchecked: height < 2^64 (uint64), so height + 1 fits in the uint256 it is encoded as.
        unchecked {
            newTips[i] = keccak256(abi.encode(sig[at + SIG_NEW_STATE], uint256(height) + 1));
        }
    }

    /// @dev The slot's network is active, its sequencer signed it, and a revision > 0 is licensed. Returns the
    /// networkId and height of its slot word.
    function _checkAuthorization(SlotAuth calldata auth, uint256 word, uint256 certificateId)
        private
        view
        returns (uint32 networkId, uint64 height)
    {
        // The circuit bounds networkId < 2^32, height < 2^64, revision < 2^32 (an out-of-range word has no valid
        // proof), so the truncations below read the fields exactly.
        networkId = uint32(word);
        height = uint64(word >> 32);
        uint32 revision = uint32(word >> 96);
        if (!_isActive(networkId)) revert NetworkNotActive(networkId);
        if (!_isSequencerSignature(networkId, height, revision, certificateId, auth.signature)) {
            revert InvalidSequencerSignature(networkId, height);
        }
        if (revision != 0 && !_isLicensed(networkId, height, revision, auth.licence)) {
            revert UnlicensedRevision(networkId, height, revision);
        }
    }

    /// @dev A stated checkpoint (non-zero root; (0, 0) states none) must be L1's.
    function _checkCheckpoint(uint256 number, uint256 root) private view {
        if (root == 0) return;
        uint256 l1Root = _l1ExitRoot(number);
        if (l1Root == 0) revert UnknownCheckpoint(number);
        if (l1Root != root) revert CheckpointMismatch(number, l1Root, root);
    }

    /// @dev The network's tip before slot i: the new tip of its latest earlier slot in this batch, else storage.
    function _currentTip(uint32 networkId, uint256 i, uint32[] memory networkIds, bytes32[] memory newTips)
        private
        view
        returns (bytes32)
    {
        for (uint256 j = i; j > 0;) {
            // unchecked: j > 0 (loop condition).
            unchecked {
                --j;
            }
            if (networkIds[j] == networkId) return newTips[j];
        }
        return tip[networkId];
    }

    /// @dev Slot i's active dependencies (non-zero words) against its locators, in order.
    function _checkDependencies(Settlement calldata s, uint256 i) private view {
        // (the calldata array hoisted: most entries are padding, read once each, and a struct member access
        // re-validates the member's offset every time)
        uint256[] calldata sig = s.publicSignals;
        DependencyLocator[] calldata locators = s.slots[i].dependencies;
        uint256 located = locators.length;
        uint256 active = 0;
        uint256 at = i * publicSignalsPerProof + HEADER_SIGNALS;
        uint256 end = at + SIGNALS_PER_DEPENDENCY * maxDependencies;
        for (; at < end; at += SIGNALS_PER_DEPENDENCY) {
            if (sig[at] == 0) continue; // a padded entry (the circuit zeroes all three signals)
            if (active == located) revert LocatorCountMismatch(i, active + 1, located);
            _checkDependency(s, i, at, locators[active]);
            // unchecked: active < located (checked above).
            unchecked {
                ++active;
            }
        }
        if (active != located) revert LocatorCountMismatch(i, active, located);
    }

    /// @dev The dependency at signal `at` of slot i is where `loc` says, and the exit root its imports use (when
    /// stated) is that certificate's newLocalExitRoot.
    function _checkDependency(Settlement calldata s, uint256 i, uint256 at, DependencyLocator calldata loc)
        private
        view
    {
        uint256 word = s.publicSignals[at];
        uint256 exitRoot = _locate(s, i, word, s.publicSignals[at + 1], loc);
        uint256 stated = s.publicSignals[at + 2];
        if (stated != 0 && stated != exitRoot) {
            revert DependencyExitRootMismatch(i, uint32(word), uint64(word >> 32), exitRoot, stated);
        }
    }

    /// @dev The newLocalExitRoot of dependency (word, certificateId) of slot i at `loc`: exactly slot loc.index of
    /// this batch (the same networkId + height * 2^32 and id), or leaf loc.index of settled batch loc.batchId.
    function _locate(
        Settlement calldata s,
        uint256 i,
        uint256 word,
        uint256 certificateId,
        DependencyLocator calldata loc
    ) private view returns (uint256 exitRoot) {
        bool found;
        if (loc.batchId == 0) {
            uint256 j = loc.index;
            if (j < s.slots.length && j != i) {
                uint256[] calldata sig = s.publicSignals;
                uint256 at = j * publicSignalsPerProof;
                found = sig[at + SIG_SLOT_WORD] & DEPENDENCY_WORD_MASK == word && sig[at + SIG_ID] == certificateId;
                exitRoot = sig[at + SIG_EXIT_ROOT];
            }
        } else {
            exitRoot = loc.exitRoot;
            bytes32 leaf = leafHash(uint32(word), uint64(word >> 32), certificateId, exitRoot);
            found = _isSettledLeaf(loc.batchId, loc.index, leaf, loc.siblings);
        }
        if (!found) revert DependencyNotFound(i, uint32(word), uint64(word >> 32), certificateId);
    }

    /// @dev Every leg of the batch succeeded; grouped by bundleId, each bundle's legs agree on participants and leg
    /// count and hold each legIndex < legCount exactly once.
    function _checkBundles(uint256[] calldata sig, uint256 count, uint256 m) private view {
        uint256 bundles = maxBundles;
        uint256[] memory ids = new uint256[](count * bundles);
        uint256[] memory words = new uint256[](count * bundles);
        uint256 legs = 0;
        for (uint256 i = 0; i < count; ++i) {
            uint256 at = i * m + HEADER_SIGNALS + SIGNALS_PER_DEPENDENCY * maxDependencies;
            for (uint256 b = 0; b < bundles; ++b) {
                uint256 word = sig[at + SIGNALS_PER_LEG * b + 1];
                if (word == 0) continue; // a padded leg (an active one has legCount >= 1)
                uint256 bundleId = sig[at + SIGNALS_PER_LEG * b];
                if ((word >> 230) & 1 == 0) revert BundleLegFailed(bundleId, (word >> 224) & 7);
                ids[legs] = bundleId;
                words[legs] = word;
                // unchecked: legs < count * bundles (one per (slot, leg) pair).
                unchecked {
                    ++legs;
                }
            }
        }
        for (uint256 a = 0; a < legs; ++a) {
            uint256 bundleId = ids[a];
            uint256 shape = words[a] & ~LEG_INDEX_MASK;
            uint256 seen = 0;
            for (uint256 b = 0; b < legs; ++b) {
                if (ids[b] != bundleId) continue;
                uint256 word = words[b];
                if (word & ~LEG_INDEX_MASK != shape) revert BundleMismatch(bundleId);
                uint256 bit = 1 << ((word >> 224) & 7);
                if (seen & bit != 0) revert DuplicateBundleLeg(bundleId, (word >> 224) & 7);
                seen |= bit;
            }
            uint256 legCount = (shape >> 227) & 7;
            if (seen != (1 << legCount) - 1) revert IncompleteBundle(bundleId, legCount);
        }
    }

    /// @dev Whether `leaf` is leaf `index` under batchRoot[batchId]: index below 2^siblings.length, the path from
    /// the leaf to the root taking the left/right order from index's bits. A 128-byte leaf preimage can never be
    /// an inner node's 64-byte one, and a settled batch's root is never 0.
    function _isSettledLeaf(uint256 batchId, uint256 index, bytes32 leaf, bytes32[] calldata siblings)
        private
        view
        returns (bool)
    {
        uint256 depth = siblings.length;
        // (a shift by 256 or more gives 0: any index fits such a path, which no root can match anyway)
        if (index >> depth != 0) return false;
        bytes32 root = batchRoot[batchId];
        if (root == bytes32(0)) return false;
        bytes32 node = leaf;
        for (uint256 k = 0; k < depth; ++k) {
            node = (index >> k) & 1 == 0 ? _hashPair(node, siblings[k]) : _hashPair(siblings[k], node);
        }
        return node == root;
    }

    /// @dev The Merkle root of `leaves` (a power-of-two length), folded in place.
    function _merkleRoot(bytes32[] memory leaves) private pure returns (bytes32) {
        for (uint256 width = leaves.length; width > 1; width >>= 1) {
            for (uint256 k = 0; k < width >> 1; ++k) {
                leaves[k] = _hashPair(leaves[2 * k], leaves[2 * k + 1]);
            }
        }
        return leaves[0];
    }

    /// @dev keccak256(abi.encodePacked(left, right)) in the scratch space.
    function _hashPair(bytes32 left, bytes32 right) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            h := keccak256(0x00, 0x40)
        }
    }

    /// @dev The least power of two >= n (n >= 1).
    function _ceilPow2(uint256 n) private pure returns (uint256 p) {
        p = 1;
        while (p < n) p <<= 1;
    }
}

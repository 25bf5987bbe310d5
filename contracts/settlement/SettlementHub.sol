// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IAggregationVerifier} from "../interfaces/IAggregationVerifier.sol";
import {IL1CheckpointSource} from "../interfaces/IL1CheckpointSource.sol";
import {ZeroHashes} from "../libraries/ZeroHashes.sol";
import {BatchSettlement, IBatchCertificateVerifier} from "./BatchSettlement.sol";

/// @title The settlement hub on L1: network registry, global root, aggregated-proof settlement, finalized exit roots.
/// @notice Networks (ids 1 .. 2^networkBits - 1) are registered by the owner with a sequencer and a stake. An epoch
/// is settled with one aggregation proof over up to S certificate slots (docs/protocol.md §9, §10); each slot is
/// authenticated by its sequencer's EIP-712 signature (§5) over (networkId, height, revision, certificateId), and a
/// slot of revision r > 0 by the layer's signed rejection of revision r - 1 at that height (its licence). Every
/// finalized certificate's new local exit root becomes an exit-root entry, and the hub is the L1 bridge's
/// IExitRootOracle: withdrawals to L1 are claimed against these entries. Two signatures of one sequencer for one
/// height and one revision with different ids slash the network's stake (a share to the reporter, the rest burned)
/// and eject the network; a governed readmission gives it a new sequencer from its last finalized state.
/// @dev The owner is meant to be a TimelockController (deploy/l1-layer.ts): every privileged function then takes
/// effect only after a delay users can see (docs/settlement.md lists them). Policy flags are opaque to the hub
/// except bit 0 (`POLICY_DIRECT_SETTLEMENT`): the network has opted out of epochs and may be settled alone with
/// `settleDirect`. See docs/settlement.md.
///
/// The settlement mode is fixed at deployment (`settlementMode`): `Epochs` settles with aggregation proofs moving
/// the global root (`settleEpoch`, `settleDirect`, sequential exit-root entries); `Batches` settles with batched
/// certificate proofs and per-network tips (`settleBatch` and `registerExitRoot` of BatchSettlement, batch
/// exit-root entries). The two keep different state, so a hub offers exactly one of them; the registry, stakes,
/// equivocation reports, readmission and the L1 bridge binding are the same in both.
contract SettlementHub is Ownable2Step, EIP712, ReentrancyGuard, BatchSettlement {
    // ------------------------------------------------------------------------------------------------ constants
    /// @notice Policy bit 0: the network opts out of epochs and may be settled alone (`settleDirect`).
    uint32 public constant POLICY_DIRECT_SETTLEMENT = 1;
    /// @notice EIP-712 type hash of Certificate(uint32 networkId,uint64 height,uint32 revision,bytes32 certificateId).
    bytes32 public constant CERTIFICATE_TYPEHASH =
        keccak256("Certificate(uint32 networkId,uint64 height,uint32 revision,bytes32 certificateId)");
    /// @notice EIP-712 type hash of Rejection(uint32 networkId,uint64 height,uint32 revision): the layer rejected the
    /// network's certificate of that revision at that height, which licenses revision + 1 there.
    bytes32 public constant REJECTION_TYPEHASH = keccak256("Rejection(uint32 networkId,uint64 height,uint32 revision)");
    /// @notice Share of a slashed stake paid to the reporter, in basis points; the rest is burned (kept in the hub
    /// forever: no function can move it), so that manufacturing evidence against oneself does not pay.
    uint256 public constant SLASH_REPORTER_BPS = 1000;
    /// @notice Largest supported depth of the global tree (network ids are uint32).
    uint256 public constant MAX_NETWORK_BITS = 32;

    /// @dev Public inputs before the slots: oldGlobalRoot, newGlobalRoot, l1CheckpointNumber, l1ExitRoot.
    uint256 private constant HEADER_INPUTS = 4;
    /// @dev Public inputs per slot: slotWord, certificateId, newLocalExitRoot.
    uint256 private constant INPUTS_PER_SLOT = 3;

    // ------------------------------------------------------------------------------------------------ types

    /// @notice How the hub settles, fixed at deployment: aggregated epochs (the global root) or batches of
    /// certificate proofs (per-network tips).
    enum SettlementMode {
        Epochs,
        Batches
    }

    /// @notice BatchSettlement's parameters: all zero for `Epochs`; for `Batches` the certificate key's batch
    /// verifier, the empty-trees state commitment of the hub's tree parameters and the certificate circuit's D and B.
    struct BatchParameters {
        IBatchCertificateVerifier certificateVerifier;
        uint256 genesisStateCommitment;
        uint256 maxDependencies;
        uint256 maxBundles;
    }

    /// @notice One certificate of an aggregation: its header, the exit root it finalizes, the sequencer's signature
    /// and, for revision > 0, the licence: the layer signer's EIP-712 signature of Rejection(networkId, height,
    /// revision - 1) (empty for revision 0).
    struct Slot {
        uint32 networkId;
        uint64 height;
        uint32 revision;
        uint256 certificateId;
        uint256 newLocalExitRoot;
        bytes signature;
        bytes licence;
    }

    /// @notice A network as returned by `networks(id)`. `active`: registered and not ejected.
    struct NetworkInfo {
        address sequencer;
        uint256 stake;
        uint32 policyFlags;
        bool active;
        bool ejected;
    }

    /// @notice A finalized exit root and its provenance (the certificate that committed it and the epoch that settled it).
    struct ExitRootEntry {
        uint32 networkId;
        uint64 height;
        uint64 epoch;
        uint256 certificateId;
        uint256 exitRoot;
    }

    /// @dev Storage layout: the first five fields share one slot.
    struct NetworkRecord {
        address sequencer;
        uint32 policyFlags;
        bool registered;
        bool ejected;
        /// @dev 1 + the id of the network's latest exit-root entry; 0 while nothing is finalized.
        uint48 latestEntryPlusOne;
        uint256 stake;
    }

    // ------------------------------------------------------------------------------------------------ errors
    // InvalidSequencerSignature(networkId, height), UnlicensedRevision(networkId, height, revision),
    // UnknownCheckpoint(number) and InvalidProof() are BatchSettlement's: both settlement paths revert with them.

    /// @notice The constructor's networkBits is outside 1..32.
    error InvalidNetworkBits(uint256 networkBits);
    /// @notice A network id of 0 (L1) or not below 2^networkBits.
    error InvalidNetworkId(uint32 networkId);
    error NetworkAlreadyRegistered(uint32 networkId);
    error NetworkNotRegistered(uint32 networkId);
    /// @notice The network was ejected (by the owner or after an equivocation) and can no longer act.
    error NetworkEjected(uint32 networkId);
    /// @notice `releaseStake` on a network that is not ejected.
    error NetworkNotEjected(uint32 networkId);
    error ZeroAddress();
    /// @notice `addStake` without value.
    error ZeroValue();
    /// @notice A verifier for a slot capacity of 0.
    error InvalidSlotCapacity(uint256 slotCapacity);
    /// @notice A verifier (or bridge) address without code.
    error NotAContract(address account);
    error L1BridgeAlreadyBound(address bridge);
    /// @notice The bridge is not network 0's or does not use this hub as its oracle.
    error NotAnL1Bridge(address bridge);
    error L1BridgeNotBound();
    /// @notice No slots, or more slots than the capacity.
    error SlotCountOutOfRange(uint256 count, uint256 slotCapacity);
    error NoVerifier(uint256 slotCapacity);
    /// @notice The settlement does not start from the current global root (e.g. it was already settled).
    error StaleGlobalRoot(uint256 expected, uint256 given);
    /// @notice A public input is not below the BN254 field modulus.
    error NotFieldElement(uint256 value);
    /// @notice `settleDirect` for a network without the direct-settlement policy bit.
    error NotOptOut(uint32 networkId);
    /// @notice An equivocation report with two identical certificate ids.
    error NotAnEquivocation();
    error StakeTransferFailed(address to, uint256 amount);
    /// @notice `readmitNetwork` on a network that is not ejected.
    error NetworkNotEjectedForReadmission(uint32 networkId);
    /// @notice A development-keys verifier on a hub not deployed for development.
    error DevelopmentVerifier(address verifier);
    /// @notice `setVerifiers` with lists of different lengths, or a slot capacity given twice.
    error BadVerifierSet();
    /// @notice A settlement of the mode `required` on a hub deployed in the other mode (`settlementMode`).
    error WrongSettlementMode(SettlementMode required, SettlementMode mode);
    /// @notice The constructor's batch parameters do not fit the mode: a verifier for `Epochs`, none for `Batches`.
    error BatchParametersMismatch(SettlementMode mode);

    // ------------------------------------------------------------------------------------------------ events

    event NetworkRegistered(uint32 indexed networkId, address sequencer, uint32 policyFlags, uint256 stake);
    event SequencerChanged(uint32 indexed networkId, address previousSequencer, address newSequencer);
    event StakeAdded(uint32 indexed networkId, address indexed from, uint256 amount, uint256 stake);
    /// @notice The network was ejected, by the owner or (`by` = the reporter) after an equivocation.
    event Ejected(uint32 indexed networkId, address indexed by);
    event StakeReleased(uint32 indexed networkId, address indexed to, uint256 amount);
    event VerifierSet(uint256 indexed slotCapacity, address previousVerifier, address newVerifier);
    /// @notice The verifier of `slotCapacity` was retired by a new verifier set that does not keep it.
    event VerifierRetired(uint256 indexed slotCapacity, address verifier);
    event LayerSignerChanged(address previousSigner, address newSigner);
    /// @notice An ejected network was readmitted with a new sequencer; it continues from its last finalized state.
    event NetworkReadmitted(uint32 indexed networkId, address sequencer, uint256 stake);
    event L1BridgeBound(address indexed bridge);
    /// @notice Settlement number `epoch` (1, 2, ...) moved the global root; `slotCount` slots were finalized.
    event EpochSettled(
        uint256 indexed epoch, uint256 oldGlobalRoot, uint256 newGlobalRoot, uint256 l1CheckpointNumber, uint256 slotCount
    );
    /// @notice A certificate was finalized; its exit root is exit-root entry `exitRootEntry`.
    event CertificateFinalized(
        uint32 indexed networkId,
        uint64 height,
        uint256 certificateId,
        uint256 newLocalExitRoot,
        uint256 exitRootEntry,
        uint256 epoch
    );
    /// @notice `slashed` = `reward` (to the reporter) + the burned rest.
    event EquivocationReported(
        uint32 indexed networkId,
        uint64 height,
        uint32 revision,
        uint256 idA,
        uint256 idB,
        address indexed reporter,
        uint256 slashed,
        uint256 reward
    );

    // ------------------------------------------------------------------------------------------------ state

    /// @notice Depth of the global tree; network ids are below 2^networkBits.
    uint8 public immutable networkBits;
    /// @notice How the hub settles (fixed at deployment): `Epochs` (settleEpoch, settleDirect) or `Batches`
    /// (settleBatch).
    SettlementMode public immutable settlementMode;
    /// @notice The L1 UnifiedBridge whose exit-root checkpoints epochs and batches bind (set once, after deployment).
    IL1CheckpointSource public l1Bridge;
    /// @notice The current global root (§8). Initially the root of the empty tree, zero(networkBits).
    uint256 public globalRoot;
    /// @notice Number of settlements so far (the last settled epoch; 0 = genesis).
    uint256 public epoch;
    /// @notice slotCapacity => aggregation verifier for that many slots (only the current set, see setVerifiers).
    mapping(uint256 => IAggregationVerifier) public verifiers;
    /// @notice Whether the hub accepts verifiers of development keys (public trapdoor): devnets and tests only.
    bool public immutable developmentMode;
    /// @notice The layer's key that signs rejections (licences for the next revision of a height).
    address public layerSigner;
    /// @notice Slashed stake burned so far (held here forever).
    uint256 public burnedStake;
    /// @dev The slot capacities of the current verifier set.
    uint256[] private _capacities;

    mapping(uint32 => NetworkRecord) private _networks;
    ExitRootEntry[] private _entries;

    // ------------------------------------------------------------------------------------------------ construction

    /// @param initialOwner The admin (registry, verifiers, bridge binding); transferred with Ownable2Step, meant to
    /// end with a TimelockController.
    /// @param networkBits_ Depth of the global tree, 1..32 (production 32); must equal the aggregation circuit's.
    /// @param layerSigner_ The layer's rejection-signing key (the coordinator's).
    /// @param developmentMode_ Accept verifiers of development keys (their trapdoor is public): devnets and tests.
    /// @param mode_ `Epochs` (the aggregated settlement) or `Batches` (BatchSettlement), for the hub's lifetime.
    /// @param batches_ BatchSettlement's parameters: all zero for `Epochs`, a verifier for `Batches`.
    constructor(
        address initialOwner,
        uint8 networkBits_,
        address layerSigner_,
        bool developmentMode_,
        SettlementMode mode_,
        BatchParameters memory batches_
    )
        Ownable(initialOwner)
        EIP712("AggregationLayer", "1")
        BatchSettlement(
            batches_.certificateVerifier,
            batches_.genesisStateCommitment,
            batches_.maxDependencies,
            batches_.maxBundles
        )
    {
        if (networkBits_ == 0 || networkBits_ > MAX_NETWORK_BITS) revert InvalidNetworkBits(networkBits_);
        if (layerSigner_ == address(0)) revert ZeroAddress();
        bool batches = mode_ == SettlementMode.Batches;
        if (
            batches != (address(batches_.certificateVerifier) != address(0))
                || (!batches
                    && (batches_.genesisStateCommitment | batches_.maxDependencies | batches_.maxBundles) != 0)
        ) revert BatchParametersMismatch(mode_);
        networkBits = networkBits_;
        settlementMode = mode_;
        globalRoot = ZeroHashes.zero(networkBits_);
        layerSigner = layerSigner_;
        developmentMode = developmentMode_;
    }

    // ------------------------------------------------------------------------------------------------ admin

    /// @notice Registers network `networkId` with its sequencer and policy flags; msg.value is its stake. In
    /// `Batches` mode the network's tip becomes the genesis one (genesisStateCommitment, height 0).
    /// @param networkId 1 .. 2^networkBits - 1, never registered before (also not after an ejection).
    /// @param sequencer The key that signs the network's certificates (non-zero).
    /// @param policyFlags Opaque policy bits; bit 0 = direct settlement (opt-out of epochs).
    function registerNetwork(uint32 networkId, address sequencer, uint32 policyFlags) external payable onlyOwner {
        if (networkId == 0 || uint256(networkId) >> networkBits != 0) revert InvalidNetworkId(networkId);
        if (sequencer == address(0)) revert ZeroAddress();
        NetworkRecord storage n = _networks[networkId];
        if (n.registered) revert NetworkAlreadyRegistered(networkId);
        n.sequencer = sequencer;
        n.policyFlags = policyFlags;
        n.registered = true;
        n.stake = msg.value;
        if (settlementMode == SettlementMode.Batches) _initializeTip(networkId);
        emit NetworkRegistered(networkId, sequencer, policyFlags, msg.value);
    }

    /// @notice Replaces the sequencer of an active network. Signatures by the previous key stop being accepted,
    /// including for certificates not yet settled and as equivocation evidence.
    function setSequencer(uint32 networkId, address sequencer) external onlyOwner {
        if (sequencer == address(0)) revert ZeroAddress();
        NetworkRecord storage n = _activeNetwork(networkId);
        address previous = n.sequencer;
        n.sequencer = sequencer;
        emit SequencerChanged(networkId, previous, sequencer);
    }

    /// @notice Ejects an active network (e.g. after repeated invalid or missing proofs): it can no longer settle.
    /// Its finalized exit roots stay valid for withdrawals; its stake stays in the hub until `releaseStake`.
    function ejectNetwork(uint32 networkId) external onlyOwner {
        NetworkRecord storage n = _activeNetwork(networkId);
        n.ejected = true;
        emit Ejected(networkId, msg.sender);
    }

    /// @notice Sends the remaining stake of an ejected network to `to` (the owner's decision: refund or otherwise).
    /// @dev Reverts with StakeTransferFailed if `to` rejects ETH.
    function releaseStake(uint32 networkId, address payable to) external onlyOwner nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        NetworkRecord storage n = _networks[networkId];
        if (!n.registered) revert NetworkNotRegistered(networkId);
        if (!n.ejected) revert NetworkNotEjected(networkId);
        uint256 amount = n.stake;
        n.stake = 0;
        emit StakeReleased(networkId, to, amount);
        _sendEth(to, amount);
    }

    /// @notice Replaces the whole verifier set: afterwards exactly `capacities[i]` has `verifiers_[i]`, and every
    /// verifier of the previous set is retired (a settlement can only name a capacity of the current set).
    /// @dev Reverts DevelopmentVerifier for a verifier of development keys unless the hub was deployed for
    /// development, NotAContract, InvalidSlotCapacity (0), BadVerifierSet (lengths differ, a capacity twice).
    function setVerifiers(uint256[] calldata capacities, IAggregationVerifier[] calldata verifiers_) external onlyOwner {
        if (capacities.length != verifiers_.length) revert BadVerifierSet();
        for (uint256 i = 0; i < verifiers_.length; ++i) {
            address v = address(verifiers_[i]);
            if (capacities[i] == 0) revert InvalidSlotCapacity(0);
            if (v.code.length == 0) revert NotAContract(v);
            if (!developmentMode && verifiers_[i].developmentKeys()) revert DevelopmentVerifier(v);
            for (uint256 j = 0; j < i; ++j) {
                if (capacities[j] == capacities[i]) revert BadVerifierSet();
            }
        }
        uint256[] memory old = _capacities;
        for (uint256 i = 0; i < old.length; ++i) {
            address previous = address(verifiers[old[i]]);
            delete verifiers[old[i]];
            emit VerifierRetired(old[i], previous);
        }
        _capacities = capacities;
        for (uint256 i = 0; i < capacities.length; ++i) {
            verifiers[capacities[i]] = verifiers_[i];
            emit VerifierSet(capacities[i], address(0), address(verifiers_[i]));
        }
    }

    /// @notice The slot capacities of the current verifier set.
    function verifierCapacities() external view returns (uint256[] memory) {
        return _capacities;
    }

    /// @notice Replaces the layer's rejection-signing key: licences signed by the previous key stop being accepted.
    function setLayerSigner(address signer) external onlyOwner {
        if (signer == address(0)) revert ZeroAddress();
        address previous = layerSigner;
        layerSigner = signer;
        emit LayerSignerChanged(previous, signer);
    }

    /// @notice Readmits an ejected network with a new sequencer (msg.value adds to its stake). It continues from its
    /// last finalized state: its global-tree leaf (`Epochs`) or its tip (`Batches`, kept through the ejection),
    /// height and history are what the hub finalized; nothing of what it signed before counts (only the registered
    /// sequencer's signatures are evidence or settle).
    function readmitNetwork(uint32 networkId, address sequencer) external payable onlyOwner {
        if (sequencer == address(0)) revert ZeroAddress();
        NetworkRecord storage n = _networks[networkId];
        if (!n.registered) revert NetworkNotRegistered(networkId);
        if (!n.ejected) revert NetworkNotEjectedForReadmission(networkId);
        address previous = n.sequencer;
        n.sequencer = sequencer;
        n.ejected = false;
        uint256 stake = n.stake + msg.value;
        n.stake = stake;
        emit SequencerChanged(networkId, previous, sequencer);
        emit NetworkReadmitted(networkId, sequencer, stake);
    }

    /// @notice Binds the L1 UnifiedBridge (network 0, constructed with this hub as its oracle). Once only: the
    /// bridge is deployed after the hub because its constructor takes the hub.
    function bindL1Bridge(address bridge) external onlyOwner {
        if (address(l1Bridge) != address(0)) revert L1BridgeAlreadyBound(address(l1Bridge));
        if (bridge == address(0)) revert ZeroAddress();
        if (bridge.code.length == 0) revert NotAContract(bridge);
        IL1CheckpointSource b = IL1CheckpointSource(bridge);
        if (b.networkId() != 0 || b.oracle() != address(this)) revert NotAnL1Bridge(bridge);
        l1Bridge = b;
        emit L1BridgeBound(bridge);
    }

    // ------------------------------------------------------------------------------------------------ stake

    /// @notice Adds msg.value to the stake of an active network. Anyone may call it.
    function addStake(uint32 networkId) external payable {
        if (msg.value == 0) revert ZeroValue();
        NetworkRecord storage n = _activeNetwork(networkId);
        uint256 stake = n.stake + msg.value;
        n.stake = stake;
        emit StakeAdded(networkId, msg.sender, msg.value, stake);
    }

    // ------------------------------------------------------------------------------------------------ settlement

    /// @notice Settles an epoch: verifies the aggregation proof for `slots` (padded to `slotCapacity`) moving the
    /// global root from `oldGlobalRoot` to `newGlobalRoot` against L1 checkpoint `l1CheckpointNumber`, and finalizes
    /// every slot's exit root as a new exit-root entry. Anyone may submit it: the proof and the sequencers'
    /// signatures authenticate it. `Epochs` mode only (else WrongSettlementMode).
    /// @dev Checks, in order: the mode (WrongSettlementMode), slot count (SlotCountOutOfRange), verifier
    /// (NoVerifier), old root (StaleGlobalRoot), per slot: network registered and active (NetworkNotRegistered,
    /// NetworkEjected) and signature (InvalidSequencerSignature); then the L1 bridge and checkpoint
    /// (L1BridgeNotBound, UnknownCheckpoint), the public inputs' range (NotFieldElement) and the proof (InvalidProof).
    /// @param proof The Groth16 proof, as the verifier takes it.
    /// @param slotCapacity S: selects the verifier; unused slots are zero public inputs.
    /// @param oldGlobalRoot Must equal `globalRoot`.
    /// @param newGlobalRoot The global root after the epoch.
    /// @param l1CheckpointNumber The L1 exit-root checkpoint the proof binds (an existing one, usually the latest).
    /// @param slots 1..S certificates in the circuit's order.
    function settleEpoch(
        uint256[8] calldata proof,
        uint256 slotCapacity,
        uint256 oldGlobalRoot,
        uint256 newGlobalRoot,
        uint256 l1CheckpointNumber,
        Slot[] calldata slots
    ) external {
        _requireMode(SettlementMode.Epochs);
        uint256 count = slots.length;
        if (count == 0 || count > slotCapacity) revert SlotCountOutOfRange(count, slotCapacity);
        IAggregationVerifier verifier = _verifierFor(slotCapacity);
        _checkGlobalRoot(oldGlobalRoot);
        for (uint256 i = 0; i < count; ++i) {
            _checkSlot(slots[i]);
        }
        uint256[] memory inputs = _headerInputs(
            slotCapacity, oldGlobalRoot, newGlobalRoot, l1CheckpointNumber, _epochCheckpointRoot(l1CheckpointNumber)
        );
        for (uint256 i = 0; i < count; ++i) {
            _writeSlotInputs(inputs, i, slots[i]);
        }
        if (!verifier.verifyProof(proof, inputs)) revert InvalidProof();

        uint256 settled = _advance(oldGlobalRoot, newGlobalRoot, l1CheckpointNumber, count);
        for (uint256 i = 0; i < count; ++i) {
            _finalize(slots[i], settled);
        }
    }

    /// @notice Settles one certificate of a network that opted out of epochs (policy bit 0) with the
    /// one-slot verifier. Otherwise exactly `settleEpoch` with `slotCapacity = 1`; anyone may submit it. `Epochs`
    /// mode only (else WrongSettlementMode).
    function settleDirect(
        uint256[8] calldata proof,
        uint256 oldGlobalRoot,
        uint256 newGlobalRoot,
        uint256 l1CheckpointNumber,
        Slot calldata slot
    ) external {
        _requireMode(SettlementMode.Epochs);
        IAggregationVerifier verifier = _verifierFor(1);
        _checkGlobalRoot(oldGlobalRoot);
        NetworkRecord storage n = _checkSlot(slot);
        if (n.policyFlags & POLICY_DIRECT_SETTLEMENT == 0) revert NotOptOut(slot.networkId);
        uint256[] memory inputs = _headerInputs(
            1, oldGlobalRoot, newGlobalRoot, l1CheckpointNumber, _epochCheckpointRoot(l1CheckpointNumber)
        );
        _writeSlotInputs(inputs, 0, slot);
        if (!verifier.verifyProof(proof, inputs)) revert InvalidProof();

        uint256 settled = _advance(oldGlobalRoot, newGlobalRoot, l1CheckpointNumber, 1);
        _finalize(slot, settled);
    }

    /// @notice Settles a batch of certificates with their certificate proofs (BatchSettlement.settleBatch: every
    /// check and effect is there). `Batches` mode only (else WrongSettlementMode).
    function settleBatch(Settlement calldata s) public override returns (uint256 batchId) {
        _requireMode(SettlementMode.Batches);
        return super.settleBatch(s);
    }

    // ------------------------------------------------------------------------------------------------ equivocation

    /// @notice Proves that the sequencer of `networkId` signed two different certificate ids for one `height` and one
    /// `revision`: the network is ejected and its stake slashed, SLASH_REPORTER_BPS of it to the caller and the rest
    /// burned. A rebuild after the layer's rejection carries the next revision, so an honest chain never signs two
    /// ids for one (height, revision): only live certificates for one height are evidence.
    /// @dev The reward is pushed: a caller that rejects ETH makes the report revert (StakeTransferFailed); report
    /// from an account that accepts ETH. Reverts: NetworkNotRegistered, NetworkEjected, NotAnEquivocation (same
    /// ids), InvalidSequencerSignature (either signature malformed or not by the registered sequencer).
    function reportEquivocation(
        uint32 networkId,
        uint64 height,
        uint32 revision,
        uint256 idA,
        bytes calldata sigA,
        uint256 idB,
        bytes calldata sigB
    ) external nonReentrant {
        NetworkRecord storage n = _activeNetwork(networkId);
        if (idA == idB) revert NotAnEquivocation();
        address sequencer = n.sequencer;
        if (!_signedBy(sequencer, networkId, height, revision, idA, sigA)) {
            revert InvalidSequencerSignature(networkId, height);
        }
        if (!_signedBy(sequencer, networkId, height, revision, idB, sigB)) {
            revert InvalidSequencerSignature(networkId, height);
        }

        uint256 slashed = n.stake;
        uint256 reward = slashed * SLASH_REPORTER_BPS / 10_000;
        n.stake = 0;
        n.ejected = true;
        burnedStake += slashed - reward;
        emit Ejected(networkId, msg.sender);
        emit EquivocationReported(networkId, height, revision, idA, idB, msg.sender, slashed, reward);
        _sendEth(msg.sender, reward);
    }

    // ------------------------------------------------------------------------------------------------ views

    /// @notice The network and exit root of entry `entryId` (IExitRootOracle, for the L1 bridge): in `Epochs` mode
    /// the sequential entries of settled epochs (0, 1, ...), in `Batches` mode the registered batch entries
    /// (`registerExitRoot`, ids batchId * 2^32 + index). Reverts UnknownExitRootEntry for any other id.
    function exitRootOf(uint256 entryId) public view override returns (uint32 networkId, uint256 exitRoot) {
        if (settlementMode == SettlementMode.Batches) return super.exitRootOf(entryId);
        if (entryId >= _entries.length) revert UnknownExitRootEntry(entryId);
        ExitRootEntry storage e = _entries[entryId];
        return (e.networkId, e.exitRoot);
    }

    /// @notice Exit-root entry `entryId` of a settled epoch with its provenance (`Epochs` mode; a batch entry's
    /// provenance is its ExitRootRegistered event).
    function exitRootEntry(uint256 entryId) external view returns (ExitRootEntry memory) {
        if (entryId >= _entries.length) revert UnknownExitRootEntry(entryId);
        return _entries[entryId];
    }

    /// @notice Number of exit-root entries of settled epochs (finalized certificates) so far; 0 in `Batches` mode.
    function exitRootEntryCount() external view returns (uint256) {
        return _entries.length;
    }

    /// @notice Network `networkId`: sequencer, stake, policy flags, active (registered, not ejected), ejected.
    function networks(uint32 networkId) external view returns (NetworkInfo memory) {
        NetworkRecord storage n = _networks[networkId];
        return NetworkInfo(n.sequencer, n.stake, n.policyFlags, n.registered && !n.ejected, n.ejected);
    }

    /// @notice The latest certificate of `networkId` finalized by an epoch (finalized = false if there is none yet,
    /// and always in `Batches` mode: there the network's progress is its `tip`).
    /// @return finalized Whether any certificate of the network was finalized.
    /// @return height Its height.
    /// @return certificateId Its id.
    /// @return exitRoot Its new local exit root.
    /// @return entryId Its exit-root entry.
    function latestFinalized(uint32 networkId)
        external
        view
        returns (bool finalized, uint64 height, uint256 certificateId, uint256 exitRoot, uint256 entryId)
    {
        uint256 plusOne = _networks[networkId].latestEntryPlusOne;
        if (plusOne == 0) return (false, 0, 0, 0, 0);
        entryId = plusOne - 1;
        ExitRootEntry storage e = _entries[entryId];
        return (true, e.height, e.certificateId, e.exitRoot, entryId);
    }

    /// @notice The EIP-712 digest the sequencer of `networkId` signs for a certificate header (§5).
    function headerDigest(uint32 networkId, uint64 height, uint32 revision, uint256 certificateId)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(CERTIFICATE_TYPEHASH, networkId, height, revision, bytes32(certificateId)))
        );
    }

    /// @notice The EIP-712 digest the layer signer signs to reject revision `revision` of a height (§5).
    function rejectionDigest(uint32 networkId, uint64 height, uint32 revision) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(REJECTION_TYPEHASH, networkId, height, revision)));
    }

    /// @notice Whether `signature` is a well-formed signature of the header by the currently registered sequencer.
    function isSequencerSignature(
        uint32 networkId,
        uint64 height,
        uint32 revision,
        uint256 certificateId,
        bytes calldata signature
    ) external view returns (bool) {
        address sequencer = _networks[networkId].sequencer;
        return sequencer != address(0) && _signedBy(sequencer, networkId, height, revision, certificateId, signature);
    }

    /// @notice The public inputs `settleEpoch` passes to the verifier, for a given L1 exit root (for provers and
    /// tests). Reverts NotFieldElement / SlotCountOutOfRange like the settlement would; signatures are ignored.
    function publicInputs(
        uint256 slotCapacity,
        uint256 oldGlobalRoot,
        uint256 newGlobalRoot,
        uint256 l1CheckpointNumber,
        uint256 l1ExitRoot,
        Slot[] calldata slots
    ) external pure returns (uint256[] memory inputs) {
        if (slots.length == 0 || slots.length > slotCapacity) revert SlotCountOutOfRange(slots.length, slotCapacity);
        inputs = _headerInputs(slotCapacity, oldGlobalRoot, newGlobalRoot, l1CheckpointNumber, l1ExitRoot);
        for (uint256 i = 0; i < slots.length; ++i) {
            _writeSlotInputs(inputs, i, slots[i]);
        }
    }

    // ------------------------------------------------------------------------------------------------ internals

    function _activeNetwork(uint32 networkId) private view returns (NetworkRecord storage n) {
        n = _networks[networkId];
        if (!n.registered) revert NetworkNotRegistered(networkId);
        if (n.ejected) revert NetworkEjected(networkId);
    }

    function _verifierFor(uint256 slotCapacity) private view returns (IAggregationVerifier verifier) {
        verifier = verifiers[slotCapacity];
        if (address(verifier) == address(0)) revert NoVerifier(slotCapacity);
    }

    function _checkGlobalRoot(uint256 oldGlobalRoot) private view {
        uint256 current = globalRoot;
        if (oldGlobalRoot != current) revert StaleGlobalRoot(current, oldGlobalRoot);
    }

    function _requireMode(SettlementMode required) private view {
        SettlementMode mode = settlementMode;
        if (mode != required) revert WrongSettlementMode(required, mode);
    }

    /// @dev The slot's network is active, the slot is signed by its sequencer, and a revision > 0 is licensed by the
    /// layer's signed rejection of the previous revision at that height.
    function _checkSlot(Slot calldata s) private view returns (NetworkRecord storage n) {
        n = _activeNetwork(s.networkId);
        if (!_signedBy(n.sequencer, s.networkId, s.height, s.revision, s.certificateId, s.signature)) {
            revert InvalidSequencerSignature(s.networkId, s.height);
        }
        if (s.revision > 0 && !_isLicensed(s.networkId, s.height, s.revision, s.licence)) {
            revert UnlicensedRevision(s.networkId, s.height, s.revision);
        }
    }

    function _signedBy(
        address sequencer,
        uint32 networkId,
        uint64 height,
        uint32 revision,
        uint256 certificateId,
        bytes calldata signature
    ) private view returns (bool) {
        return _signedDigest(sequencer, headerDigest(networkId, height, revision, certificateId), signature);
    }

    /// @dev ECDSA.tryRecoverCalldata rejects signatures that are not 65 bytes, have a high s or a v other than
    /// 27/28, and returns address(0) for unrecoverable ones; a registered signer is never address(0).
    function _signedDigest(address signer, bytes32 digest, bytes calldata signature) private pure returns (bool) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        return err == ECDSA.RecoverError.NoError && recovered == signer;
    }

    /// @dev The root of L1 checkpoint `number` from the bound bridge, for an epoch (which always binds one).
    function _epochCheckpointRoot(uint256 number) private view returns (uint256 root) {
        IL1CheckpointSource bridge = _boundL1Bridge();
        if (number >= bridge.checkpointCount()) revert UnknownCheckpoint(number);
        (root,) = bridge.checkpoint(number);
    }

    function _boundL1Bridge() private view returns (IL1CheckpointSource bridge) {
        bridge = l1Bridge;
        if (address(bridge) == address(0)) revert L1BridgeNotBound();
    }

    // ---------------------------------------------------------------------------------------- BatchSettlement hooks

    /// @dev Registered and not ejected.
    function _isActive(uint32 networkId) internal view override returns (bool) {
        NetworkRecord storage n = _networks[networkId];
        return n.registered && !n.ejected;
    }

    /// @dev The registered sequencer's EIP-712 signature of the header (`headerDigest`), as `settleEpoch` checks it.
    function _isSequencerSignature(
        uint32 networkId,
        uint64 height,
        uint32 revision,
        uint256 certificateId,
        bytes calldata signature
    ) internal view override returns (bool) {
        address sequencer = _networks[networkId].sequencer;
        return sequencer != address(0) && _signedBy(sequencer, networkId, height, revision, certificateId, signature);
    }

    /// @dev The layer signer's EIP-712 signature of Rejection(networkId, height, revision - 1) (`rejectionDigest`).
    function _isLicensed(uint32 networkId, uint64 height, uint32 revision, bytes calldata licence)
        internal
        view
        override
        returns (bool)
    {
        return _signedDigest(layerSigner, rejectionDigest(networkId, height, revision - 1), licence);
    }

    /// @dev The bound L1 bridge's checkpoint `number` (as `settleEpoch` reads it), 0 when the bridge has none;
    /// L1BridgeNotBound before the bridge is bound.
    function _l1ExitRoot(uint256 number) internal view override returns (uint256 root) {
        IL1CheckpointSource bridge = _boundL1Bridge();
        if (number < bridge.checkpointCount()) (root,) = bridge.checkpoint(number);
    }

    /// @dev A zeroed array of 3 * slotCapacity + 4 inputs with the four header inputs set.
    function _headerInputs(
        uint256 slotCapacity,
        uint256 oldGlobalRoot,
        uint256 newGlobalRoot,
        uint256 l1CheckpointNumber,
        uint256 l1ExitRoot
    ) private pure returns (uint256[] memory inputs) {
        inputs = new uint256[](HEADER_INPUTS + INPUTS_PER_SLOT * slotCapacity);
        inputs[0] = _field(oldGlobalRoot);
        inputs[1] = _field(newGlobalRoot);
        inputs[2] = _field(l1CheckpointNumber);
        inputs[3] = _field(l1ExitRoot);
    }

    /// @dev Slot i's inputs: slotWord = networkId + height * 2^32 + revision * 2^96 (< 2^128, always a field
    /// element), certificateId, newLocalExitRoot.
    function _writeSlotInputs(uint256[] memory inputs, uint256 i, Slot calldata s) private pure {
        uint256 at = HEADER_INPUTS + INPUTS_PER_SLOT * i;
        inputs[at] = uint256(s.networkId) | (uint256(s.height) << 32) | (uint256(s.revision) << 96);
        inputs[at + 1] = _field(s.certificateId);
        inputs[at + 2] = _field(s.newLocalExitRoot);
    }

    function _field(uint256 x) private pure returns (uint256) {
        if (x >= FIELD_MODULUS) revert NotFieldElement(x);
        return x;
    }

    /// @dev Moves the global root and the epoch counter; returns the new epoch number.
    function _advance(uint256 oldGlobalRoot, uint256 newGlobalRoot, uint256 l1CheckpointNumber, uint256 count)
        private
        returns (uint256 settled)
    {
        globalRoot = newGlobalRoot;
        settled = epoch + 1;
        epoch = settled;
        emit EpochSettled(settled, oldGlobalRoot, newGlobalRoot, l1CheckpointNumber, count);
    }

    /// @dev Appends the slot's exit root as a new entry and makes it the network's latest finalized certificate.
    function _finalize(Slot calldata s, uint256 settled) private {
        uint256 entryId = _entries.length;
        _entries.push(ExitRootEntry(s.networkId, s.height, SafeCast.toUint64(settled), s.certificateId, s.newLocalExitRoot));
        _networks[s.networkId].latestEntryPlusOne = SafeCast.toUint48(entryId + 1);
        emit CertificateFinalized(s.networkId, s.height, s.certificateId, s.newLocalExitRoot, entryId, settled);
    }

    function _sendEth(address to, uint256 amount) private {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert StakeTransferFailed(to, amount);
    }
}

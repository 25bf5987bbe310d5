// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IL1CheckpointSource} from "../interfaces/IL1CheckpointSource.sol";
import {BatchSettlement, IBatchCertificateVerifier} from "./BatchSettlement.sol";

/// @title The settlement hub on L1: network registry, stakes, batched settlement, finalized exit roots.
/// @notice Networks (ids 1 .. 2^networkBits - 1) are registered by the owner with a sequencer and a stake. Their
/// certificates settle in batches (BatchSettlement.settleBatch, docs/protocol.md §9 "Batched settlement"): the
/// certificate proofs of a batch are verified in one pairing check and the cross-chain rules are checked here, from
/// their public signals. Each slot is authenticated by its sequencer's EIP-712 signature (§5) over (networkId,
/// height, revision, certificateId), and a slot of revision r > 0 by the layer's signed rejection of revision r - 1
/// at that height (its licence). A settled batch's leaves become exit-root entries on demand (registerExitRoot), and
/// the hub is the L1 bridge's IExitRootOracle: withdrawals to L1 are claimed against these entries. Two signatures of
/// one sequencer for one height and one revision with different ids slash the network's stake (a share to the
/// reporter, the rest burned) and eject the network; a governed readmission gives it a new sequencer from its last
/// settled state (its tip).
/// @dev The owner is meant to be a TimelockController (deploy/governance.ts): every privileged function then takes
/// effect only after a delay users can see (docs/settlement.md lists them). Policy flags are opaque to the hub (bit
/// 0, opt-out, is the coordinator's and the chain clients' convention: such a chain settles its own batches of one).
/// See docs/settlement.md.
contract SettlementHub is Ownable2Step, EIP712, ReentrancyGuard, BatchSettlement {
    // ------------------------------------------------------------------------------------------------ constants

    /// @notice EIP-712 type hash of Certificate(uint32 networkId,uint64 height,uint32 revision,bytes32 certificateId).
    bytes32 public constant CERTIFICATE_TYPEHASH =
        keccak256("Certificate(uint32 networkId,uint64 height,uint32 revision,bytes32 certificateId)");
    /// @notice EIP-712 type hash of Rejection(uint32 networkId,uint64 height,uint32 revision): the layer rejected the
    /// network's certificate of that revision at that height, which licenses revision + 1 there.
    bytes32 public constant REJECTION_TYPEHASH = keccak256("Rejection(uint32 networkId,uint64 height,uint32 revision)");
    /// @notice Share of a slashed stake paid to the reporter, in basis points; the rest is burned (kept in the hub
    /// forever: no function can move it), so that manufacturing evidence against oneself does not pay.
    uint256 public constant SLASH_REPORTER_BPS = 1000;
    /// @notice Largest supported networkBits (network ids are uint32).
    uint256 public constant MAX_NETWORK_BITS = 32;

    // ------------------------------------------------------------------------------------------------ types

    /// @notice BatchSettlement's parameters: the certificate key's batch verifier, the empty-trees state commitment
    /// of the hub's tree parameters and the certificate circuit's D and B.
    struct BatchParameters {
        IBatchCertificateVerifier certificateVerifier;
        uint256 genesisStateCommitment;
        uint256 maxDependencies;
        uint256 maxBundles;
    }

    /// @notice A network as returned by `networks(id)`. `active`: registered and not ejected.
    struct NetworkInfo {
        address sequencer;
        uint256 stake;
        uint32 policyFlags;
        bool active;
        bool ejected;
    }

    /// @dev Storage layout: the first four fields share one slot.
    struct NetworkRecord {
        address sequencer;
        uint32 policyFlags;
        bool registered;
        bool ejected;
        uint256 stake;
    }

    // ------------------------------------------------------------------------------------------------ errors
    // InvalidSequencerSignature(networkId, height), UnlicensedRevision(networkId, height, revision),
    // UnknownCheckpoint(number), NetworkNotActive(networkId) and InvalidProof() are BatchSettlement's.

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
    /// @notice A bridge address without code.
    error NotAContract(address account);
    error L1BridgeAlreadyBound(address bridge);
    /// @notice The bridge is not network 0's or does not use this hub as its oracle.
    error NotAnL1Bridge(address bridge);
    error L1BridgeNotBound();
    /// @notice An equivocation report with two identical certificate ids.
    error NotAnEquivocation();
    error StakeTransferFailed(address to, uint256 amount);
    /// @notice `readmitNetwork` on a network that is not ejected.
    error NetworkNotEjectedForReadmission(uint32 networkId);

    // ------------------------------------------------------------------------------------------------ events

    event NetworkRegistered(uint32 indexed networkId, address sequencer, uint32 policyFlags, uint256 stake);
    event SequencerChanged(uint32 indexed networkId, address previousSequencer, address newSequencer);
    event StakeAdded(uint32 indexed networkId, address indexed from, uint256 amount, uint256 stake);
    /// @notice The network was ejected, by the owner or (`by` = the reporter) after an equivocation.
    event Ejected(uint32 indexed networkId, address indexed by);
    event StakeReleased(uint32 indexed networkId, address indexed to, uint256 amount);
    event LayerSignerChanged(address previousSigner, address newSigner);
    /// @notice An ejected network was readmitted with a new sequencer; it continues from its last settled state.
    event NetworkReadmitted(uint32 indexed networkId, address sequencer, uint256 stake);
    event L1BridgeBound(address indexed bridge);
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

    /// @notice Network ids are below 2^networkBits (the nullifier trees' key width, docs/protocol.md §4).
    uint8 public immutable networkBits;
    /// @notice The L1 UnifiedBridge whose exit-root checkpoints certificates state (set once, after deployment).
    IL1CheckpointSource public l1Bridge;
    /// @notice The layer's key that signs rejections (licences for the next revision of a height).
    address public layerSigner;
    /// @notice Slashed stake burned so far (held here forever).
    uint256 public burnedStake;

    mapping(uint32 => NetworkRecord) private _networks;

    // ------------------------------------------------------------------------------------------------ construction

    /// @param initialOwner The admin (registry, bridge binding, sequencer and layer keys); transferred with
    /// Ownable2Step, meant to end with a TimelockController.
    /// @param networkBits_ 1..32 (production 16); network ids are below 2^networkBits_.
    /// @param layerSigner_ The layer's rejection-signing key (the coordinator's).
    /// @param batches_ BatchSettlement's parameters: the batch verifier (a contract whose PUBLIC_INPUTS is
    /// 7 + 3 D + 2 B; refused otherwise: VerifierNotAContract, VerifierShapeMismatch), the genesis commitment, D, B.
    constructor(address initialOwner, uint8 networkBits_, address layerSigner_, BatchParameters memory batches_)
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
        networkBits = networkBits_;
        layerSigner = layerSigner_;
    }

    // ------------------------------------------------------------------------------------------------ admin

    /// @notice Registers network `networkId` with its sequencer and policy flags; msg.value is its stake. The
    /// network's tip becomes the genesis one (genesisStateCommitment, height 0).
    /// @param networkId 1 .. 2^networkBits - 1, never registered before (also not after an ejection).
    /// @param sequencer The key that signs the network's certificates (non-zero).
    /// @param policyFlags Opaque policy bits (bit 0 = opt-out: the chain settles its own batches of one).
    function registerNetwork(uint32 networkId, address sequencer, uint32 policyFlags) external payable onlyOwner {
        if (networkId == 0 || uint256(networkId) >> networkBits != 0) revert InvalidNetworkId(networkId);
        if (sequencer == address(0)) revert ZeroAddress();
        NetworkRecord storage n = _networks[networkId];
        if (n.registered) revert NetworkAlreadyRegistered(networkId);
        n.sequencer = sequencer;
        n.policyFlags = policyFlags;
        n.registered = true;
        n.stake = msg.value;
        _initializeTip(networkId);
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

    /// @notice Replaces the layer's rejection-signing key: licences signed by the previous key stop being accepted.
    function setLayerSigner(address signer) external onlyOwner {
        if (signer == address(0)) revert ZeroAddress();
        address previous = layerSigner;
        layerSigner = signer;
        emit LayerSignerChanged(previous, signer);
    }

    /// @notice Readmits an ejected network with a new sequencer (msg.value adds to its stake). It continues from its
    /// last settled state: its tip, kept through the ejection; nothing of what it signed before counts (only the
    /// registered sequencer's signatures are evidence or settle).
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

    /// @notice Network `networkId`: sequencer, stake, policy flags, active (registered, not ejected), ejected.
    function networks(uint32 networkId) external view returns (NetworkInfo memory) {
        NetworkRecord storage n = _networks[networkId];
        return NetworkInfo(n.sequencer, n.stake, n.policyFlags, n.registered && !n.ejected, n.ejected);
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
        return _isSequencerSignature(networkId, height, revision, certificateId, signature);
    }

    // ------------------------------------------------------------------------------------------------ internals

    function _activeNetwork(uint32 networkId) private view returns (NetworkRecord storage n) {
        n = _networks[networkId];
        if (!n.registered) revert NetworkNotRegistered(networkId);
        if (n.ejected) revert NetworkEjected(networkId);
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

    function _sendEth(address to, uint256 amount) private {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert StakeTransferFailed(to, amount);
    }

    // ---------------------------------------------------------------------------------------- BatchSettlement hooks

    /// @dev Registered and not ejected.
    function _isActive(uint32 networkId) internal view override returns (bool) {
        NetworkRecord storage n = _networks[networkId];
        return n.registered && !n.ejected;
    }

    /// @dev The registered sequencer's EIP-712 signature of the header (`headerDigest`).
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

    /// @dev The bound L1 bridge's checkpoint `number`, 0 when the bridge has none; L1BridgeNotBound before the
    /// bridge is bound.
    function _l1ExitRoot(uint256 number) internal view override returns (uint256 root) {
        IL1CheckpointSource bridge = l1Bridge;
        if (address(bridge) == address(0)) revert L1BridgeNotBound();
        if (number < bridge.checkpointCount()) (root,) = bridge.checkpoint(number);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {IExitRootOracle} from "../interfaces/IExitRootOracle.sol";
import {IWrappedTokenDeployer} from "../interfaces/IWrappedTokenDeployer.sol";
import {IBridgeMessageReceiver} from "../interfaces/IBridgeMessageReceiver.sol";
import {ExitTreeLib} from "../libraries/ExitTreeLib.sol";
import {ExitLeafLib} from "../libraries/ExitLeafLib.sol";
import {WrappedToken} from "./WrappedToken.sol";

/// @title The unified bridge: the same logic on L1 (network 0) and on every L2 (network n).
/// @notice Exits (asset or message) are appended to this network's Poseidon local exit tree; claims prove an exit
/// of another network against an exit root held by this network's oracle. A token keeps one identity
/// (originNetwork, originAddress) everywhere: it is locked on its origin network and exists elsewhere only as
/// the WrappedToken at the same CREATE2 address on every network. A wrapped token's name, symbol and decimals come
/// only from exits of the token's origin network (placeholder metadata until the first one is claimed), so that no
/// other network can fix them.
contract UnifiedBridge is ReentrancyGuard, IWrappedTokenDeployer {
    using SafeERC20 for IERC20;
    using ExitTreeLib for ExitTreeLib.Tree;

    /// @notice An exit's fields as they enter its leaf (metadata is hashed into it).
    struct Exit {
        uint32 originNetwork;
        address originAddress;
        uint32 destinationNetwork;
        address destinationAddress;
        uint256 amount;
        bytes metadata;
    }

    /// @notice Where a claimed exit is proven: the oracle entry (source network + exit root), its leaf index and siblings.
    struct ClaimProof {
        uint256 oracleEntry;
        uint32 leafIndex;
        uint256[] siblings;
    }

    /// @notice The origin of a wrapped token deployed by this bridge, and whether its metadata is the origin's.
    struct TokenOrigin {
        bool exists;
        uint32 originNetwork;
        address originAddress;
        bool metadataFinal;
    }

    struct Checkpoint {
        uint256 exitRoot;
        uint256 exitCount;
    }

    struct PendingToken {
        string name;
        string symbol;
        uint8 decimals;
        uint32 originNetwork;
        address originAddress;
        bool metadataFinal;
    }

    /// @notice Metadata of a wrapped token first claimed from a network other than its origin (docs/protocol.md §7).
    string public constant PLACEHOLDER_NAME = "Wrapped token (metadata pending)";
    string public constant PLACEHOLDER_SYMBOL = "PENDING";
    uint8 public constant PLACEHOLDER_DECIMALS = 18;

    error InvalidExitTreeDepth(uint256 depth);
    error ZeroOracle();
    /// @notice An exit to this network itself.
    error DestinationIsThisNetwork(uint32 networkId);
    error ZeroDestinationAddress();
    error MsgValueMismatch(uint256 expected, uint256 actual);
    error AmountTooLarge(uint256 amount);
    /// @notice An asset exit (or its claim) of amount 0: it would move nothing, and is refused in the certificate circuit.
    error ZeroAmount();
    /// @notice A claim of an exit addressed to another network.
    error WrongDestination(uint32 destinationNetwork);
    /// @notice An oracle entry naming this network's own exit root.
    error OwnNetworkExit(uint32 networkId);
    /// @notice A message whose origin network is not the network whose exit tree holds it.
    error MessageOriginMismatch(uint32 originNetwork, uint32 sourceNetwork);
    /// @notice The leaf is not under the named exit root at that index.
    error InvalidMerkleProof();
    error AlreadyClaimed(uint32 sourceNetwork, uint32 leafIndex);
    error GasCoinTransferFailed(address to, uint256 amount);
    /// @notice The message target reverted without a reason.
    error MessageCallFailed(address target);
    error CheckpointOnlyOnL1();
    /// @notice The transaction's gas does not cover its exits at every leaf index: `required` gas
    /// must remain after them (see `_keepExitGasHeadroom`), `left` did.
    error GasBelowExitBound(uint256 required, uint256 left);
    error UnknownCheckpoint(uint256 number);

    /// @notice Emitted for every exit; with `leafIndex` and `metadata` it is enough to rebuild the exit tree.
    event BridgeExit(
        uint32 indexed leafIndex,
        uint8 leafType,
        uint32 originNetwork,
        address originAddress,
        uint32 indexed destinationNetwork,
        address indexed destinationAddress,
        uint256 amount,
        bytes metadata,
        uint256 leafHash
    );
    /// @notice Emitted when an exit of `sourceNetwork` is claimed against oracle entry `oracleEntry`.
    event ExitClaimed(
        uint32 indexed sourceNetwork,
        uint32 indexed leafIndex,
        uint256 indexed oracleEntry,
        uint8 leafType,
        uint32 originNetwork,
        address originAddress,
        address destinationAddress,
        uint256 amount
    );
    event WrappedTokenDeployed(uint32 indexed originNetwork, address indexed originAddress, address wrappedToken);
    event ExitRootCheckpointed(uint256 indexed number, uint256 exitRoot, uint256 exitCount);

    /// @notice This network's id (0 on L1).
    uint32 public immutable networkId;
    /// @notice Depth of the local exit tree (32 in production).
    uint8 public immutable exitTreeDepth;
    /// @notice Where other networks' exit roots come from.
    IExitRootOracle public immutable oracle;

    ExitTreeLib.Tree private _exitTree;
    /// @notice claimKey(sourceNetwork, leafIndex) => claimed.
    mapping(uint256 => bool) public isClaimed;
    /// @dev Wrapped token => its origin and metadata status (read through wrappedTokenOrigin).
    mapping(address => TokenOrigin) private _wrappedTokens;
    Checkpoint[] private _checkpoints;
    PendingToken private _pending;
    /// @dev Transient (this transaction only): the sum over its exits so far of EXIT_GAS_BOUND minus each append's
    /// `treeGas`, and the sum of those `treeGas`. See `_keepExitGasHeadroom`.
    uint256 private transient _exitGasHeadroom;
    uint256 private transient _exitTreeGas;

    /// @notice Gas kept in hand per exit so that a gas estimate holds at any leaf index: the bound on an append
    /// (ExitTreeLib.APPEND_GAS_BOUND) plus 20,000 for what follows the last exit of a transaction (the bridge's
    /// return; a calling contract's event).
    uint256 public constant EXIT_GAS_BOUND = ExitTreeLib.APPEND_GAS_BOUND + 20_000;

    /// @param networkId_ This network's id.
    /// @param exitTreeDepth_ Local exit tree depth, 1..32; must equal the certificate circuit's.
    /// @param oracle_ The exit-root oracle claims are proven against.
    constructor(uint32 networkId_, uint8 exitTreeDepth_, IExitRootOracle oracle_) {
        if (exitTreeDepth_ == 0 || exitTreeDepth_ > ExitTreeLib.MAX_DEPTH) revert InvalidExitTreeDepth(exitTreeDepth_);
        if (address(oracle_) == address(0)) revert ZeroOracle();
        networkId = networkId_;
        exitTreeDepth = exitTreeDepth_;
        oracle = oracle_;
    }

    // ------------------------------------------------------------------------------------------------ exits

    /// @notice Bridges `amount` of `token` (address(0): this network's gas coin, sent as msg.value) to
    /// `destinationAddress` on `destinationNetwork`. Native tokens are locked, wrapped ones burnt. For a token that
    /// charges a fee on transfer, the amount actually received is what is bridged. An amount of 0 (asked, or
    /// received) is refused with ZeroAmount.
    /// @return leafIndex Index of the exit in this network's local exit tree.
    function bridgeAsset(uint32 destinationNetwork, address destinationAddress, uint256 amount, address token)
        external
        payable
        nonReentrant
        returns (uint256 leafIndex)
    {
        _checkDestination(destinationNetwork, destinationAddress);
        if (amount == 0) revert ZeroAmount();
        uint32 originNetwork = networkId;
        address originAddress = token;
        bytes memory metadata;
        uint256 bridged = amount;
        if (token == address(0)) {
            if (msg.value != amount) revert MsgValueMismatch(amount, msg.value);
            metadata = _gasCoinMetadata(networkId);
        } else {
            if (msg.value != 0) revert MsgValueMismatch(0, msg.value);
            TokenOrigin memory origin = _wrappedTokens[token];
            if (origin.exists) {
                originNetwork = origin.originNetwork;
                originAddress = origin.originAddress;
                WrappedToken(token).burn(msg.sender, amount);
                metadata = abi.encode(WrappedToken(token).name(), WrappedToken(token).symbol(), WrappedToken(token).decimals());
            } else {
                uint256 before = IERC20(token).balanceOf(address(this));
                IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
                bridged = IERC20(token).balanceOf(address(this)) - before;
                if (bridged == 0) revert ZeroAmount();
                metadata = _erc20Metadata(token);
            }
        }
        if (bridged > ExitLeafLib.MAX_AMOUNT) revert AmountTooLarge(bridged);
        leafIndex = _appendExit(
            ExitLeafLib.LEAF_ASSET, originNetwork, originAddress, destinationNetwork, destinationAddress, bridged, metadata
        );
    }

    /// @notice Sends `data` to `destinationAddress` on `destinationNetwork`, with msg.value of this network's gas coin.
    /// @return leafIndex Index of the exit in this network's local exit tree.
    function bridgeMessage(uint32 destinationNetwork, address destinationAddress, bytes calldata data)
        external
        payable
        nonReentrant
        returns (uint256 leafIndex)
    {
        _checkDestination(destinationNetwork, destinationAddress);
        if (msg.value > ExitLeafLib.MAX_AMOUNT) revert AmountTooLarge(msg.value);
        leafIndex = _appendExit(
            ExitLeafLib.LEAF_MESSAGE, networkId, msg.sender, destinationNetwork, destinationAddress, msg.value, data
        );
    }

    // ------------------------------------------------------------------------------------------------ claims

    /// @notice Claims an asset exit of another network: unlocks the native token or mints its wrapped version
    /// (deploying it on first use) to the exit's destination address. Anyone may submit the claim. The exit's
    /// metadata names the wrapped token only if the exit comes from the token's origin network (see
    /// `_wrappedTokenFor`). An exit of amount 0 is refused with ZeroAmount.
    function claimAsset(ClaimProof calldata proof, Exit calldata exit) external nonReentrant {
        if (exit.amount == 0) revert ZeroAmount();
        uint32 source = _verifyAndNullify(ExitLeafLib.LEAF_ASSET, proof, exit);
        if (exit.originNetwork == networkId) {
            if (exit.originAddress == address(0)) _sendGasCoin(exit.destinationAddress, exit.amount);
            else IERC20(exit.originAddress).safeTransfer(exit.destinationAddress, exit.amount);
        } else {
            address token = _wrappedTokenFor(exit.originNetwork, exit.originAddress, source == exit.originNetwork, exit.metadata);
            WrappedToken(token).mint(exit.destinationAddress, exit.amount);
        }
    }

    /// @notice Claims a message exit: mints its value (the source network's gas coin, wrapped) to the target and
    /// calls `onMessageReceived` on it. If the target reverts, the claim reverts with the target's error.
    function claimMessage(ClaimProof calldata proof, Exit calldata exit) external nonReentrant {
        uint32 source = _verifyAndNullify(ExitLeafLib.LEAF_MESSAGE, proof, exit);
        if (exit.amount != 0) {
            // The source network's gas coin: its metadata is fixed by the protocol, whatever the message carries.
            WrappedToken(_wrappedTokenFor(source, address(0), true, "")).mint(exit.destinationAddress, exit.amount);
        }
        (bool ok, bytes memory ret) = exit.destinationAddress.call(
            abi.encodeCall(IBridgeMessageReceiver.onMessageReceived, (exit.originAddress, exit.originNetwork, exit.metadata))
        );
        if (!ok) {
            if (ret.length == 0) revert MessageCallFailed(exit.destinationAddress);
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ L1 checkpoints

    /// @notice Records the current local exit root of L1 (network 0) as a checkpoint other networks can import
    /// against. Anyone may call it; only meaningful, and only allowed, on L1.
    /// @return number The checkpoint number (the `height` of its provenance).
    function checkpointExitRoot() external returns (uint256 number) {
        if (networkId != 0) revert CheckpointOnlyOnL1();
        uint256 root = _exitTree.root(exitTreeDepth);
        uint256 count = _exitTree.count;
        number = _checkpoints.length;
        _checkpoints.push(Checkpoint(root, count));
        emit ExitRootCheckpointed(number, root, count);
    }

    /// @notice Root and exit count of checkpoint `number`.
    function checkpoint(uint256 number) external view returns (uint256 root, uint256 count) {
        if (number >= _checkpoints.length) revert UnknownCheckpoint(number);
        Checkpoint storage c = _checkpoints[number];
        return (c.exitRoot, c.exitCount);
    }

    /// @notice Number of checkpoints recorded.
    function checkpointCount() external view returns (uint256) {
        return _checkpoints.length;
    }

    // ------------------------------------------------------------------------------------------------ views

    /// @notice The current local exit root (computed: `exitTreeDepth` Poseidon hashes).
    function getExitRoot() external view returns (uint256) {
        return _exitTree.root(exitTreeDepth);
    }

    /// @notice Number of exits appended so far (the next leaf index).
    function exitCount() external view returns (uint256) {
        return _exitTree.count;
    }

    /// @notice The nullifier key of exit `leafIndex` of `sourceNetwork`.
    function claimKey(uint32 sourceNetwork, uint32 leafIndex) public pure returns (uint256) {
        return (uint256(sourceNetwork) << 32) | leafIndex;
    }

    /// @notice Whether `token` is a wrapped token deployed by this bridge, and its origin.
    function wrappedTokenOrigin(address token)
        external
        view
        returns (bool exists, uint32 originNetwork, address originAddress)
    {
        TokenOrigin storage o = _wrappedTokens[token];
        return (o.exists, o.originNetwork, o.originAddress);
    }

    /// @notice Whether the metadata of wrapped token `token` is its origin network's (false: placeholder, or not a
    /// wrapped token of this bridge).
    function wrappedTokenMetadataFinal(address token) external view returns (bool) {
        return _wrappedTokens[token].metadataFinal;
    }

    /// @notice The address of the wrapped token for (originNetwork, originAddress), deployed or not.
    function wrappedTokenAddress(uint32 originNetwork, address originAddress) public view returns (address) {
        return Create2.computeAddress(_tokenSalt(originNetwork, originAddress), keccak256(type(WrappedToken).creationCode));
    }

    /// @inheritdoc IWrappedTokenDeployer
    function wrappedTokenParameters()
        external
        view
        returns (string memory, string memory, uint8, uint32, address, bool)
    {
        PendingToken storage p = _pending;
        return (p.name, p.symbol, p.decimals, p.originNetwork, p.originAddress, p.metadataFinal);
    }

    /// @notice Decodes token metadata abi.encode(string name, string symbol, uint8 decimals). External so that a
    /// malformed encoding can be caught with try/catch.
    function decodeTokenMetadata(bytes calldata metadata) external pure returns (string memory, string memory, uint8) {
        return abi.decode(metadata, (string, string, uint8));
    }

    // ------------------------------------------------------------------------------------------------ internals

    function _checkDestination(uint32 destinationNetwork, address destinationAddress) private view {
        if (destinationNetwork == networkId) revert DestinationIsThisNetwork(networkId);
        if (destinationAddress == address(0)) revert ZeroDestinationAddress();
    }

    function _appendExit(
        uint8 leafType,
        uint32 originNetwork,
        address originAddress,
        uint32 destinationNetwork,
        address destinationAddress,
        uint256 amount,
        bytes memory metadata
    ) private returns (uint256 leafIndex) {
        uint256 leafHash = ExitLeafLib.hash(
            leafType, originNetwork, originAddress, destinationNetwork, destinationAddress, amount, ExitLeafLib.fieldKeccakMem(metadata)
        );
        uint256 treeGas;
        (leafIndex, treeGas) = _exitTree.append(exitTreeDepth, leafHash);
        emit BridgeExit(
            uint32(leafIndex), leafType, originNetwork, originAddress, destinationNetwork, destinationAddress, amount, metadata, leafHash
        );
        _keepExitGasHeadroom(treeGas);
    }

    /// @dev Makes the gas a transaction needs independent of where its exits land in the tree, so that a wallet's
    /// gas estimate (taken before other exits are mined) still holds when the transaction runs. The part of an
    /// append whose cost depends on the tree (`treeGas`: which height it merges, whether a storage slot is written
    /// for the first time) is at most ExitTreeLib.APPEND_GAS_BOUND; by requiring that, after each exit, the
    /// transaction still has in hand what its appends' `treeGas` left unused of EXIT_GAS_BOUND each, the gas limit
    /// a transaction needs is its fixed part plus EXIT_GAS_BOUND per exit at every leaf index. The headroom is only
    /// required, never spent: gasUsed is unchanged.
    /// A contract that makes several exits calls the bridge several times, and each call receives at most 63/64 of
    /// the caller's gas (EIP-150): what the earlier appends used changes what a later call receives by 1/64 of it,
    /// which the requirement adds back (exactly, up to one gas of rounding, when one contract makes the calls).
    /// Called last in `_appendExit`, after the event, so that only the return remains to be paid from the headroom.
    function _keepExitGasHeadroom(uint256 treeGas) private {
        uint256 earlier = _exitTreeGas;
        uint256 headroom = _exitGasHeadroom;
        // treeGas <= APPEND_GAS_BOUND < EXIT_GAS_BOUND (test/contracts/ExitTree.test.ts measures it at every index).
        if (treeGas < EXIT_GAS_BOUND) headroom += EXIT_GAS_BOUND - treeGas;
        _exitGasHeadroom = headroom;
        _exitTreeGas = earlier + treeGas;
        uint256 required = headroom + earlier / 64;
        uint256 left = gasleft();
        if (left < required) revert GasBelowExitBound(required, left);
    }

    /// @dev Checks a claim completely and marks it claimed; returns the source network.
    function _verifyAndNullify(uint8 leafType, ClaimProof calldata proof, Exit calldata exit) private returns (uint32) {
        if (exit.destinationNetwork != networkId) revert WrongDestination(exit.destinationNetwork);
        if (exit.amount > ExitLeafLib.MAX_AMOUNT) revert AmountTooLarge(exit.amount);
        (uint32 source, uint256 root) = oracle.exitRootOf(proof.oracleEntry);
        if (source == networkId) revert OwnNetworkExit(source);
        if (leafType == ExitLeafLib.LEAF_MESSAGE && exit.originNetwork != source) {
            revert MessageOriginMismatch(exit.originNetwork, source);
        }
        if (proof.siblings.length != exitTreeDepth) revert ExitTreeLib.MalformedMerkleProof(proof.leafIndex, proof.siblings.length);
        uint256 leaf = ExitLeafLib.hash(
            leafType,
            exit.originNetwork,
            exit.originAddress,
            exit.destinationNetwork,
            exit.destinationAddress,
            exit.amount,
            ExitLeafLib.fieldKeccak(exit.metadata)
        );
        if (ExitTreeLib.computeRoot(leaf, proof.leafIndex, proof.siblings) != root) revert InvalidMerkleProof();
        uint256 key = claimKey(source, proof.leafIndex);
        if (isClaimed[key]) revert AlreadyClaimed(source, proof.leafIndex);
        isClaimed[key] = true;
        emit ExitClaimed(
            source, proof.leafIndex, proof.oracleEntry, leafType, exit.originNetwork, exit.originAddress, exit.destinationAddress, exit.amount
        );
        return source;
    }

    /// @dev The wrapped token of (originNetwork, originAddress), deployed on first use, and its metadata
    /// (docs/protocol.md §7): a gas coin's (originAddress 0) is fixed by the protocol and final at deployment; any
    /// other token's is taken from `metadata` only when the claimed exit comes from the token's origin network
    /// (`fromOrigin`) and decodes as (string, string, uint8). Otherwise the token gets, or keeps, placeholder
    /// metadata, which the first such origin exit claimed here replaces once. No other network can fix it.
    function _wrappedTokenFor(uint32 originNetwork, address originAddress, bool fromOrigin, bytes memory metadata)
        private
        returns (address token)
    {
        token = wrappedTokenAddress(originNetwork, originAddress);
        TokenOrigin storage known = _wrappedTokens[token];
        if (known.exists) {
            if (!known.metadataFinal && fromOrigin) {
                (bool ok, string memory n, string memory s, uint8 d) = _tryDecodeMetadata(metadata);
                if (ok) {
                    known.metadataFinal = true;
                    WrappedToken(token).setMetadata(n, s, d);
                }
            }
            return token;
        }
        string memory name;
        string memory symbol;
        uint8 decimals;
        bool final_;
        if (originAddress == address(0)) {
            (name, symbol, decimals) = _gasCoinMetadataFields(originNetwork);
            final_ = true;
        } else if (fromOrigin) {
            (final_, name, symbol, decimals) = _tryDecodeMetadata(metadata);
        }
        if (!final_) (name, symbol, decimals) = (PLACEHOLDER_NAME, PLACEHOLDER_SYMBOL, PLACEHOLDER_DECIMALS);
        _wrappedTokens[token] = TokenOrigin(true, originNetwork, originAddress, final_);
        _pending = PendingToken(name, symbol, decimals, originNetwork, originAddress, final_);
        Create2.deploy(0, _tokenSalt(originNetwork, originAddress), type(WrappedToken).creationCode);
        delete _pending;
        emit WrappedTokenDeployed(originNetwork, originAddress, token);
    }

    /// @dev Token metadata abi.encode(string name, string symbol, uint8 decimals), or ok = false if it does not decode.
    function _tryDecodeMetadata(bytes memory metadata)
        private
        view
        returns (bool ok, string memory name, string memory symbol, uint8 decimals)
    {
        try this.decodeTokenMetadata(metadata) returns (string memory n, string memory s, uint8 d) {
            return (true, n, s, d);
        } catch {
            return (false, "", "", 0);
        }
    }

    function _tokenSalt(uint32 originNetwork, address originAddress) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(originNetwork, originAddress));
    }

    function _gasCoinMetadataFields(uint32 network) private pure returns (string memory, string memory, uint8) {
        if (network == 0) return ("Ether", "ETH", 18);
        return ("Gas coin", "GAS", 18);
    }

    function _gasCoinMetadata(uint32 network) private pure returns (bytes memory) {
        (string memory n, string memory s, uint8 d) = _gasCoinMetadataFields(network);
        return abi.encode(n, s, d);
    }

    function _sendGasCoin(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert GasCoinTransferFailed(to, amount);
    }

    /// @dev Reads name/symbol/decimals without trusting the token to implement them (string or bytes32 returns).
    function _erc20Metadata(address token) private view returns (bytes memory) {
        return abi.encode(
            _readString(token, abi.encodeWithSignature("name()"), "Unknown"),
            _readString(token, abi.encodeWithSignature("symbol()"), "UNKNOWN"),
            _readDecimals(token)
        );
    }

    function _readString(address token, bytes memory call, string memory fallback_) private view returns (string memory) {
        (bool ok, bytes memory ret) = token.staticcall(call);
        if (!ok) return fallback_;
        if (ret.length >= 64) {
            try this.decodeString(ret) returns (string memory s) {
                return s;
            } catch {
                return fallback_;
            }
        }
        if (ret.length == 32) {
            bytes32 word = abi.decode(ret, (bytes32));
            uint256 len;
            while (len < 32 && word[len] != 0) ++len;
            bytes memory s = new bytes(len);
            for (uint256 i = 0; i < len; ++i) s[i] = word[i];
            return string(s);
        }
        return fallback_;
    }

    function _readDecimals(address token) private view returns (uint8) {
        (bool ok, bytes memory ret) = token.staticcall(abi.encodeWithSignature("decimals()"));
        if (ok && ret.length == 32) {
            uint256 d = abi.decode(ret, (uint256));
            if (d <= type(uint8).max) return uint8(d);
        }
        return 18;
    }

    /// @notice Decodes an ABI-encoded string (helper for reading token names safely).
    function decodeString(bytes calldata data) external pure returns (string memory) {
        return abi.decode(data, (string));
    }
}

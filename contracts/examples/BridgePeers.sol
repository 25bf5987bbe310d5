// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {UnifiedBridge} from "../bridge/UnifiedBridge.sol";

/// @title Bridge binding and owner-set peers of a cross-chain example dApp.
/// @notice A dApp deployed on several networks trusts, on each network, exactly one instance of itself per other
/// network: its peer, set by the owner with `setPeer`. Messages are accepted only from the bridge and only when
/// their origin address is the peer configured for their origin network.
/// @dev Design choice: peers are an explicit owner-set mapping rather than "the origin address must equal
/// address(this)". Deploying from the same deployer at the same nonce usually gives the same address on every
/// network, but nothing enforces it (a nonce used once by another transaction moves the address), and an
/// address-equality rule would trust whatever code sits at this address on a network where it is not this dApp.
/// With the mapping, an unconfigured network is refused and the owner decides which instance speaks for it.
abstract contract BridgePeers is Ownable2Step {
    /// @notice The bridge given to the constructor is address(0).
    error ZeroBridge();
    /// @notice `onMessageReceived` was called by `caller`, not by the bridge.
    error NotBridge(address caller);
    /// @notice A message from `sender` on `network`, which is not this dApp's peer there (or no peer is set).
    error UnknownPeer(uint32 network, address sender);
    /// @notice No peer is configured on `network`, so nothing can be sent there.
    error NoPeer(uint32 network);
    /// @notice A peer cannot be set for this dApp's own network.
    error PeerOnOwnNetwork(uint32 network);

    /// @notice Emitted when the peer on `network` is set (address(0): removed).
    event PeerSet(uint32 indexed network, address peer);

    /// @notice The unified bridge of this network (the only caller of `onMessageReceived`).
    UnifiedBridge public immutable bridge;
    /// @notice This network's id, read from the bridge at deployment.
    uint32 public immutable networkId;
    /// @notice Network id => this dApp's trusted instance on that network (address(0): none).
    mapping(uint32 network => address) public peer;

    /// @param bridge_ This network's unified bridge.
    /// @param initialOwner Sets the peers; ownership is transferred in two steps (Ownable2Step).
    constructor(UnifiedBridge bridge_, address initialOwner) Ownable(initialOwner) {
        if (address(bridge_) == address(0)) revert ZeroBridge();
        bridge = bridge_;
        networkId = bridge_.networkId();
    }

    /// @notice Sets this dApp's instance on `network` to `peer_` (address(0) removes it). Owner only.
    /// @param network Another network's id.
    /// @param peer_ The address of this dApp on `network`.
    function setPeer(uint32 network, address peer_) external onlyOwner {
        if (network == networkId) revert PeerOnOwnNetwork(network);
        peer[network] = peer_;
        emit PeerSet(network, peer_);
    }

    /// @dev Reverts unless the caller is the bridge and (originAddress, originNetwork) is the configured peer.
    function _checkMessage(address originAddress, uint32 originNetwork) internal view {
        if (msg.sender != address(bridge)) revert NotBridge(msg.sender);
        address p = peer[originNetwork];
        if (p == address(0) || p != originAddress) revert UnknownPeer(originNetwork, originAddress);
    }

    /// @dev The peer on `network`; reverts if none is set.
    function _peerOf(uint32 network) internal view returns (address p) {
        p = peer[network];
        if (p == address(0)) revert NoPeer(network);
    }
}

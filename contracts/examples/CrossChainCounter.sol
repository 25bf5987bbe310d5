// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBridgeMessageReceiver} from "../interfaces/IBridgeMessageReceiver.sol";
import {UnifiedBridge} from "../bridge/UnifiedBridge.sol";
import {BridgePeers} from "./BridgePeers.sol";

/// @title An asynchronous cross-chain call example: a ping sent on one network counts on another.
/// @notice On network A, `ping(B, counterOnB, value)` sends the message abi.encode(caller, value) through the bridge.
/// Once the message is claimed on B (by anyone, against A's exit root posted to B's oracle), the bridge calls
/// `onMessageReceived` on the counter of B, which counts the ping of (A, caller) and records its value.
/// @dev Messages are accepted only from the bridge and only from the peer configured for the origin network (see
/// BridgePeers for why an owner-set mapping rather than address equality). A ping carries no gas coin.
contract CrossChainCounter is BridgePeers, IBridgeMessageReceiver {
    /// @notice Emitted on the origin network when a ping is sent as exit `leafIndex` of this network.
    event PingSent(
        uint32 indexed destNetwork, address indexed target, address indexed sender, uint256 value, uint256 leafIndex
    );
    /// @notice Emitted on the destination network when the ping of `sender` on `originNetwork` is received.
    event Pinged(uint32 indexed originNetwork, address indexed sender, uint256 value, uint256 newCount);

    /// @notice originNetwork => sender on that network => pings received.
    mapping(uint32 originNetwork => mapping(address sender => uint256)) public counts;
    /// @notice originNetwork => sender on that network => value of its last ping received.
    mapping(uint32 originNetwork => mapping(address sender => uint256)) public lastValue;

    /// @param bridge_ This network's unified bridge.
    /// @param initialOwner Sets the peers.
    constructor(UnifiedBridge bridge_, address initialOwner) BridgePeers(bridge_, initialOwner) {}

    /// @notice Sends a ping with `value` from the caller to the counter `target` on `destNetwork`.
    /// @dev `target` is normally `peer(destNetwork)`; a counter there accepts it only if this contract is its peer.
    /// @param destNetwork The destination network (not this one).
    /// @param target The counter on `destNetwork`.
    /// @param value An arbitrary value recorded by the target as `lastValue`.
    /// @return leafIndex The message's index in this network's local exit tree (needed to claim it).
    function ping(uint32 destNetwork, address target, uint256 value) external returns (uint256 leafIndex) {
        leafIndex = bridge.bridgeMessage(destNetwork, target, abi.encode(msg.sender, value));
        emit PingSent(destNetwork, target, msg.sender, value, leafIndex);
    }

    /// @notice Receives a ping (bridge only, from the peer of `originNetwork` only): counts it and records its value.
    /// @param originAddress The sending counter on `originNetwork`; must be the configured peer.
    /// @param originNetwork The network the ping comes from.
    /// @param data abi.encode(address sender, uint256 value).
    function onMessageReceived(address originAddress, uint32 originNetwork, bytes calldata data) external {
        _checkMessage(originAddress, originNetwork);
        (address sender, uint256 value) = abi.decode(data, (address, uint256));
        uint256 newCount = ++counts[originNetwork][sender];
        lastValue[originNetwork][sender] = value;
        emit Pinged(originNetwork, sender, value, newCount);
    }
}

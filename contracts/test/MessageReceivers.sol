// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBridgeMessageReceiver} from "../interfaces/IBridgeMessageReceiver.sol";
import {UnifiedBridge} from "../bridge/UnifiedBridge.sol";

/// @title Records the last message it received (test target).
contract MessageRecorder is IBridgeMessageReceiver {
    event MessageReceived(address originAddress, uint32 originNetwork, bytes data);

    address public lastOriginAddress;
    uint32 public lastOriginNetwork;
    bytes public lastData;
    uint256 public received;

    /// @inheritdoc IBridgeMessageReceiver
    function onMessageReceived(address originAddress, uint32 originNetwork, bytes calldata data) external {
        lastOriginAddress = originAddress;
        lastOriginNetwork = originNetwork;
        lastData = data;
        ++received;
        emit MessageReceived(originAddress, originNetwork, data);
    }
}

/// @title A message target that tries to re-enter the bridge (test attacker).
contract ReentrantReceiver is IBridgeMessageReceiver {
    UnifiedBridge public immutable bridge;

    constructor(UnifiedBridge bridge_) {
        bridge = bridge_;
    }

    /// @inheritdoc IBridgeMessageReceiver
    function onMessageReceived(address, uint32, bytes calldata) external {
        // Re-enter through an exit: must be stopped by the bridge's reentrancy guard.
        bridge.bridgeMessage(bridge.networkId() == 0 ? 1 : 0, address(this), "");
    }
}

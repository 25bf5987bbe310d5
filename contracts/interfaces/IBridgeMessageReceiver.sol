// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Target of a cross-chain message claimed through the unified bridge.
interface IBridgeMessageReceiver {
    /// @notice Called by the bridge when a message addressed to this contract is claimed.
    /// @param originAddress The sender on the source network.
    /// @param originNetwork The source network id.
    /// @param data The message calldata.
    function onMessageReceived(address originAddress, uint32 originNetwork, bytes calldata data) external;
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title The callback a WrappedToken constructor uses to read its parameters from the bridge that deploys it.
/// @dev Keeping constructor arguments out of the init code makes a wrapped token's CREATE2 address depend only on
/// the bridge address and the salt (originNetwork, originAddress).
interface IWrappedTokenDeployer {
    /// @notice Parameters of the wrapped token being deployed right now; `metadataFinal` is false when name,
    /// symbol and decimals are placeholders (the token was first claimed from a network other than its origin).
    function wrappedTokenParameters()
        external
        view
        returns (
            string memory name,
            string memory symbol,
            uint8 decimals,
            uint32 originNetwork,
            address originAddress,
            bool metadataFinal
        );
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title A minimal share vault for one ERC20 (example target of BridgeAndCall).
/// @notice OpenZeppelin's ERC-4626 without additions: `deposit(assets, receiver)` mints shares, `withdraw(assets,
/// receiver, owner)` / `redeem(shares, receiver, owner)` burn them; no yield, so a share stays worth one asset
/// (up to rounding). OpenZeppelin's virtual shares and assets make the first-depositor inflation attack unprofitable.
/// @dev The asset may not exist yet when the vault is deployed (a wrapped token is deployed by its first claim), so
/// `decimals` is read from the asset at call time rather than cached by the constructor. Fee-on-transfer and
/// rebasing assets are not supported.
contract Vault is ERC4626 {
    /// @param asset_ The vault's single asset.
    /// @param name_ Share token name.
    /// @param symbol_ Share token symbol.
    constructor(IERC20 asset_, string memory name_, string memory symbol_) ERC20(name_, symbol_) ERC4626(asset_) {}

    /// @notice The asset's decimals (read now; 18 if the asset does not answer).
    function decimals() public view override returns (uint8) {
        (bool ok, uint8 assetDecimals) = SafeERC20.tryGetDecimals(IERC20(asset()));
        return ok ? assetDecimals + _decimalsOffset() : super.decimals();
    }
}

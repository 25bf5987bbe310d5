// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IWrappedTokenDeployer} from "../interfaces/IWrappedTokenDeployer.sol";

/// @title The representation of a foreign token on a network, minted and burnt only by the unified bridge.
/// @notice One per origin token (originNetwork, originAddress), at the same CREATE2 address on every network.
contract WrappedToken is ERC20Permit {
    /// @notice Thrown when anyone but the deploying bridge tries to mint or burn.
    error OnlyBridge(address caller);

    /// @notice The bridge that deployed this token and alone may mint and burn it.
    address public immutable bridge;
    /// @notice Network id of the token's origin.
    uint32 public immutable originNetwork;
    /// @notice Address of the token on its origin network (address(0) for that network's gas coin).
    address public immutable originAddress;
    uint8 private immutable _decimals;

    constructor() ERC20(_name(), _symbol()) ERC20Permit(_name()) {
        bridge = msg.sender;
        (,, uint8 dec, uint32 net, address addr) = IWrappedTokenDeployer(msg.sender).wrappedTokenParameters();
        _decimals = dec;
        originNetwork = net;
        originAddress = addr;
    }

    modifier onlyBridge() {
        if (msg.sender != bridge) revert OnlyBridge(msg.sender);
        _;
    }

    /// @notice Mints `amount` to `to`. Bridge only.
    function mint(address to, uint256 amount) external onlyBridge {
        _mint(to, amount);
    }

    /// @notice Burns `amount` from `from` (no allowance needed: the bridge burns what its caller bridges out). Bridge only.
    function burn(address from, uint256 amount) external onlyBridge {
        _burn(from, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    function _name() private view returns (string memory n) {
        (n,,,,) = IWrappedTokenDeployer(msg.sender).wrappedTokenParameters();
    }

    function _symbol() private view returns (string memory s) {
        (, s,,,) = IWrappedTokenDeployer(msg.sender).wrappedTokenParameters();
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IWrappedTokenDeployer} from "../interfaces/IWrappedTokenDeployer.sol";

/// @title The representation of a foreign token on a network, minted and burnt only by the unified bridge.
/// @notice One per origin token (originNetwork, originAddress), at the same CREATE2 address on every network.
/// Name, symbol and decimals come only from the token's origin network (docs/protocol.md §7): a token first
/// claimed from another network starts with placeholder metadata (`metadataFinal() == false`), which the bridge
/// replaces, once, with the metadata of the first exit it claims from the origin network. Amounts are always in
/// the origin token's base units; decimals only matter for display.
contract WrappedToken is ERC20Permit {
    /// @notice Thrown when anyone but the deploying bridge tries to mint, burn or set the metadata.
    error OnlyBridge(address caller);
    /// @notice Thrown when the bridge sets the metadata of a token whose metadata is already final.
    error MetadataAlreadyFinal();

    /// @notice Emitted when the metadata becomes final after the token was deployed with placeholder metadata.
    event MetadataFinalized(string name, string symbol, uint8 decimals);

    /// @notice EIP-712 domain name of every wrapped token's permit: a constant, so that the domain does not change
    /// when placeholder metadata is replaced (the domain also binds the chain id and this token's address).
    string public constant PERMIT_DOMAIN_NAME = "Unified bridge wrapped token";

    /// @notice The bridge that deployed this token and alone may mint and burn it.
    address public immutable bridge;
    /// @notice Network id of the token's origin.
    uint32 public immutable originNetwork;
    /// @notice Address of the token on its origin network (address(0) for that network's gas coin).
    address public immutable originAddress;

    string private _tokenName;
    string private _tokenSymbol;
    uint8 private _tokenDecimals;
    /// @notice Whether name, symbol and decimals are the origin network's (false: placeholder metadata).
    bool public metadataFinal;

    constructor() ERC20("", "") ERC20Permit(PERMIT_DOMAIN_NAME) {
        bridge = msg.sender;
        (string memory n, string memory s, uint8 d, uint32 net, address addr, bool final_) =
            IWrappedTokenDeployer(msg.sender).wrappedTokenParameters();
        _tokenName = n;
        _tokenSymbol = s;
        _tokenDecimals = d;
        metadataFinal = final_;
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

    /// @notice Replaces placeholder metadata with the origin network's, once. Bridge only.
    function setMetadata(string calldata name_, string calldata symbol_, uint8 decimals_) external onlyBridge {
        if (metadataFinal) revert MetadataAlreadyFinal();
        _tokenName = name_;
        _tokenSymbol = symbol_;
        _tokenDecimals = decimals_;
        metadataFinal = true;
        emit MetadataFinalized(name_, symbol_, decimals_);
    }

    /// @inheritdoc ERC20
    function name() public view override returns (string memory) {
        return _tokenName;
    }

    /// @inheritdoc ERC20
    function symbol() public view override returns (string memory) {
        return _tokenSymbol;
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _tokenDecimals;
    }
}

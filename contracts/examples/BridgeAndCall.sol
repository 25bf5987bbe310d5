// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IBridgeMessageReceiver} from "../interfaces/IBridgeMessageReceiver.sol";
import {UnifiedBridge} from "../bridge/UnifiedBridge.sol";
import {BridgePeers} from "./BridgePeers.sol";

/// @title Bridge-and-call example: bridge an ERC20 and deposit it into an ERC-4626 vault on the destination network,
/// in one user transaction.
/// @notice On network A, `bridgeAndDeposit(token, amount, B, vaultOnB, receiver)` pulls the tokens and makes two
/// exits to this dApp's peer on B: an asset exit of the tokens, then a message naming that asset exit's leaf index.
/// On B, the asset claim mints (or unlocks) the tokens to the peer; the message claim then calls its
/// `onMessageReceived`, which deposits exactly that asset exit's amount into the vault for `receiver`.
/// Only ERC20 tokens are supported: neither A's gas coin nor a token that is B's own gas coin on B (a wrapped gas
/// coin going back to its origin network) can be bridged-and-deposited.
/// @dev Accounting (why one message can never spend tokens that belong to another): every message names the asset
/// exit that carried its tokens, (origin network, asset leaf index). The message is executed only once the bridge
/// has marked that asset exit claimed (`bridge.isClaimed`), and each asset exit can be consumed by one message only
/// (`consumed`). The peer on A sends one asset exit per message, always to this contract and for the amount named
/// in the message, so the tokens a message deposits are exactly those its own asset claim delivered. A mere
/// `balanceOf >= amount` check would not be enough: with asset 1 claimed and asset 2 not yet, message 2 would spend
/// asset 1's tokens (and message 1 would then wait for asset 2). The balance check is kept as a second line of
/// defence (a misconfigured peer). This contract is not notified of asset claims, so the bridge's nullifier is the
/// record of "claimed"; tokens sent here by anything but a peer's asset exit are never spent by a message.
/// If the vault refuses the deposit, the tokens are transferred to `receiver` instead (event DepositFailed), so a
/// wrong or paused vault cannot lock them here; a deposit that ran out of gas reverts the claim instead (retryable),
/// so a relayer cannot force the fallback by sending too little gas.
contract BridgeAndCall is BridgePeers, ReentrancyGuard, IBridgeMessageReceiver {
    using SafeERC20 for IERC20;

    /// @notice An amount of zero (asked, or actually bridged).
    error ZeroAmount();
    /// @notice A zero vault or receiver.
    error ZeroAddress();
    /// @notice The asset is a gas coin on this network or on the destination (ERC20 only).
    error GasCoinNotSupported();
    /// @notice The asset exit `assetLeafIndex` of `originNetwork` that carries this message's tokens is not claimed yet.
    error AssetNotClaimed(uint32 originNetwork, uint32 assetLeafIndex);
    /// @notice The asset exit `assetLeafIndex` of `originNetwork` has already been spent by a message.
    error AlreadyConsumed(uint32 originNetwork, uint32 assetLeafIndex);
    /// @notice This contract holds `balance` of `token`, less than the `needed` amount.
    error InsufficientBalance(address token, uint256 balance, uint256 needed);
    /// @notice The vault deposit ran out of gas: the claim reverts so that it can be retried with more gas.
    error DepositOutOfGas();

    /// @notice Emitted on the origin network by `bridgeAndDeposit`.
    event BridgedAndCalled(
        uint32 indexed destNetwork,
        address indexed sender,
        address indexed receiver,
        address token,
        address tokenOnDest,
        uint256 amount,
        address vault,
        uint32 assetLeafIndex,
        uint32 messageLeafIndex
    );
    /// @notice Emitted on the destination network when the tokens of asset exit (originNetwork, assetLeafIndex) are
    /// deposited into `vault` for `receiver`, who gets `shares`.
    event Deposited(
        uint32 indexed originNetwork,
        uint32 indexed assetLeafIndex,
        address indexed receiver,
        address vault,
        address token,
        uint256 amount,
        uint256 shares
    );
    /// @notice Emitted instead of Deposited when the vault refused the deposit (`reason`: its revert data): the
    /// tokens were transferred to `receiver`.
    event DepositFailed(
        uint32 indexed originNetwork,
        uint32 indexed assetLeafIndex,
        address indexed receiver,
        address vault,
        address token,
        uint256 amount,
        bytes reason
    );

    /// @notice bridge.claimKey(originNetwork, assetLeafIndex) => the asset exit's tokens were spent by its message.
    mapping(uint256 claimKey => bool) public consumed;

    /// @param bridge_ This network's unified bridge.
    /// @param initialOwner Sets the peers.
    constructor(UnifiedBridge bridge_, address initialOwner) BridgePeers(bridge_, initialOwner) {}

    /// @notice Bridges `amount` of the ERC20 `token` to `destNetwork` and deposits it there into `vault` for
    /// `receiver`. The caller must have approved this contract for `amount`. Two claims are needed on the
    /// destination, in this order: the asset exit, then the message exit (anyone may submit both).
    /// @dev For a fee-on-transfer token native to this network, the amount deposited is what the bridge actually
    /// locked. Fee-on-transfer tokens are not supported on the destination network (a token returning to its origin).
    /// @param token The ERC20 on this network (native or wrapped; not address(0)).
    /// @param amount The amount pulled from the caller.
    /// @param destNetwork The destination network; this dApp must have a peer there.
    /// @param vault The ERC-4626 vault on `destNetwork`, whose asset is the token's representation there.
    /// @param receiver Receives the vault shares on `destNetwork`.
    /// @return assetLeafIndex The asset exit's index in this network's local exit tree.
    /// @return messageLeafIndex The message exit's index in this network's local exit tree.
    function bridgeAndDeposit(address token, uint256 amount, uint32 destNetwork, address vault, address receiver)
        external
        nonReentrant
        returns (uint32 assetLeafIndex, uint32 messageLeafIndex)
    {
        if (amount == 0) revert ZeroAmount();
        if (vault == address(0) || receiver == address(0)) revert ZeroAddress();
        address remote = _peerOf(destNetwork);
        (address tokenOnDest, bool isWrapped) = tokenOn(destNetwork, token);

        uint256 bridged;
        (assetLeafIndex, bridged) = _pullAndBridgeAsset(IERC20(token), amount, destNetwork, remote, isWrapped);
        if (bridged == 0) revert ZeroAmount();
        messageLeafIndex = SafeCast.toUint32(
            bridge.bridgeMessage(destNetwork, remote, abi.encode(tokenOnDest, bridged, vault, receiver, assetLeafIndex))
        );
        emit BridgedAndCalled(
            destNetwork, msg.sender, receiver, token, tokenOnDest, bridged, vault, assetLeafIndex, messageLeafIndex
        );
    }

    /// @notice Executes a bridge-and-deposit message (bridge only, from the peer of `originNetwork` only): deposits
    /// the tokens of the asset exit it names into the vault for the receiver.
    /// @dev Reverts (so the message claim reverts and can be retried) with AssetNotClaimed while that asset exit
    /// is unclaimed, and with InsufficientBalance if the tokens are not here. See the contract's @dev for the
    /// accounting.
    /// @param originAddress The sending BridgeAndCall on `originNetwork`; must be the configured peer.
    /// @param originNetwork The network the message (and its asset exit) comes from.
    /// @param data abi.encode(address token, uint256 amount, address vault, address receiver, uint32 assetLeafIndex).
    function onMessageReceived(address originAddress, uint32 originNetwork, bytes calldata data) external nonReentrant {
        _checkMessage(originAddress, originNetwork);
        (address token, uint256 amount, address vault, address receiver, uint32 assetLeafIndex) =
            abi.decode(data, (address, uint256, address, address, uint32));
        uint256 key = bridge.claimKey(originNetwork, assetLeafIndex);
        if (consumed[key]) revert AlreadyConsumed(originNetwork, assetLeafIndex);
        if (!bridge.isClaimed(key)) revert AssetNotClaimed(originNetwork, assetLeafIndex);
        uint256 balance = IERC20(token).balanceOf(address(this));
        if (balance < amount) revert InsufficientBalance(token, balance, amount);
        consumed[key] = true;
        _depositOrForward(originNetwork, assetLeafIndex, IERC20(token), amount, vault, receiver);
    }

    /// @notice The representation on `destNetwork` of `token` of this network, and whether `token` is a wrapped
    /// token here. Wrapped tokens have the same CREATE2 address on every network (the bridge has the same address
    /// everywhere); a token going back to its origin network is the native token there.
    /// @param destNetwork The destination network.
    /// @param token A token of this network.
    /// @return tokenOnDest The token's address on `destNetwork`.
    /// @return isWrapped Whether `token` is a wrapped token of this network's bridge.
    function tokenOn(uint32 destNetwork, address token) public view returns (address tokenOnDest, bool isWrapped) {
        if (token == address(0)) revert GasCoinNotSupported();
        (bool wrapped, uint32 originNetwork, address originAddress) = bridge.wrappedTokenOrigin(token);
        if (!wrapped) (originNetwork, originAddress) = (networkId, token);
        tokenOnDest =
            originNetwork == destNetwork ? originAddress : bridge.wrappedTokenAddress(originNetwork, originAddress);
        if (tokenOnDest == address(0)) revert GasCoinNotSupported();
        isWrapped = wrapped;
    }

    /// @dev Pulls `amount` of `token` from the caller and bridges what arrived to `remote` on `destNetwork`;
    /// returns the asset exit's leaf index and the amount it carries.
    function _pullAndBridgeAsset(IERC20 token, uint256 amount, uint32 destNetwork, address remote, bool isWrapped)
        private
        returns (uint32 assetLeafIndex, uint256 bridged)
    {
        uint256 held = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - held;
        if (isWrapped) {
            // The bridge burns exactly `received` from this contract.
            assetLeafIndex = SafeCast.toUint32(bridge.bridgeAsset(destNetwork, remote, received, address(token)));
            bridged = received;
        } else {
            // The bridge locks what it actually receives (fee-on-transfer tokens): measure it as the bridge does.
            uint256 locked = token.balanceOf(address(bridge));
            token.forceApprove(address(bridge), received);
            assetLeafIndex = SafeCast.toUint32(bridge.bridgeAsset(destNetwork, remote, received, address(token)));
            bridged = token.balanceOf(address(bridge)) - locked;
        }
    }

    /// @dev Deposits `amount` into `vault` for `receiver`; if the vault refuses, transfers the tokens to `receiver`.
    function _depositOrForward(
        uint32 originNetwork,
        uint32 assetLeafIndex,
        IERC20 token,
        uint256 amount,
        address vault,
        address receiver
    ) private {
        uint256 held = token.balanceOf(address(this));
        token.forceApprove(vault, amount);
        uint256 gasBefore = gasleft();
        (bool ok, bytes memory ret) = vault.call(abi.encodeCall(IERC4626.deposit, (amount, receiver)));
        // The callee got at most 63/64 of the gas: this little left means it ran out, not that it refused.
        if (!ok && gasleft() <= gasBefore / 64) revert DepositOutOfGas();
        token.forceApprove(vault, 0);
        // Whatever the vault did not take (all of it when it refused, or is not a contract) goes to the receiver.
        uint256 left = token.balanceOf(address(this));
        uint256 spent = held > left ? held - left : 0;
        if (spent < amount) token.safeTransfer(receiver, amount - spent);
        if (ok && ret.length == 32) {
            emit Deposited(originNetwork, assetLeafIndex, receiver, vault, address(token), amount, abi.decode(ret, (uint256)));
        } else {
            emit DepositFailed(originNetwork, assetLeafIndex, receiver, vault, address(token), amount, ret);
        }
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {BatchSettlement, IBatchCertificateVerifier} from "../settlement/BatchSettlement.sol";

/// @title Test harness: a minimal hub on BatchSettlement. Networks with a sequencer (registered by the deployer,
/// deactivated to stand for an ejection), a layer signer for licences, and an L1 checkpoint table (number => exit
/// root, set by the deployer) in place of the L1 bridge. Signatures use the hub's EIP-712 domain and types (docs/protocol.md §5).
contract BatchSettlementHarness is BatchSettlement, EIP712 {
    bytes32 public constant CERTIFICATE_TYPEHASH =
        keccak256("Certificate(uint32 networkId,uint64 height,uint32 revision,bytes32 certificateId)");
    bytes32 public constant REJECTION_TYPEHASH = keccak256("Rejection(uint32 networkId,uint64 height,uint32 revision)");

    struct Network {
        address sequencer;
        bool active;
    }

    error NotOwner();
    error NetworkAlreadyRegistered(uint32 networkId);

    address public immutable owner;
    address public immutable layerSigner;
    mapping(uint32 networkId => Network) public networks;
    /// @notice L1 checkpoint number => exit root (0: L1 has no such checkpoint).
    mapping(uint256 number => uint256) public checkpoints;

    constructor(
        IBatchCertificateVerifier verifier,
        uint256 genesisStateCommitment_,
        uint256 maxDependencies_,
        uint256 maxBundles_,
        address layerSigner_
    ) BatchSettlement(verifier, genesisStateCommitment_, maxDependencies_, maxBundles_) EIP712("AggregationLayer", "1") {
        owner = msg.sender;
        layerSigner = layerSigner_;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    function registerNetwork(uint32 networkId, address sequencer) external onlyOwner {
        if (networks[networkId].sequencer != address(0)) revert NetworkAlreadyRegistered(networkId);
        networks[networkId] = Network(sequencer, true);
        _initializeTip(networkId);
    }

    function setActive(uint32 networkId, bool active) external onlyOwner {
        networks[networkId].active = active;
    }

    function setCheckpoint(uint256 number, uint256 root) external onlyOwner {
        checkpoints[number] = root;
    }

    function _isActive(uint32 networkId) internal view override returns (bool) {
        return networks[networkId].active;
    }

    function _isSequencerSignature(
        uint32 networkId,
        uint64 height,
        uint32 revision,
        uint256 certificateId,
        bytes calldata signature
    ) internal view override returns (bool) {
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(CERTIFICATE_TYPEHASH, networkId, height, revision, bytes32(certificateId)))
        );
        return _signedBy(networks[networkId].sequencer, digest, signature);
    }

    function _isLicensed(uint32 networkId, uint64 height, uint32 revision, bytes calldata licence)
        internal
        view
        override
        returns (bool)
    {
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(REJECTION_TYPEHASH, networkId, height, revision - 1)));
        return _signedBy(layerSigner, digest, licence);
    }

    function _l1ExitRoot(uint256 number) internal view override returns (uint256) {
        return checkpoints[number];
    }

    /// @dev As SettlementHub: malformed signatures (length, high s, bad v) are refused; a signer is never 0.
    function _signedBy(address signer, bytes32 digest, bytes calldata signature) private pure returns (bool) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        return err == ECDSA.RecoverError.NoError && recovered == signer && signer != address(0);
    }
}

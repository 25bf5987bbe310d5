// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title A verifier of aggregation proofs for one slot capacity S (docs/protocol.md §9).
/// @notice Implemented by the Groth16 adapters generated from the aggregation circuits; the settlement hub holds one
/// per slot capacity. `publicInputs` has 3 * S + 4 field elements: oldGlobalRoot, newGlobalRoot, l1CheckpointNumber,
/// l1ExitRoot, then (slotWord, certificateId, newLocalExitRoot) per slot, zeros for unused slots.
interface IAggregationVerifier {
    /// @notice Whether `proof` (Groth16: a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y) proves the circuit's statement for `publicInputs`.
    /// @param proof The proof's eight coordinates.
    /// @param publicInputs The public inputs in circuit order.
    /// @return True when the proof is valid.
    function verifyProof(uint256[8] calldata proof, uint256[] calldata publicInputs) external view returns (bool);

    /// @notice Whether the verifier's keys come from a development setup whose trapdoor is public (anyone can forge
    /// proofs it accepts). A hub not deployed for development refuses such a verifier.
    function developmentKeys() external view returns (bool);
}

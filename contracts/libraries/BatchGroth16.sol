// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Batched verification of Groth16 proofs (BN254) of one verification key, with one pairing check.
/// @notice Verifies n proofs of one circuit at once. Each proof (A_i, B_i, C_i) with public inputs x_i satisfies
/// e(A_i, B_i) = e(alpha, beta) * e(vk_x_i, gamma) * e(C_i, delta), where vk_x_i = IC_0 + sum_j x_ij * IC_j. The
/// batch multiplies the n equations raised to random weights r_i and checks the product with one call to the
/// pairing precompile (0x08) over n + 3 pairs:
///
///     prod_i e(r_i * A_i, B_i) == e(R * alpha, beta) * e(sum_i r_i * vk_x_i, gamma) * e(sum_i r_i * C_i, delta)
///
/// with R = sum_i r_i and sum_i r_i * vk_x_i = R * IC_0 + sum_j (sum_i r_i * x_ij mod r) * IC_j: the public inputs
/// cost m + 1 scalar multiplications for the whole batch, not per proof. Per proof the batch costs two scalar
/// multiplications (r_i * A_i, r_i * C_i), one addition and one pairing pair.
///
/// Weights: r_i = the low 128 bits of keccak256(seed, i) (1 if they are zero), where seed = keccak256(n, every
/// proof, every public input): a function of everything verified and of nothing else (no block data), fixed only
/// once the proofs and inputs are. If any proof of the batch is invalid, the batched equation holds for at most one
/// value of that proof's weight given the others, so a batch with an invalid proof passes with probability about
/// 2^-128 per choice of its contents; finding contents that pass means trying about 2^128 hashes.
///
/// Encoding (snarkjs): a proof is `uint256[8]` = [A.x, A.y, B.x_im, B.x_re, B.y_im, B.y_re, C.x, C.y], B's
/// coordinates in the order the generated snarkjs verifiers pass them to the pairing precompile (the imaginary part
/// first; `solidityProofOf` in zk/groth16.ts). The proofs are a `uint256[8][] calldata`: a static inner type, so
/// the n proofs are 8n consecutive words without per-proof offsets, hashed for the seed in one piece. The public
/// inputs are one `uint256[] calldata` of n * m words, proof i's inputs at [i * m, (i + 1) * m).
///
/// Malformed input is refused with a typed error, before any precompile can fail on it (a failing precompile
/// consumes all the gas it was given): public inputs must be < r, coordinates < q, A and C on the curve
/// y^2 = x^3 + 3 and B on its twist. The point at infinity ((0, 0), or four zeros for B) is refused: an honest
/// prover produces it with negligible probability. B's membership of the order-r subgroup is checked by the pairing
/// precompile only (a check in Solidity would cost more than the pairing); a B outside it makes the precompile fail
/// and the call revert with `PrecompileFailed(0x08)`.
///
/// The verification key is trusted (it comes from a generated contract, scripts/gen-batch-vk.ts); it is not
/// validated beyond the length of IC.
library BatchGroth16 {
    /// @notice Order of the BN254 groups: the scalar field of the circuits, the modulus of the public inputs.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Modulus of the base field: every coordinate is below it.
    uint256 internal constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

    /// @dev b' = 3 / (9 + u) of the twist y^2 = x^3 + b' over Fp2 = Fp[u] / (u^2 + 1), real and imaginary parts.
    uint256 private constant TWIST_B_RE = 19485874751759354771024239261021720505790618469301721065564631296452457478373;
    uint256 private constant TWIST_B_IM = 266929791119991161246907387137283842545076965332900288569378510910307636690;

    /// @notice A Groth16 verification key. G1 points are [x, y]; G2 points are [x_im, x_re, y_im, y_re] (the
    /// precompile's order, as in the proofs). `ic` holds m + 1 points for m public inputs per proof.
    struct VerifyingKey {
        uint256[2] alpha;
        uint256[4] beta;
        uint256[4] gamma;
        uint256[4] delta;
        uint256[2][] ic;
    }

    /// @notice Thrown when no proof is given.
    error EmptyBatch();
    /// @notice Thrown when the verification key has no IC point (it needs m + 1 of them).
    error KeyWithoutIC();
    /// @notice Thrown when the number of public inputs is not n * m.
    error PublicInputsLengthMismatch(uint256 expected, uint256 given);
    /// @notice Thrown when a public input (index in the flat array) is not below the scalar field's modulus r.
    error PublicInputNotInField(uint256 index, uint256 value);
    /// @notice Thrown when word `word` (0..7) of proof `proofIndex` is not below the base field's modulus q.
    error CoordinateNotInField(uint256 proofIndex, uint256 word, uint256 value);
    /// @notice Thrown when point `point` (0: A, 1: B, 2: C) of proof `proofIndex` is not on its curve.
    error PointNotOnCurve(uint256 proofIndex, uint256 point);
    /// @notice Thrown when a precompile (0x06 ecAdd, 0x07 ecMul, 0x08 pairing) fails: not reachable with checked
    /// proofs and a well-formed key, except for a B outside the order-r subgroup (pairing).
    error PrecompileFailed(uint256 precompile);

    /// @notice Whether all `proofs` are valid for `vk` with their public inputs (see the encoding above). Returns
    /// false when the batched pairing check fails (some proof is invalid, with overwhelming probability); reverts
    /// with a typed error on malformed input.
    function verify(VerifyingKey memory vk, uint256[8][] calldata proofs, uint256[] calldata publicInputs) internal view returns (bool) {
        uint256 n = proofs.length;
        if (n == 0) revert EmptyBatch();
        if (vk.ic.length == 0) revert KeyWithoutIC();
        uint256 m = vk.ic.length - 1;
        if (publicInputs.length != n * m) revert PublicInputsLengthMismatch(n * m, publicInputs.length);
        bytes32 seed = batchSeed(proofs, publicInputs);

        // Pairing input: n + 3 pairs of 6 words, [G1 x, G1 y, G2 x_im, G2 x_re, G2 y_im, G2 y_re] each. Pairs 0..n-1
        // are (r_i * A_i, B_i); then (-R * alpha, beta), (-sum r_i * vk_x_i, gamma), (-sum r_i * C_i, delta).
        uint256[] memory pairs = new uint256[](6 * (n + 3));
        // inputSums[j] = sum_i r_i * x_ij mod r.
        uint256[] memory inputSums = new uint256[](m);
        uint256 base = 6 * n;
        uint256 weightSum;
        for (uint256 i = 0; i < n; ++i) {
            uint256 w = weight(seed, i);
            // unchecked: each weight is below 2^128 and there are fewer than 2^64 proofs (calldata), so the sum
            // stays below 2^192.
            unchecked {
                weightSum += w;
            }
            _proofTerms(i, proofs[i], w, pairs, base + 12);
            _accumulateInputs(inputSums, publicInputs, i * m, w);
        }
        pairs[base + 13] = _neg(pairs[base + 13]);
        _storeG2(pairs, base + 12, vk.delta);

        _keyTerms(vk, weightSum, inputSums, pairs, base);

        bool ok;
        uint256 result;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x08, add(pairs, 0x20), mul(mload(pairs), 0x20), 0x00, 0x20)
            result := mload(0x00)
        }
        if (!ok) revert PrecompileFailed(0x08);
        return result == 1;
    }

    /// @notice keccak256 of n, the proofs' 8n words and the public inputs' words, as laid out in calldata.
    function batchSeed(uint256[8][] calldata proofs, uint256[] calldata publicInputs) internal pure returns (bytes32 seed) {
        assembly ("memory-safe") {
            // Temporary use of the memory past the free memory pointer (not allocated: nothing outlives the hash).
            let ptr := mload(0x40)
            mstore(ptr, proofs.length)
            let proofBytes := mul(proofs.length, 0x100)
            calldatacopy(add(ptr, 0x20), proofs.offset, proofBytes)
            let inputBytes := mul(publicInputs.length, 0x20)
            calldatacopy(add(add(ptr, 0x20), proofBytes), publicInputs.offset, inputBytes)
            seed := keccak256(ptr, add(0x20, add(proofBytes, inputBytes)))
        }
    }

    /// @notice The weight of proof `i`: the low 128 bits of keccak256(seed, i), or 1 if they are all zero.
    function weight(bytes32 seed, uint256 i) internal pure returns (uint256 w) {
        assembly ("memory-safe") {
            // keccak256(abi.encode(seed, i)) in the scratch space (no memory allocated per proof).
            mstore(0x00, seed)
            mstore(0x20, i)
            w := and(keccak256(0x00, 0x40), 0xffffffffffffffffffffffffffffffff)
        }
        if (w == 0) w = 1;
    }

    /// @dev Refuses a proof whose words are not field elements or whose points are not on their curves.
    function _checkProof(uint256 i, uint256[8] calldata p) private pure {
        uint256 bad = 8;
        assembly ("memory-safe") {
            for {
                let k := 0
            } lt(k, 8) {
                k := add(k, 1)
            } {
                if iszero(lt(calldataload(add(p, shl(5, k))), Q)) {
                    bad := k
                    break
                }
            }
        }
        if (bad < 8) revert CoordinateNotInField(i, bad, p[bad]);
        if (!_onG1(p[0], p[1])) revert PointNotOnCurve(i, 0);
        if (!_onTwist(p[2], p[3], p[4], p[5])) revert PointNotOnCurve(i, 1);
        if (!_onG1(p[6], p[7])) revert PointNotOnCurve(i, 2);
    }

    /// @dev y^2 == x^3 + 3 (mod q), for coordinates already below q. False for (0, 0).
    function _onG1(uint256 x, uint256 y) private pure returns (bool) {
        return mulmod(y, y, Q) == addmod(mulmod(mulmod(x, x, Q), x, Q), 3, Q);
    }

    /// @dev y^2 == x^3 + b' in Fp2 (u^2 = -1), for coordinates already below q. False for four zeros.
    function _onTwist(uint256 xIm, uint256 xRe, uint256 yIm, uint256 yRe) private pure returns (bool) {
        // Q - mulmod(..) is at most Q (when the product is 0), and addmod reduces it: no underflow, exact mod q.
        uint256 y2Re = addmod(mulmod(yRe, yRe, Q), Q - mulmod(yIm, yIm, Q), Q);
        uint256 y2Im = mulmod(2, mulmod(yRe, yIm, Q), Q);
        uint256 x2Re = addmod(mulmod(xRe, xRe, Q), Q - mulmod(xIm, xIm, Q), Q);
        uint256 x2Im = mulmod(2, mulmod(xRe, xIm, Q), Q);
        uint256 x3Re = addmod(mulmod(x2Re, xRe, Q), Q - mulmod(x2Im, xIm, Q), Q);
        uint256 x3Im = addmod(mulmod(x2Re, xIm, Q), mulmod(x2Im, xRe, Q), Q);
        return y2Re == addmod(x3Re, TWIST_B_RE, Q) && y2Im == addmod(x3Im, TWIST_B_IM, Q);
    }

    /// @dev -y in Fp for y < q (0 stays 0).
    function _neg(uint256 y) private pure returns (uint256) {
        return y == 0 ? 0 : Q - y;
    }

    /// @dev sums[j] += w * inputs[row + j] (mod r) for j < sums.length, refusing an input that is not below r
    /// (PublicInputNotInField with its index in the flat array). The caller guarantees row + sums.length <=
    /// inputs.length (inputs.length == n * m, row = i * m, i < n), so the calldata reads stay in the array. Every
    /// input of the batch passes here once (proof i's row when proof i is processed), so every input is checked
    /// before the pairing. A zero input adds nothing and is below r: it costs only its read and test, which matters
    /// since most of a certificate's inputs are padding (unused dependency and bundle entries are zero). One loop
    /// for both the check and the sum: a separate checking loop cost about 50 gas more per input.
    function _accumulateInputs(uint256[] memory sums, uint256[] calldata inputs, uint256 row, uint256 w) private pure {
        uint256 bad = type(uint256).max;
        assembly ("memory-safe") {
            let start := add(inputs.offset, shl(5, row))
            let src := start
            let dst := add(sums, 0x20)
            for {
                let end := add(dst, shl(5, mload(sums)))
            } lt(dst, end) {
                dst := add(dst, 0x20)
                src := add(src, 0x20)
            } {
                let x := calldataload(src)
                if x {
                    if iszero(lt(x, R)) {
                        bad := add(row, shr(5, sub(src, start)))
                        break
                    }
                    mstore(dst, addmod(mload(dst), mulmod(w, x, R), R))
                }
            }
        }
        if (bad != type(uint256).max) revert PublicInputNotInField(bad, inputs[bad]);
    }

    /// @dev Writes the pairs (-R * alpha, beta) at word `base` and (-(R * IC_0 + sum_j inputSums[j] * IC_{j+1}), gamma)
    /// at word `base + 6` of `pairs`.
    function _keyTerms(VerifyingKey memory vk, uint256 weightSum, uint256[] memory inputSums, uint256[] memory pairs, uint256 base) private view {
        (uint256 ax, uint256 ay) = _ecMul(vk.alpha[0], vk.alpha[1], weightSum);
        (pairs[base], pairs[base + 1]) = (ax, _neg(ay));
        _storeG2(pairs, base, vk.beta);

        (uint256 vx, uint256 vy) = _ecMul(vk.ic[0][0], vk.ic[0][1], weightSum);
        for (uint256 j = 0; j < inputSums.length; ++j) {
            // A zero weighted sum (an input that is 0 in every proof of the batch, e.g. a padded dependency) adds
            // 0 * IC_{j+1}, the point at infinity: skipping it changes nothing and saves an ecMul and an ecAdd.
            if (inputSums[j] == 0) continue;
            (uint256 tx, uint256 ty) = _ecMul(vk.ic[j + 1][0], vk.ic[j + 1][1], inputSums[j]);
            (vx, vy) = _ecAdd(vx, vy, tx, ty);
        }
        (pairs[base + 6], pairs[base + 7]) = (vx, _neg(vy));
        _storeG2(pairs, base + 6, vk.gamma);
    }

    /// @dev Checks proof `i`, writes its pair (w * A, B) at word 6i of `pairs` and adds w * C to the G1 point at
    /// word `cAt` (the delta pair's, which proof 0 initializes).
    function _proofTerms(uint256 i, uint256[8] calldata p, uint256 w, uint256[] memory pairs, uint256 cAt) private view {
        _checkProof(i, p);
        uint256 failed;
        assembly ("memory-safe") {
            // Pair i: w * A computed in place (A and w as the precompile's input, the product over A), then B copied
            // over the rest (the word that held w included). Everything written lies inside `pairs` (6 words per
            // pair; i < n and the array has 6 * (n + 3) words).
            let pair := add(add(pairs, 0x20), mul(i, 0xc0))
            calldatacopy(pair, p, 0x40)
            mstore(add(pair, 0x40), w)
            if iszero(staticcall(gas(), 0x07, pair, 0x60, pair, 0x40)) {
                failed := 0x07
            }
            calldatacopy(add(pair, 0x40), add(p, 0x40), 0x80)
            // w * C in temporary memory past the free memory pointer (4 words), then added to the accumulator at
            // word cAt of `pairs` (proof 0 initializes it).
            let acc := add(add(pairs, 0x20), shl(5, cAt))
            let tmp := mload(0x40)
            calldatacopy(tmp, add(p, 0xc0), 0x40)
            mstore(add(tmp, 0x40), w)
            if iszero(staticcall(gas(), 0x07, tmp, 0x60, tmp, 0x40)) {
                failed := 0x07
            }
            switch i
            case 0 {
                mcopy(acc, tmp, 0x40)
            }
            default {
                mcopy(add(tmp, 0x40), acc, 0x40)
                if iszero(staticcall(gas(), 0x06, tmp, 0x80, acc, 0x40)) {
                    failed := 0x06
                }
            }
        }
        if (failed != 0) revert PrecompileFailed(failed);
    }

    /// @dev Writes the G2 point `g2` into the pair at word `o` of `pairs` (words o + 2 .. o + 5).
    function _storeG2(uint256[] memory pairs, uint256 o, uint256[4] memory g2) private pure {
        (pairs[o + 2], pairs[o + 3], pairs[o + 4], pairs[o + 5]) = (g2[0], g2[1], g2[2], g2[3]);
    }

    /// @dev s * (x, y) with the ecMul precompile (0x07), 6,000 gas.
    function _ecMul(uint256 x, uint256 y, uint256 s) private view returns (uint256 rx, uint256 ry) {
        bool ok;
        assembly ("memory-safe") {
            // Temporary use of the memory past the free memory pointer: 3 words in, 2 words out.
            let ptr := mload(0x40)
            mstore(ptr, x)
            mstore(add(ptr, 0x20), y)
            mstore(add(ptr, 0x40), s)
            ok := staticcall(gas(), 0x07, ptr, 0x60, ptr, 0x40)
            rx := mload(ptr)
            ry := mload(add(ptr, 0x20))
        }
        if (!ok) revert PrecompileFailed(0x07);
    }

    /// @dev (x1, y1) + (x2, y2) with the ecAdd precompile (0x06), 150 gas.
    function _ecAdd(uint256 x1, uint256 y1, uint256 x2, uint256 y2) private view returns (uint256 rx, uint256 ry) {
        bool ok;
        assembly ("memory-safe") {
            // Temporary use of the memory past the free memory pointer: 4 words in, 2 words out.
            let ptr := mload(0x40)
            mstore(ptr, x1)
            mstore(add(ptr, 0x20), y1)
            mstore(add(ptr, 0x40), x2)
            mstore(add(ptr, 0x60), y2)
            ok := staticcall(gas(), 0x06, ptr, 0x80, ptr, 0x40)
            rx := mload(ptr)
            ry := mload(add(ptr, 0x20))
        }
        if (!ok) revert PrecompileFailed(0x06);
    }
}

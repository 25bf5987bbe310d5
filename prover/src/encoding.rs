//! Byte encodings of BN254 field elements and points as circom and snarkjs write them.
//!
//! - Scalars in `.r1cs` and `.wtns`: 32 bytes, little-endian, standard (canonical) form.
//! - Points in `.zkey`: affine coordinates, each base-field element 32 bytes little-endian in Montgomery form
//!   (`x·R mod q`, R = 2^256); G2 coordinates as (c0, c1). The point at infinity is all zeros.
//!   arkworks keeps field elements in the same Montgomery form with the same R (four 64-bit limbs), so a
//!   coordinate is taken over limb for limb, without conversion.
//! - Coefficients in the zkey's section 4: `c·R² mod r` in standard form (what snarkjs's prover expects).

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, BigInteger, Field, PrimeField};

pub const N8: usize = 32;
pub const G1_BYTES: usize = 2 * N8;
pub const G2_BYTES: usize = 4 * N8;

fn limbs(b: &[u8]) -> [u64; 4] {
    let mut l = [0u64; 4];
    for (i, x) in l.iter_mut().enumerate() {
        *x = u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
    }
    l
}

fn le_bytes(l: &[u64; 4], out: &mut [u8]) {
    for (i, x) in l.iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&x.to_le_bytes());
    }
}

/// A scalar in standard form; None when it is not below the modulus.
pub fn fr_from_le(b: &[u8]) -> Option<Fr> {
    Fr::from_bigint(BigInt::new(limbs(b)))
}

pub fn fr_to_le(x: &Fr, out: &mut [u8]) {
    le_bytes(&x.into_bigint().0, out)
}

/// The modulus of a field as the 32 little-endian bytes circom and snarkjs write in their headers.
pub fn modulus_le<F: PrimeField<BigInt = BigInt<4>>>() -> [u8; 32] {
    let mut out = [0u8; 32];
    le_bytes(&F::MODULUS.0, &mut out);
    out
}

fn fq_from_mont(b: &[u8]) -> Option<Fq> {
    let l = BigInt::new(limbs(b));
    // A Montgomery representative must be below q as well.
    if l >= Fq::MODULUS {
        return None;
    }
    Some(Fq::new_unchecked(l))
}

fn fq_to_mont(x: &Fq, out: &mut [u8]) {
    le_bytes(&x.0 .0, out)
}

/// A G1 point from 64 bytes of Montgomery coordinates. Checks the curve equation (cheap); the subgroup check
/// is left out because G1 of BN254 has cofactor 1.
pub fn g1_from_mont(b: &[u8]) -> Option<G1Affine> {
    if b.iter().all(|&x| x == 0) {
        return Some(G1Affine::zero());
    }
    let p = G1Affine::new_unchecked(fq_from_mont(&b[0..32])?, fq_from_mont(&b[32..64])?);
    p.is_on_curve().then_some(p)
}

/// A G2 point from 128 bytes. On-curve is checked; membership in the prime-order subgroup only where the
/// caller asks (it costs a scalar multiplication per point).
pub fn g2_from_mont(b: &[u8], check_subgroup: bool) -> Option<G2Affine> {
    if b.iter().all(|&x| x == 0) {
        return Some(G2Affine::zero());
    }
    let x = Fq2::new(fq_from_mont(&b[0..32])?, fq_from_mont(&b[32..64])?);
    let y = Fq2::new(fq_from_mont(&b[64..96])?, fq_from_mont(&b[96..128])?);
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() || (check_subgroup && !p.is_in_correct_subgroup_assuming_on_curve()) {
        return None;
    }
    Some(p)
}

pub fn g1_to_mont(p: &G1Affine, out: &mut [u8]) {
    match p.xy() {
        None => out[..G1_BYTES].fill(0),
        Some((x, y)) => {
            fq_to_mont(&x, &mut out[0..32]);
            fq_to_mont(&y, &mut out[32..64]);
        }
    }
}

pub fn g2_to_mont(p: &G2Affine, out: &mut [u8]) {
    match p.xy() {
        None => out[..G2_BYTES].fill(0),
        Some((x, y)) => {
            fq_to_mont(&x.c0, &mut out[0..32]);
            fq_to_mont(&x.c1, &mut out[32..64]);
            fq_to_mont(&y.c0, &mut out[64..96]);
            fq_to_mont(&y.c1, &mut out[96..128]);
        }
    }
}

/// `c·R² mod r`, the form of the zkey's coefficient section.
pub fn coef_for_zkey(c: &Fr) -> Fr {
    let r = Fr::from(2u64).pow([256u64]); // R mod r
    *c * r.square()
}

/// Decimal string of a field element (canonical form), as snarkjs writes numbers in JSON.
pub fn dec<F: PrimeField>(x: &F) -> String {
    let b = x.into_bigint();
    if b.is_zero() {
        "0".to_string()
    } else {
        b.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::{CurveGroup, PrimeGroup};

    #[test]
    fn points_round_trip_through_montgomery_bytes() {
        let g = (ark_bn254::G1Projective::generator() * Fr::from(12345u64)).into_affine();
        let mut b = [0u8; G1_BYTES];
        g1_to_mont(&g, &mut b);
        assert_eq!(g1_from_mont(&b), Some(g));
        let h = (ark_bn254::G2Projective::generator() * Fr::from(777u64)).into_affine();
        let mut c = [0u8; G2_BYTES];
        g2_to_mont(&h, &mut c);
        assert_eq!(g2_from_mont(&c, true), Some(h));
        let mut z = [0u8; G1_BYTES];
        g1_to_mont(&G1Affine::zero(), &mut z);
        assert!(z.iter().all(|&x| x == 0));
        assert_eq!(g1_from_mont(&z), Some(G1Affine::zero()));
    }

    #[test]
    fn off_curve_and_out_of_range_coordinates_are_refused() {
        let g = ark_bn254::G1Projective::generator().into_affine();
        let mut b = [0u8; G1_BYTES];
        g1_to_mont(&g, &mut b);
        b[40] ^= 1;
        assert_eq!(g1_from_mont(&b), None);
        let mut big = [0xffu8; G1_BYTES];
        big[63] = 0xff;
        assert_eq!(g1_from_mont(&big), None);
    }

    #[test]
    fn scalars_must_be_canonical() {
        let mut b = modulus_le::<Fr>();
        assert_eq!(fr_from_le(&b), None);
        b[0] -= 1;
        assert_eq!(fr_from_le(&b), Some(-Fr::from(1u64)));
    }
}

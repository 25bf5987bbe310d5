//! Groth16 proving with a snarkjs key (setup.rs explains the H points this relies on), and the pairing
//! check every proof passes before it is handed out.

use crate::error::{mismatch, Error, Kind, Result};
use crate::msm::msm;
use crate::r1cs::R1cs;
use crate::setup::domain;
use crate::zkey::ProvingKey;
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{FftField, One, PrimeField, Zero};
use ark_poly::EvaluationDomain;
use rayon::prelude::*;
use std::time::Instant;

pub struct Proof {
    pub a: G1Affine,
    pub b: G2Affine,
    pub c: G1Affine,
}

#[derive(Default)]
pub struct Timings {
    pub check_ms: f64,
    pub qap_ms: f64,
    pub msm_ms: f64,
    pub verify_ms: f64,
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// A uniform scalar from the operating system's randomness (the proof's blinding factors r and s): 64 random
/// bytes reduced mod r, whose bias (below 2^-250) is negligible.
fn random_scalar() -> Fr {
    let mut b = [0u8; 64];
    getrandom::getrandom(&mut b).expect("the operating system's random source failed");
    Fr::from_le_bytes_mod_order(&b)
}

/// Evaluations of A·w and B·w on the n-domain (rows past the constraints: the public signals, for A).
fn abc_on_domain(cs: &R1cs, w: &[Fr], n: usize) -> (Vec<Fr>, Vec<Fr>, Vec<Fr>) {
    let m = cs.n_constraints;
    let mut a = vec![Fr::zero(); n];
    let mut b = vec![Fr::zero(); n];
    a[..m].par_iter_mut().enumerate().for_each(|(c, x)| *x = cs.a.eval_row(c, w));
    b[..m].par_iter_mut().enumerate().for_each(|(c, x)| *x = cs.b.eval_row(c, w));
    for s in 0..=cs.n_public() {
        a[m + s] = w[s];
    }
    // C·w equals A·w * B·w on every row of a satisfying witness (checked before), public rows included.
    let c = a.par_iter().zip(b.par_iter()).map(|(x, y)| *x * y).collect();
    (a, b, c)
}

/// p = A·B − C on the odd points of the 2n-domain, i.e. on the coset g·H_n with g a primitive 2n-th root.
fn h_on_coset(cs: &R1cs, w: &[Fr], n: usize) -> Result<Vec<Fr>> {
    let d = domain(n)?;
    let g = Fr::get_root_of_unity(2 * n as u64).expect("2n-th root of unity");
    let coset = d.get_coset(g).expect("coset");
    let (mut a, mut b, mut c) = abc_on_domain(cs, w, n);
    let to_coset = |v: &mut Vec<Fr>| {
        d.ifft_in_place(v);
        coset.fft_in_place(v);
    };
    rayon::join(|| to_coset(&mut a), || rayon::join(|| to_coset(&mut b), || to_coset(&mut c)));
    Ok(a.par_iter().zip(b.par_iter()).zip(c.par_iter()).map(|((x, y), z)| *x * y - z).collect())
}

pub fn prove(pk: &ProvingKey, cs: &R1cs, w: &[Fr]) -> Result<(Proof, Vec<Fr>, Timings)> {
    let mut tm = Timings::default();
    if w.len() != cs.n_wires {
        return Err(mismatch(format!(
            "the witness has {} values, the circuit has {} wires: it was computed for another circuit",
            w.len(),
            cs.n_wires
        )));
    }
    let t0 = Instant::now();
    if let Some(c) = cs.first_unsatisfied(w) {
        return Err(Error::new(
            Kind::Unsatisfied,
            format!("the witness does not satisfy constraint {c} of {} of the circuit", cs.n_constraints),
        ));
    }
    tm.check_ms = ms(t0);

    let t1 = Instant::now();
    let h = h_on_coset(cs, w, pk.domain_size)?;
    tm.qap_ms = ms(t1);

    let t2 = Instant::now();
    let wb: Vec<_> = w.par_iter().map(|x| x.into_bigint()).collect();
    let hb: Vec<_> = h.par_iter().map(|x| x.into_bigint()).collect();
    let priv_w = &wb[pk.n_public + 1..];
    let prof = std::env::var("ZK_PROVER_PROFILE").is_ok();
    let timed = |name: &str, t: Instant| {
        if prof {
            eprintln!("  {name}: {:.1} ms", ms(t))
        }
    };
    let t = Instant::now();
    let msm_a = msm(&pk.a, &wb);
    timed("A", t);
    let t = Instant::now();
    let msm_b1 = msm(&pk.b1, &wb);
    timed("B1", t);
    let t = Instant::now();
    let msm_b2 = msm(&pk.b2, &wb);
    timed("B2", t);
    let t = Instant::now();
    let msm_c = msm(&pk.c, priv_w);
    timed("C", t);
    let t = Instant::now();
    let msm_h = msm(&pk.h, &hb);
    timed("H", t);

    let r = random_scalar();
    let s = random_scalar();
    let pi_a = pk.alpha1.into_group() + msm_a + pk.delta1 * r;
    let pi_b = pk.beta2.into_group() + msm_b2 + pk.delta2 * s;
    let pi_b1 = pk.beta1.into_group() + msm_b1 + pk.delta1 * s;
    let pi_c = msm_c + msm_h + pi_a * s + pi_b1 * r - pk.delta1 * (r * s);
    let proof = Proof { a: pi_a.into_affine(), b: pi_b.into_affine(), c: pi_c.into_affine() };
    tm.msm_ms = ms(t2);

    let public = w[1..=pk.n_public].to_vec();
    let t3 = Instant::now();
    if !verify(pk, &proof, &public) {
        return Err(Error::new(
            Kind::ProofInvalid,
            "the proof does not verify against the proving key's verification key: the key was not made for this circuit, or it is corrupted",
        ));
    }
    tm.verify_ms = ms(t3);
    Ok((proof, public, tm))
}

/// e(A, B) = e(alpha, beta) · e(IC(public), gamma) · e(C, delta).
pub fn verify(pk: &ProvingKey, p: &Proof, public: &[Fr]) -> bool {
    if public.len() != pk.n_public || p.a.is_zero() || p.b.is_zero() || p.c.is_zero() {
        return false;
    }
    let vk_x = pk.ic[0].into_group() + G1Projective::msm(&pk.ic[1..], public).expect("lengths checked");
    let lhs = Bn254::multi_pairing(
        [(-p.a.into_group()).into_affine(), pk.alpha1, vk_x.into_affine(), p.c],
        [p.b, pk.beta2, pk.gamma2, pk.delta2],
    );
    lhs.0.is_one()
}

#[cfg(test)]
mod tests {
    // End-to-end tests (setup, prove, tampering) run on real circuits from the TypeScript side
    // (test/zk/native.test.ts); here only what needs no circuit file.
    use super::*;

    #[test]
    fn os_rng_gives_distinct_scalars() {
        let a = random_scalar();
        let b = random_scalar();
        assert_ne!(a, b);
        assert!(!a.is_zero());
    }
}

//! DEVELOPMENT-ONLY Groth16 setup straight from the R1CS, with no powers of tau.
//!
//! The trapdoor (tau, alpha, beta, gamma, delta) is derived from a PUBLIC seed text and the circuit's
//! sha256, so every machine computes byte-identical keys (the checked-in verifiers stay reproducible) and
//! ANYONE can recompute the trapdoor and forge proofs these keys accept. Never use such a key where
//! anything of value depends on it; production keys come from a phase-2 ceremony (snarkjs, ZK_PTAU_FILE).
//!
//! The key has snarkjs's layout (zkey.rs), so snarkjs's prover, its verification-key and Solidity exports,
//! and this crate's prover all use it unchanged. With u_j, v_j, w_j the wire polynomials of A, B, C
//! evaluated at tau (A gets the extra rows nConstraints + s for the public signals s, like snarkjs):
//!   A_j = u_j·G1, B1_j = v_j·G1, B2_j = v_j·G2,
//!   IC_j = (beta·u_j + alpha·v_j + w_j)/gamma·G1 (public j), C_j = (...)/delta·G1 (private j),
//!   H_i = L'_{2i+1}(tau)/delta·G1, L' the Lagrange basis of the domain of size 2n.
//! H is what lets the prover skip the division by the vanishing polynomial: it evaluates
//! p = A·B − C on the odd points of the 2n-domain (the coset where Z_n does not vanish); p has degree
//! < 2n and vanishes on the even points (the n-domain) for a satisfying witness, so
//! sum_i p(x_{2i+1})·L'_{2i+1}(tau) = p(tau) = h(tau)·Z_n(tau), the term Groth16 needs in C.

use crate::error::{malformed, Result};
use crate::r1cs::R1cs;
use crate::zkey::ProvingKey;
use ark_bn254::{Fr, G1Projective, G2Projective};
use ark_ec::scalar_mul::BatchMulPreprocessing;
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ff::{Field, PrimeField, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use rayon::prelude::*;
use sha2::{Digest, Sha512};

/// The default public seed. Changing it changes every development key (and the checked-in verifiers).
pub const DEV_SEED: &str = "zk-agglayer development setup: toxic waste is public";

pub struct Trapdoor {
    pub tau: Fr,
    pub alpha: Fr,
    pub beta: Fr,
    pub gamma: Fr,
    pub delta: Fr,
}

/// x_label = SHA-512("zk-prover dev setup v1" 0x00 seed 0x00 sha256(r1cs) label) as a little-endian
/// integer, reduced mod r. Written down in docs/circuits.md so the keys can be recomputed elsewhere.
fn derive(seed: &str, circuit: &[u8; 32], label: &str) -> Fr {
    let mut h = Sha512::new();
    h.update(b"zk-prover dev setup v1\0");
    h.update(seed.as_bytes());
    h.update([0u8]);
    h.update(circuit);
    h.update(label.as_bytes());
    Fr::from_le_bytes_mod_order(&h.finalize())
}

pub fn trapdoor(seed: &str, circuit: &[u8; 32]) -> Trapdoor {
    let t = Trapdoor {
        tau: derive(seed, circuit, "tau"),
        alpha: derive(seed, circuit, "alpha"),
        beta: derive(seed, circuit, "beta"),
        gamma: derive(seed, circuit, "gamma"),
        delta: derive(seed, circuit, "delta"),
    };
    // A zero would break the key; with SHA-512 outputs this does not happen, but say so if it ever did.
    assert!(![t.tau, t.alpha, t.beta, t.gamma, t.delta].iter().any(|x| x.is_zero()), "degenerate trapdoor");
    t
}

pub fn domain(n: usize) -> Result<Radix2EvaluationDomain<Fr>> {
    match Radix2EvaluationDomain::<Fr>::new(n) {
        // 2n must exist too (the H points use the 2n-domain): BN254's two-adicity is 28.
        Some(d) if d.size() == n && n < (1 << 28) => Ok(d),
        _ => Err(malformed(format!("a QAP domain of {n} points is beyond what BN254 supports (2^27)"))),
    }
}

pub fn setup(cs: &R1cs, seed: &str) -> Result<ProvingKey> {
    let t = trapdoor(seed, &cs.sha256());
    let n = cs.domain_size();
    let m = cs.n_constraints;
    let n_pub = cs.n_public();
    let d = domain(n)?;
    let d2 = domain(2 * n)?;
    let lag = d.evaluate_all_lagrange_coefficients(t.tau);
    let lag2 = d2.evaluate_all_lagrange_coefficients(t.tau);

    // Wire polynomials at tau: u_j = sum_c A[c][j]·L_c(tau), likewise v (B) and w (C).
    let mut u = vec![Fr::zero(); cs.n_wires];
    let mut v = vec![Fr::zero(); cs.n_wires];
    let mut w = vec![Fr::zero(); cs.n_wires];
    for c in 0..m {
        for (j, k) in cs.a.row(c) {
            u[j] += lag[c] * k;
        }
        for (j, k) in cs.b.row(c) {
            v[j] += lag[c] * k;
        }
        for (j, k) in cs.c.row(c) {
            w[j] += lag[c] * k;
        }
    }
    for s in 0..=n_pub {
        u[s] += lag[m + s];
    }

    let gamma_inv = t.gamma.inverse().unwrap();
    let delta_inv = t.delta.inverse().unwrap();
    let k: Vec<Fr> = (0..cs.n_wires).into_par_iter().map(|j| t.beta * u[j] + t.alpha * v[j] + w[j]).collect();
    let ic: Vec<Fr> = k[..=n_pub].iter().map(|x| *x * gamma_inv).collect();
    let c: Vec<Fr> = k[n_pub + 1..].par_iter().map(|x| *x * delta_inv).collect();
    let h: Vec<Fr> = (0..n).into_par_iter().map(|i| lag2[2 * i + 1] * delta_inv).collect();

    // One fixed-base table for all G1 scalars, one for G2.
    let g1_scalars: Vec<Fr> = [&u[..], &v[..], &ic[..], &c[..], &h[..]].concat();
    let g1 = BatchMulPreprocessing::new(G1Projective::generator(), g1_scalars.len()).batch_mul(&g1_scalars);
    let g2 = BatchMulPreprocessing::new(G2Projective::generator(), v.len()).batch_mul(&v);
    let nw = cs.n_wires;
    let (a_pts, rest) = g1.split_at(nw);
    let (b1_pts, rest) = rest.split_at(nw);
    let (ic_pts, rest) = rest.split_at(n_pub + 1);
    let (c_pts, h_pts) = rest.split_at(nw - n_pub - 1);

    let g1m = |x: Fr| (G1Projective::generator() * x).into_affine();
    let g2m = |x: Fr| (G2Projective::generator() * x).into_affine();
    Ok(ProvingKey {
        n_vars: nw,
        n_public: n_pub,
        domain_size: n,
        alpha1: g1m(t.alpha),
        beta1: g1m(t.beta),
        beta2: g2m(t.beta),
        gamma2: g2m(t.gamma),
        delta1: g1m(t.delta),
        delta2: g2m(t.delta),
        ic: ic_pts.to_vec(),
        a: a_pts.to_vec(),
        b1: b1_pts.to_vec(),
        b2: g2,
        c: c_pts.to_vec(),
        h: h_pts.to_vec(),
    })
}

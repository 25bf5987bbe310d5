//! snarkjs's Groth16 `.zkey` (protocol 1). Sections:
//!   1 protocol id (1 = Groth16)
//!   2 header: n8q, q, n8r, r, nVars, nPublic, domainSize, alpha1, beta1, beta2, gamma2, delta1, delta2
//!   3 IC: (nPublic + 1) G1        public wires' (beta·u + alpha·v + w)/gamma
//!   4 coefficients of A and B     (only snarkjs's own prover reads it; written so snarkjs can prove with our keys)
//!   5 A: nVars G1, 6 B1: nVars G1, 7 B2: nVars G2
//!   8 C: (nVars - nPublic - 1) G1 private wires' (beta·u + alpha·v + w)/delta
//!   9 H: domainSize G1            Lagrange basis of the 2n-domain at odd indices, over delta (see setup.rs)
//!  10 contributions: circuit hash (64 bytes) + count
//! This prover reads 2, 3, 5-9 and takes the A, B, C matrices from the circuit's `.r1cs` instead of section 4.

use crate::binfile::{BinFile, Reader, Writer};
use crate::encoding::*;
use crate::error::{io, malformed, mismatch, Result};
use crate::r1cs::R1cs;
use ark_bn254::{Fq, Fr, G1Affine, G2Affine};
use rayon::prelude::*;
use std::io::BufWriter;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct ProvingKey {
    pub n_vars: usize,
    pub n_public: usize,
    pub domain_size: usize,
    pub alpha1: G1Affine,
    pub beta1: G1Affine,
    pub beta2: G2Affine,
    pub gamma2: G2Affine,
    pub delta1: G1Affine,
    pub delta2: G2Affine,
    pub ic: Vec<G1Affine>,
    pub a: Vec<G1Affine>,
    pub b1: Vec<G1Affine>,
    pub b2: Vec<G2Affine>,
    pub c: Vec<G1Affine>,
    pub h: Vec<G1Affine>,
}

/// Points of a section, parsed in parallel straight into their vector (an indexed collect; a collect into
/// Option<Vec> would go through intermediate lists and copy everything again).
fn points<T: Send + Copy + Default>(
    bytes: &[u8],
    size: usize,
    parse: impl Fn(&[u8]) -> Option<T> + Sync,
    path: &str,
    what: &str,
) -> Result<Vec<T>> {
    let bad = AtomicBool::new(false);
    let v: Vec<T> = bytes
        .par_chunks_exact(size)
        .map(|b| {
            parse(b).unwrap_or_else(|| {
                bad.store(true, Ordering::Relaxed);
                T::default()
            })
        })
        .collect();
    if bad.load(Ordering::Relaxed) {
        return Err(malformed(format!("{path}: section {what} holds a point that is not on the curve")));
    }
    Ok(v)
}

fn g1s(bytes: &[u8], path: &str, what: &str) -> Result<Vec<G1Affine>> {
    points(bytes, G1_BYTES, g1_from_mont, path, what)
}

fn g2s(bytes: &[u8], path: &str, what: &str) -> Result<Vec<G2Affine>> {
    points(bytes, G2_BYTES, |b| g2_from_mont(b, false), path, what)
}

impl ProvingKey {
    pub fn read(path: &str) -> Result<Self> {
        let f = BinFile::open(path, b"zkey")?;
        let mut p = Reader::new(f.section(1)?, format!("{path}: protocol"));
        let protocol = p.u32()?;
        if protocol != 1 {
            return Err(mismatch(format!("{path}: protocol {protocol} is not Groth16 (1); PLONK/FFLONK keys are not supported")));
        }
        let mut h = Reader::new(f.section(2)?, format!("{path}: Groth16 header"));
        let n8q = h.u32()? as usize;
        let q = h.bytes(n8q)?;
        let n8r = h.u32()? as usize;
        let r = h.bytes(n8r)?;
        if n8q != N8 || q != modulus_le::<Fq>() || n8r != N8 || r != modulus_le::<Fr>() {
            return Err(mismatch(format!("{path}: the key is not for BN254 (bn128)")));
        }
        let n_vars = h.u32()? as usize;
        let n_public = h.u32()? as usize;
        let domain_size = h.u32()? as usize;
        if !domain_size.is_power_of_two() || n_public >= n_vars {
            return Err(malformed(format!(
                "{path}: inconsistent header (nVars {n_vars}, nPublic {n_public}, domain {domain_size})"
            )));
        }
        let bad = |what: &str| malformed(format!("{path}: {what} in the header is not a valid curve point"));
        let alpha1 = g1_from_mont(h.bytes(G1_BYTES)?).ok_or_else(|| bad("alpha1"))?;
        let beta1 = g1_from_mont(h.bytes(G1_BYTES)?).ok_or_else(|| bad("beta1"))?;
        let beta2 = g2_from_mont(h.bytes(G2_BYTES)?, true).ok_or_else(|| bad("beta2"))?;
        let gamma2 = g2_from_mont(h.bytes(G2_BYTES)?, true).ok_or_else(|| bad("gamma2"))?;
        let delta1 = g1_from_mont(h.bytes(G1_BYTES)?).ok_or_else(|| bad("delta1"))?;
        let delta2 = g2_from_mont(h.bytes(G2_BYTES)?, true).ok_or_else(|| bad("delta2"))?;
        let n_private = n_vars - n_public - 1;
        let ic = g1s(f.section_exact(3, (n_public + 1) * G1_BYTES, "IC")?, path, "3 (IC)")?;
        let a = g1s(f.section_exact(5, n_vars * G1_BYTES, "A")?, path, "5 (A)")?;
        let b1 = g1s(f.section_exact(6, n_vars * G1_BYTES, "B1")?, path, "6 (B1)")?;
        let b2 = g2s(f.section_exact(7, n_vars * G2_BYTES, "B2")?, path, "7 (B2)")?;
        let c = g1s(f.section_exact(8, n_private * G1_BYTES, "C")?, path, "8 (C)")?;
        let hq = g1s(f.section_exact(9, domain_size * G1_BYTES, "H")?, path, "9 (H)")?;
        Ok(ProvingKey { n_vars, n_public, domain_size, alpha1, beta1, beta2, gamma2, delta1, delta2, ic, a, b1, b2, c, h: hq })
    }

    /// Whether this key can belong to `cs`: the same wires, public signals and domain. (Whether it really was
    /// made for it shows only in the proof: prove.rs verifies every proof before writing it.)
    pub fn check_fits(&self, cs: &R1cs, key_path: &str, r1cs_path: &str) -> Result<()> {
        if self.n_vars != cs.n_wires || self.n_public != cs.n_public() || self.domain_size != cs.domain_size() {
            return Err(mismatch(format!(
                "the proving key {key_path} is not for the circuit {r1cs_path}: key has {} wires, {} public signals, domain {}; \
                 circuit has {} wires, {} public signals, domain {}",
                self.n_vars,
                self.n_public,
                self.domain_size,
                cs.n_wires,
                cs.n_public(),
                cs.domain_size()
            )));
        }
        Ok(())
    }

    /// Writes the key in snarkjs's format (to `path`, which the caller renames into place).
    pub fn write(&self, path: &str, cs: &R1cs) -> Result<()> {
        let file = std::fs::File::create(path).map_err(|e| io(path, e))?;
        let mut w = Writer::new(BufWriter::with_capacity(1 << 22, file), b"zkey", 1, 10).map_err(|e| io(path, e))?;
        let g1bytes = |pts: &[G1Affine]| {
            let mut out = vec![0u8; pts.len() * G1_BYTES];
            out.par_chunks_exact_mut(G1_BYTES).zip(pts.par_iter()).for_each(|(o, p)| g1_to_mont(p, o));
            out
        };
        let g2bytes = |pts: &[G2Affine]| {
            let mut out = vec![0u8; pts.len() * G2_BYTES];
            out.par_chunks_exact_mut(G2_BYTES).zip(pts.par_iter()).for_each(|(o, p)| g2_to_mont(p, o));
            out
        };

        let mut header = Vec::new();
        header.extend_from_slice(&(N8 as u32).to_le_bytes());
        header.extend_from_slice(&modulus_le::<Fq>());
        header.extend_from_slice(&(N8 as u32).to_le_bytes());
        header.extend_from_slice(&modulus_le::<Fr>());
        for n in [self.n_vars, self.n_public, self.domain_size] {
            header.extend_from_slice(&(n as u32).to_le_bytes());
        }
        header.extend(g1bytes(&[self.alpha1, self.beta1]));
        header.extend(g2bytes(&[self.beta2, self.gamma2]));
        header.extend(g1bytes(&[self.delta1]));
        header.extend(g2bytes(&[self.delta2]));

        let sections: Vec<(u32, Vec<u8>)> = vec![
            (1, 1u32.to_le_bytes().to_vec()),
            (2, header),
            (3, g1bytes(&self.ic)),
            (4, coefficients(cs)),
            (5, g1bytes(&self.a)),
            (6, g1bytes(&self.b1)),
            (7, g2bytes(&self.b2)),
            (8, g1bytes(&self.c)),
            (9, g1bytes(&self.h)),
            // No contribution was made: the circuit hash is left zero (snarkjs's prover and exports ignore it).
            (10, [vec![0u8; 64], 0u32.to_le_bytes().to_vec()].concat()),
        ];
        for (ty, data) in sections {
            w.section(ty, &data).map_err(|e| io(path, e))?;
        }
        let out = w.finish().map_err(|e| io(path, e))?;
        out.into_inner().map_err(|e| io(path, e.into_error()))?.sync_all().map_err(|e| io(path, e))
    }
}

/// Section 4: every A and B term as (matrix, constraint, wire, c·R²), then A's extra rows for the public
/// signals (row nConstraints + s holds wire s with coefficient 1), as snarkjs's setup lays them out.
fn coefficients(cs: &R1cs) -> Vec<u8> {
    let mut entries: Vec<(u32, u32, u32, Fr)> = Vec::new();
    for c in 0..cs.n_constraints {
        for (m, mat) in [(0u32, &cs.a), (1u32, &cs.b)] {
            for (wire, k) in mat.row(c) {
                entries.push((m, c as u32, wire as u32, *k));
            }
        }
    }
    for s in 0..=cs.n_public() {
        entries.push((0, (cs.n_constraints + s) as u32, s as u32, Fr::from(1u64)));
    }
    let size = 12 + N8;
    let mut out = vec![0u8; 4 + entries.len() * size];
    out[0..4].copy_from_slice(&(entries.len() as u32).to_le_bytes());
    out[4..].par_chunks_exact_mut(size).zip(entries.par_iter()).for_each(|(o, (m, c, s, k))| {
        o[0..4].copy_from_slice(&m.to_le_bytes());
        o[4..8].copy_from_slice(&c.to_le_bytes());
        o[8..12].copy_from_slice(&s.to_le_bytes());
        fr_to_le(&coef_for_zkey(k), &mut o[12..]);
    });
    out
}

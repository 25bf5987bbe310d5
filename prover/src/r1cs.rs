//! circom's `.r1cs` file: header (section 1) and constraints (section 2); the label map and custom gates
//! are not needed here. Each constraint is three linear combinations A, B, C over the wires
//! (wire 0 is the constant 1, wires 1..=n_public the public outputs then public inputs), with
//! A·w * B·w = C·w.

use crate::binfile::{u32_at, BinFile, Reader};
use crate::encoding::{fr_from_le, modulus_le, N8};
use crate::error::{malformed, mismatch, Result};
use ark_bn254::Fr;
use ark_ff::Zero;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// One matrix (A, B or C) in compressed-row form: row c's terms are `wires/coefs[starts[c]..starts[c+1]]`.
pub struct Matrix {
    pub starts: Vec<u32>,
    pub wires: Vec<u32>,
    pub coefs: Vec<Fr>,
}

impl Matrix {
    /// Terms (wire, coefficient) of row `c`.
    pub fn row(&self, c: usize) -> impl Iterator<Item = (usize, &Fr)> {
        let (s, e) = (self.starts[c] as usize, self.starts[c + 1] as usize);
        self.wires[s..e].iter().map(|&w| w as usize).zip(self.coefs[s..e].iter())
    }

    /// Row `c` evaluated at the witness.
    pub fn eval_row(&self, c: usize, w: &[Fr]) -> Fr {
        let mut acc = Fr::zero();
        for (i, k) in self.row(c) {
            acc += w[i] * k;
        }
        acc
    }
}

pub struct R1cs {
    pub n_wires: usize,
    pub n_pub_out: usize,
    pub n_pub_in: usize,
    pub n_constraints: usize,
    pub a: Matrix,
    pub b: Matrix,
    pub c: Matrix,
    /// sha256 of the whole file: the circuit's identity for the development setup's seed (computed on request:
    /// hashing a big circuit takes longer than parsing it).
    file: BinFile,
}

impl R1cs {
    /// Public signals (outputs, then public inputs), not counting the constant wire 0.
    pub fn n_public(&self) -> usize {
        self.n_pub_out + self.n_pub_in
    }

    /// The QAP domain snarkjs uses: the smallest power of two above constraints + public signals (one extra
    /// row per public signal and the constant, which makes the public inputs' polynomials independent).
    pub fn domain_size(&self) -> usize {
        (self.n_constraints + self.n_public() + 1).next_power_of_two()
    }

    pub fn open(path: &str) -> Result<Self> {
        Self::from_file(BinFile::open(path, b"r1cs")?)
    }

    /// sha256 of the whole file.
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(self.file.bytes()).into()
    }

    fn from_file(file: BinFile) -> Result<Self> {
        let path = file.path.clone();
        let mut h = Reader::new(file.section(1)?, format!("{path}: header"));
        let n8 = h.u32()? as usize;
        if n8 != N8 || h.bytes(N8)? != modulus_le::<Fr>() {
            return Err(mismatch(format!("{path}: the circuit is not over BN254's scalar field (compile for bn128)")));
        }
        let n_wires = h.u32()? as usize;
        let n_pub_out = h.u32()? as usize;
        let n_pub_in = h.u32()? as usize;
        let _n_prv_in = h.u32()?;
        let _n_labels = h.u64()?;
        let n_constraints = h.u32()? as usize;
        if n_wires == 0 || n_pub_out + n_pub_in >= n_wires {
            return Err(malformed(format!("{path}: {n_wires} wires cannot hold {} public signals", n_pub_out + n_pub_in)));
        }

        let sec = file.section(2)?;
        // Pass 1 (serial, cheap): where each linear combination's terms start, and the row starts.
        const TERM: usize = 4 + N8;
        let mut pos = [Vec::with_capacity(n_constraints), Vec::with_capacity(n_constraints), Vec::with_capacity(n_constraints)];
        let mut starts = [vec![0u32; n_constraints + 1], vec![0u32; n_constraints + 1], vec![0u32; n_constraints + 1]];
        let mut p = 0usize;
        let short = || malformed(format!("{path}: constraints section ends early (truncated or inconsistent)"));
        for ci in 0..n_constraints {
            for m in 0..3 {
                let k = u32_at(sec.get(p..p + 4).ok_or_else(short)?, 0) as usize;
                p += 4;
                pos[m].push(p);
                p = p.checked_add(k * TERM).filter(|&e| e <= sec.len()).ok_or_else(short)?;
                starts[m][ci + 1] = starts[m][ci] + k as u32;
            }
        }
        if p != sec.len() {
            return Err(malformed(format!("{path}: constraints section longer than its {n_constraints} constraints")));
        }
        // Pass 2 (parallel): terms of chunks of constraints into their disjoint slices of the matrices.
        let mut mats = Vec::with_capacity(3);
        for m in 0..3 {
            let total = starts[m][n_constraints] as usize;
            let mut wires = vec![0u32; total];
            let mut coefs = vec![Fr::zero(); total];
            const CHUNK: usize = 4096;
            let mut jobs = Vec::new();
            let (mut w_rest, mut c_rest) = (&mut wires[..], &mut coefs[..]);
            for lo in (0..n_constraints).step_by(CHUNK) {
                let hi = (lo + CHUNK).min(n_constraints);
                let len = (starts[m][hi] - starts[m][lo]) as usize;
                let (w, wr) = std::mem::take(&mut w_rest).split_at_mut(len);
                let (c, cr) = std::mem::take(&mut c_rest).split_at_mut(len);
                (w_rest, c_rest) = (wr, cr);
                jobs.push((lo, hi, w, c));
            }
            let (pm, sm) = (&pos[m], &starts[m]);
            jobs.into_par_iter().try_for_each(|(lo, hi, w, c)| -> Result<()> {
                let mut t = 0;
                for ci in lo..hi {
                    let k = (sm[ci + 1] - sm[ci]) as usize;
                    for j in 0..k {
                        let at = pm[ci] + j * TERM;
                        let wire = u32_at(sec, at);
                        if wire as usize >= n_wires {
                            return Err(malformed(format!(
                                "{path}: constraint {ci} names wire {wire}, the circuit has {n_wires}"
                            )));
                        }
                        w[t] = wire;
                        c[t] = fr_from_le(&sec[at + 4..at + TERM]).ok_or_else(|| {
                            malformed(format!("{path}: constraint {ci} has a coefficient not below the field modulus"))
                        })?;
                        t += 1;
                    }
                }
                Ok(())
            })?;
            mats.push(Matrix { starts: std::mem::take(&mut starts[m]), wires, coefs });
        }
        let mut mats = mats.into_iter();
        let mats = [mats.next().unwrap(), mats.next().unwrap(), mats.next().unwrap()];
        let [a, b, c] = mats;
        Ok(R1cs { n_wires, n_pub_out, n_pub_in, n_constraints, a, b, c, file })
    }

    /// The first constraint the witness violates, if any.
    pub fn first_unsatisfied(&self, w: &[Fr]) -> Option<usize> {
        (0..self.n_constraints)
            .into_par_iter()
            .find_first(|&c| self.a.eval_row(c, w) * self.b.eval_row(c, w) != self.c.eval_row(c, w))
    }
}

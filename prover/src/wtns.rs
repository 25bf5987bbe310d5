//! The witness file circom's witness calculator (and snarkjs `wtns calculate`) writes: section 1 holds
//! n8, the prime and the number of values; section 2 the values, 32 bytes each, little-endian, standard form.

use crate::binfile::{BinFile, Reader};
use crate::encoding::{fr_from_le, modulus_le, N8};
use crate::error::{malformed, mismatch, Result};
use ark_bn254::Fr;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

pub fn read(path: &str) -> Result<Vec<Fr>> {
    let file = BinFile::open(path, b"wtns")?;
    let mut h = Reader::new(file.section(1)?, format!("{path}: header"));
    let n8 = h.u32()? as usize;
    if n8 != N8 || h.bytes(N8)? != modulus_le::<Fr>() {
        return Err(mismatch(format!("{path}: the witness is not over BN254's scalar field")));
    }
    let n = h.u32()? as usize;
    let values = file.section_exact(2, n * N8, &format!("{n} witness values"))?;
    let bad = AtomicBool::new(false);
    let w: Vec<Fr> = values
        .par_chunks_exact(N8)
        .map(|b| {
            fr_from_le(b).unwrap_or_else(|| {
                bad.store(true, Ordering::Relaxed);
                Fr::default()
            })
        })
        .collect();
    if bad.load(Ordering::Relaxed) {
        return Err(malformed(format!("{path}: a witness value is not below the field modulus")));
    }
    if w.first() != Some(&Fr::from(1u64)) {
        return Err(malformed(format!("{path}: witness value 0 (the constant wire) is not 1")));
    }
    Ok(w)
}

//! Multi-scalar multiplication for the prover: Pippenger's bucket method with signed digits and
//! batch-affine bucket sums, for any short-Weierstrass curve (G1 and G2 of BN254 here).
//!
//! Why not ark-ec's `msm`: it adds each point to a projective bucket (a mixed addition, ~11 field
//! multiplications). Here the additions are done in affine coordinates, many at a time, sharing one field
//! inversion (Montgomery's trick): ~6 multiplications per addition, and these additions are nearly all of an
//! MSM's work. Measured: docs/benchmarks.md (npm run bench:prover).
//!
//! Per c-bit window (windows run in parallel): every point whose digit in that window is d != 0 belongs to
//! bucket |d| (negated for d < 0). The points are sorted by bucket, and each bucket's points are summed by
//! pairwise rounds: in a round, every bucket with two or more points adds them in pairs, all pairs of all
//! buckets in one batch (one inversion). That copes with any skew: witness values are often 0/1 bits, which
//! put most points of a window into one bucket. The window's sum is then sum_k k·bucket_k, by running sums
//! from the top bucket, and the windows are combined with c doublings each (Horner). Digits are signed, in
//! [-2^(c-1), 2^(c-1)], so a window has 2^(c-1) buckets.
//!
//! Special cases never reach the batch: a pair with the identity, or whose points share x (P = Q: doubled
//! in projective coordinates; P = -Q: the identity), is resolved on its own, so no batch denominator is zero.

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ff::{BigInt, BigInteger, Field, Zero};
use rayon::prelude::*;

/// An affine point or the identity.
#[derive(Clone, Copy)]
struct Pt<F: Field> {
    x: F,
    y: F,
    inf: bool,
}

impl<F: Field> Pt<F> {
    const INF: Self = Pt { x: F::ZERO, y: F::ZERO, inf: true };
}

fn pt_of<P: SWCurveConfig>(a: &Affine<P>, negate: bool) -> Pt<P::BaseField> {
    Pt { x: a.x, y: if negate { -a.y } else { a.y }, inf: false }
}

fn affine<P: SWCurveConfig>(p: &Pt<P::BaseField>) -> Affine<P> {
    if p.inf {
        Affine::zero()
    } else {
        Affine::new_unchecked(p.x, p.y)
    }
}

/// In-place inversion of non-zero elements with one field inversion (Montgomery's trick).
fn batch_invert<F: Field>(v: &mut [F], scratch: &mut Vec<F>) {
    scratch.clear();
    let mut acc = F::ONE;
    for x in v.iter() {
        scratch.push(acc);
        acc *= x;
    }
    let mut inv = acc.inverse().expect("batch denominators are non-zero");
    for i in (0..v.len()).rev() {
        let t = inv * scratch[i];
        inv *= v[i];
        v[i] = t;
    }
}

/// One round of pairwise sums: bucket k's points `get(offsets[k]..offsets[k+1])` become ceil(len/2) points.
fn pair_round<F: Field, P: SWCurveConfig<BaseField = F>>(
    offsets: &[u32],
    get: impl Fn(usize) -> Pt<F>,
    den: &mut Vec<F>,
    scratch: &mut Vec<F>,
) -> (Vec<Pt<F>>, Vec<u32>) {
    let nb = offsets.len() - 1;
    let mut next_offsets = Vec::with_capacity(nb + 1);
    next_offsets.push(0u32);
    let mut next: Vec<Pt<F>> = Vec::with_capacity(offsets[nb] as usize / 2 + nb);
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(offsets[nb] as usize / 2); // (first input, output)
    den.clear();
    for k in 0..nb {
        let (s, e) = (offsets[k] as usize, offsets[k + 1] as usize);
        let mut i = s;
        while i + 1 < e {
            let (a, b) = (get(i), get(i + 1));
            if a.inf || b.inf || a.x == b.x {
                next.push(special::<P>(&a, &b));
            } else {
                pairs.push((i as u32, next.len() as u32));
                next.push(Pt::INF); // filled in below
                den.push(b.x - a.x);
            }
            i += 2;
        }
        if i < e {
            next.push(get(i));
        }
        next_offsets.push(next.len() as u32);
    }
    batch_invert(den, scratch);
    for (&(i, out), d_inv) in pairs.iter().zip(den.iter()) {
        let (a, b) = (get(i as usize), get(i as usize + 1));
        let lambda = (b.y - a.y) * d_inv;
        let x3 = lambda.square() - a.x - b.x;
        next[out as usize] = Pt { x: x3, y: lambda * (a.x - x3) - a.y, inf: false };
    }
    (next, next_offsets)
}

/// Bucket sums of one window: `pts[offsets[k]..offsets[k+1]]` are bucket k's points. One point per bucket.
fn sum_buckets<P: SWCurveConfig>(mut pts: Vec<Pt<P::BaseField>>, mut offsets: Vec<u32>) -> Vec<Pt<P::BaseField>> {
    let nb = offsets.len() - 1;
    let mut den = Vec::new();
    let mut scratch = Vec::new();
    while (0..nb).any(|k| offsets[k + 1] - offsets[k] > 1) {
        let (next, next_offsets) = pair_round::<P::BaseField, P>(&offsets, |i| pts[i], &mut den, &mut scratch);
        pts = next;
        offsets = next_offsets;
    }
    (0..nb).map(|k| if offsets[k + 1] > offsets[k] { pts[offsets[k] as usize] } else { Pt::INF }).collect()
}

/// a + b when the affine formula does not apply: an identity, or equal x (doubling or cancellation).
fn special<P: SWCurveConfig>(a: &Pt<P::BaseField>, b: &Pt<P::BaseField>) -> Pt<P::BaseField> {
    if a.inf {
        return *b;
    }
    if b.inf {
        return *a;
    }
    let sum = (affine::<P>(a).into_group() + affine::<P>(b)).into_affine();
    match sum.xy() {
        Some((x, y)) => Pt { x, y, inf: false },
        None => Pt::INF,
    }
}

/// sum_k (k + 1)·bucket_k, by running sums from the top bucket down.
fn weighted_sum<P: SWCurveConfig>(buckets: &[Pt<P::BaseField>]) -> Projective<P> {
    let mut running = Projective::<P>::zero();
    let mut total = Projective::<P>::zero();
    for b in buckets.iter().rev() {
        if !b.inf {
            running += affine::<P>(b);
        }
        total += running;
    }
    total
}

/// c bits starting at bit `off` of a 256-bit little-endian integer.
fn bits(s: &BigInt<4>, off: usize, c: usize) -> i64 {
    let limb = off / 64;
    if limb >= 4 {
        return 0;
    }
    let sh = off % 64;
    let mut v = s.0[limb] >> sh;
    if sh + c > 64 && limb + 1 < 4 {
        v |= s.0[limb + 1] << (64 - sh);
    }
    (v & ((1u64 << c) - 1)) as i64
}

/// Windows of c bits that hold a signed-digit form of any scalar below 2^254: one bit more, for the top carry.
fn windows_for(c: usize) -> usize {
    255usize.div_ceil(c)
}

/// Window width minimizing (windows)·(n affine additions + 2^(c-1) buckets reduced), in field multiplications:
/// ~6 per batched affine addition, ~27 per bucket (a mixed and a full projective addition).
fn window_bits(n: usize) -> usize {
    (2..=20usize).min_by_key(|&c| windows_for(c) as u64 * (6 * n as u64 + 27 * (1u64 << (c - 1)))).unwrap()
}

/// sum_i scalars[i]·bases[i]. The scalars are canonical (below the group order), as `into_bigint` gives them.
pub fn msm<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[BigInt<4>]) -> Projective<P> {
    assert_eq!(bases.len(), scalars.len(), "msm: one scalar per base");
    assert!(bases.len() < 1 << 31, "msm: at most 2^31 bases");
    debug_assert!(scalars.iter().all(|s| s.0[3] >> 62 == 0), "msm: scalars below 2^254");
    let idx: Vec<u32> = (0..bases.len() as u32)
        .into_par_iter()
        .filter(|&i| !scalars[i as usize].is_zero() && !bases[i as usize].is_zero())
        .collect();
    if idx.is_empty() {
        return Projective::zero();
    }
    let n = idx.len();
    let c = window_bits(n);
    let windows = windows_for(c);
    let half = 1i64 << (c - 1);

    // digits[j * windows + w]: signed digit of scalar idx[j] in window w.
    let mut digits = vec![0i32; n * windows];
    digits.par_chunks_mut(windows).zip(idx.par_iter()).for_each(|(d, &i)| {
        let s = &scalars[i as usize];
        let mut carry = 0i64;
        for (w, dw) in d.iter_mut().enumerate() {
            let v = bits(s, w * c, c) + carry;
            if v >= half {
                *dw = (v - 2 * half) as i32;
                carry = 1;
            } else {
                *dw = v as i32;
                carry = 0;
            }
        }
    });

    let sums: Vec<Projective<P>> = (0..windows)
        .into_par_iter()
        .map(|w| {
            // Sort the window's points by bucket (counting sort), negating those with negative digits.
            let nb = half as usize;
            let mut offsets = vec![0u32; nb + 1];
            for j in 0..n {
                let d = digits[j * windows + w];
                if d != 0 {
                    offsets[d.unsigned_abs() as usize] += 1;
                }
            }
            for k in 0..nb {
                offsets[k + 1] += offsets[k];
            }
            // Points are copied in base order (sequential reads), scattered to their bucket's place.
            let mut fill = offsets.clone();
            let mut pts = vec![Pt::<P::BaseField>::INF; offsets[nb] as usize];
            for (j, &i) in idx.iter().enumerate() {
                let d = digits[j * windows + w];
                if d != 0 {
                    let k = d.unsigned_abs() as usize - 1;
                    pts[fill[k] as usize] = pt_of(&bases[i as usize], d < 0);
                    fill[k] += 1;
                }
            }
            weighted_sum::<P>(&sum_buckets::<P>(pts, offsets))
        })
        .collect();

    let mut acc = Projective::<P>::zero();
    for s in sums.iter().rev() {
        for _ in 0..c {
            acc.double_in_place();
        }
        acc += s;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
    use ark_ec::{PrimeGroup, VariableBaseMSM};
    use ark_ff::{PrimeField, UniformRand};
    use ark_std::rand::RngCore;

    fn check<P: SWCurveConfig<ScalarField = Fr>>(bases: &[Affine<P>], scalars: &[Fr]) {
        let big: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
        let want = Projective::<P>::msm(bases, scalars).unwrap();
        assert_eq!(msm(bases, &big), want);
    }

    fn random_g1(rng: &mut impl RngCore, n: usize) -> Vec<G1Affine> {
        let g = G1Projective::generator();
        G1Projective::normalize_batch(&(0..n).map(|_| g * Fr::rand(rng)).collect::<Vec<_>>())
    }

    #[test]
    fn matches_the_reference_on_random_inputs_of_many_sizes() {
        let mut rng = ark_std::test_rng();
        for n in [1usize, 2, 3, 17, 100, 1000, 5000] {
            let bases = random_g1(&mut rng, n);
            let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            check(&bases, &scalars);
        }
    }

    #[test]
    fn small_negative_zero_and_extreme_scalars() {
        let mut rng = ark_std::test_rng();
        let n = 3000;
        let bases = random_g1(&mut rng, n);
        let scalars: Vec<Fr> = (0..n)
            .map(|i| match i % 6 {
                0 => Fr::zero(),
                1 => Fr::from(1u64),
                2 => -Fr::from(1u64),
                3 => Fr::from((i as u64) * 7919),
                4 => -Fr::from(i as u64),
                _ => Fr::rand(&mut rng),
            })
            .collect();
        check(&bases, &scalars);
    }

    #[test]
    fn repeated_and_opposite_bases_and_the_identity() {
        // The same point many times (buckets meet equal x: doubling) and its negation (cancellation).
        let mut rng = ark_std::test_rng();
        let p = random_g1(&mut rng, 1)[0];
        let mut bases = vec![p; 400];
        bases.extend(vec![-p; 400]);
        bases.push(G1Affine::zero());
        let scalars: Vec<Fr> = (0..bases.len()).map(|i| Fr::from((i % 5) as u64 + 1)).collect();
        check(&bases, &scalars);
        let all_cancel: Vec<Fr> = vec![Fr::from(3u64); bases.len()];
        check(&bases, &all_cancel);
    }

    #[test]
    fn g2() {
        let mut rng = ark_std::test_rng();
        let g = G2Projective::generator();
        let bases: Vec<G2Affine> = G2Projective::normalize_batch(&(0..700).map(|_| g * Fr::rand(&mut rng)).collect::<Vec<_>>());
        let scalars: Vec<Fr> = (0..700).map(|i| if i % 3 == 0 { Fr::from(i as u64) } else { Fr::rand(&mut rng) }).collect();
        check(&bases, &scalars);
    }
}

//! zk-prover: native Groth16 (BN254) for the layer's circom circuits, compatible with snarkjs's files.
//!
//!   zk-prover setup --r1cs C.r1cs --zkey OUT.zkey [--seed TEXT]
//!       DEVELOPMENT-ONLY key straight from the R1CS, trapdoor derived from a public seed (setup.rs).
//!   zk-prover prove --zkey K.zkey --r1cs C.r1cs --wtns W.wtns --proof OUT.json --public OUT.json
//!       Proof and public signals in snarkjs's JSON format. The witness is checked against every constraint
//!       first and the proof against the key's verification key last; nothing is written unless both pass.
//!
//! Both print one JSON line of figures on stdout. A failure prints `zk-prover error <kind>: <message>` on
//! stderr and exits with the kind's code (error.rs); zk/native.ts turns that into a typed error.
//! Threads: every core (RAYON_NUM_THREADS to limit).

mod binfile;
mod encoding;
mod error;
mod msm;
mod prove;
mod r1cs;
mod setup;
mod wtns;
mod zkey;

use encoding::dec;
use error::{io, usage, Result};
use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

const USAGE: &str = "usage:\n  zk-prover setup --r1cs FILE --zkey OUT [--seed TEXT]\n  \
zk-prover prove --zkey FILE --r1cs FILE --wtns FILE --proof OUT --public OUT\n  zk-prover --version";

fn flags(args: &[String], allowed: &[&str], required: &[&str]) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let name = a
            .strip_prefix("--")
            .filter(|n| allowed.contains(n))
            .ok_or_else(|| usage(format!("unknown argument {a}\n{USAGE}")))?;
        let v = it.next().ok_or_else(|| usage(format!("--{name} needs a value")))?;
        if out.insert(name.to_string(), v.clone()).is_some() {
            return Err(usage(format!("--{name} given twice")));
        }
    }
    for r in required {
        if !out.contains_key(*r) {
            return Err(usage(format!("--{r} is required\n{USAGE}")));
        }
    }
    Ok(out)
}

/// Writes through a temporary name and a rename, so a reader never sees a partial file and a failure
/// leaves nothing behind.
fn write_atomic(path: &str, write: impl FnOnce(&str) -> Result<()>) -> Result<()> {
    let tmp = format!("{path}.tmp-{}", std::process::id());
    let r = write(&tmp).and_then(|_| std::fs::rename(&tmp, path).map_err(|e| io(path, e)));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

fn write_text(path: &str, text: &str) -> Result<()> {
    write_atomic(path, |tmp| {
        let mut f = std::fs::File::create(tmp).map_err(|e| io(tmp, e))?;
        f.write_all(text.as_bytes()).and_then(|_| f.sync_all()).map_err(|e| io(tmp, e))
    })
}

fn ms(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 10000.0).round() / 10.0
}

/// The process's peak resident memory in KiB (VmHWM of /proc/self/status; 0 where there is no /proc).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn cmd_setup(args: &[String]) -> Result<String> {
    let f = flags(args, &["r1cs", "zkey", "seed"], &["r1cs", "zkey"])?;
    let t0 = Instant::now();
    let cs = r1cs::R1cs::open(&f["r1cs"])?;
    let read_ms = ms(t0);
    let seed = f.get("seed").map(String::as_str).unwrap_or(setup::DEV_SEED);
    let t1 = Instant::now();
    let pk = setup::setup(&cs, seed)?;
    let setup_ms = ms(t1);
    let t2 = Instant::now();
    write_atomic(&f["zkey"], |tmp| pk.write(tmp, &cs))?;
    Ok(format!(
        r#"{{"nVars":{},"nPublic":{},"nConstraints":{},"domainSize":{},"r1csSha256":"{}","readMs":{read_ms},"setupMs":{setup_ms},"writeMs":{},"threads":{},"peakRssKb":{}}}"#,
        pk.n_vars,
        pk.n_public,
        cs.n_constraints,
        pk.domain_size,
        cs.sha256().iter().map(|b| format!("{b:02x}")).collect::<String>(),
        ms(t2),
        rayon::current_num_threads(),
        peak_rss_kb()
    ))
}

fn proof_json(p: &prove::Proof) -> Result<String> {
    let invalid = || error::Error::new(error::Kind::ProofInvalid, "a proof element is the point at infinity");
    let (ax, ay) = ark_ec::AffineRepr::xy(&p.a).ok_or_else(invalid)?;
    let (bx, by) = ark_ec::AffineRepr::xy(&p.b).ok_or_else(invalid)?;
    let (cx, cy) = ark_ec::AffineRepr::xy(&p.c).ok_or_else(invalid)?;
    Ok(format!(
        r#"{{"pi_a":["{}","{}","1"],"pi_b":[["{}","{}"],["{}","{}"],["1","0"]],"pi_c":["{}","{}","1"],"protocol":"groth16","curve":"bn128"}}"#,
        dec(&ax),
        dec(&ay),
        dec(&bx.c0),
        dec(&bx.c1),
        dec(&by.c0),
        dec(&by.c1),
        dec(&cx),
        dec(&cy)
    ))
}

fn cmd_prove(args: &[String]) -> Result<String> {
    let f = flags(args, &["zkey", "r1cs", "wtns", "proof", "public"], &["zkey", "r1cs", "wtns", "proof", "public"])?;
    let t0 = Instant::now();
    let prof = std::env::var("ZK_PROVER_PROFILE").is_ok();
    let cs = r1cs::R1cs::open(&f["r1cs"])?;
    if prof {
        eprintln!("  r1cs: {} ms", ms(t0));
    }
    let w = wtns::read(&f["wtns"])?;
    if prof {
        eprintln!("  +wtns: {} ms", ms(t0));
    }
    let pk = zkey::ProvingKey::read(&f["zkey"])?;
    if prof {
        eprintln!("  +zkey: {} ms", ms(t0));
    }
    pk.check_fits(&cs, &f["zkey"], &f["r1cs"])?;
    let load_ms = ms(t0);
    let (proof, public, t) = prove::prove(&pk, &cs, &w)?;
    let proof_text = proof_json(&proof)?;
    let public_text = format!("[{}]", public.iter().map(|x| format!("\"{}\"", dec(x))).collect::<Vec<_>>().join(","));
    write_text(&f["public"], &public_text)?;
    write_text(&f["proof"], &proof_text)?;
    Ok(format!(
        r#"{{"nConstraints":{},"nVars":{},"domainSize":{},"loadMs":{load_ms},"checkMs":{:.1},"qapMs":{:.1},"msmMs":{:.1},"verifyMs":{:.1},"totalMs":{},"threads":{},"peakRssKb":{}}}"#,
        cs.n_constraints,
        pk.n_vars,
        pk.domain_size,
        t.check_ms,
        t.qap_ms,
        t.msm_ms,
        t.verify_ms,
        ms(t0),
        rayon::current_num_threads(),
        peak_rss_kb()
    ))
}

/// Linux: SIGKILL this process when its parent dies, so a proof stops with the worker that asked for it
/// (zk/prover/pool.ts kills workers to cancel jobs). Elsewhere a no-op.
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and touches no memory of this process.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
}

/// glibc: serve big allocations from the heap and keep freed memory, instead of a fresh mmap per allocation
/// (the MSM windows allocate and free tens of MB each; fresh pages cost a fault and a zeroing each, which on
/// these machines was a sizeable part of a proof). Elsewhere a no-op.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tunables; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}

fn main() {
    keep_freed_memory();
    die_with_parent();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => cmd_setup(&args[1..]),
        Some("prove") => cmd_prove(&args[1..]),
        Some("--version") => Ok(format!("zk-prover {}", env!("CARGO_PKG_VERSION"))),
        _ => Err(usage(USAGE)),
    };
    match result {
        Ok(line) => println!("{line}"),
        Err(e) => {
            eprintln!("zk-prover error {}: {}", e.kind.name(), e.message);
            std::process::exit(e.kind.exit_code());
        }
    }
}

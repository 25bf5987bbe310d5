//! Typed failures. Each kind has its own exit code, and main.rs prints one line
//! `zk-prover error <kind>: <message>` on stderr, which zk/native.ts turns back into a typed error.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad command line.
    Usage,
    /// A file could not be read or written.
    Io,
    /// A file is not what it claims (wrong magic, truncated, a value out of range).
    Malformed,
    /// The files belong together but do not match (witness vs circuit, key vs circuit, curve).
    Mismatch,
    /// The witness violates a constraint of the circuit.
    Unsatisfied,
    /// The proof did not verify against the key's own verification key (key of another circuit, corrupted key).
    ProofInvalid,
}

impl Kind {
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Usage => 2,
            Kind::Io => 3,
            Kind::Malformed => 4,
            Kind::Mismatch => 5,
            Kind::Unsatisfied => 6,
            Kind::ProofInvalid => 7,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Usage => "usage",
            Kind::Io => "io",
            Kind::Malformed => "malformed",
            Kind::Mismatch => "mismatch",
            Kind::Unsatisfied => "unsatisfied",
            Kind::ProofInvalid => "proof-invalid",
        }
    }
}

#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
}

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

pub fn usage(msg: impl Into<String>) -> Error {
    Error::new(Kind::Usage, msg)
}
pub fn malformed(msg: impl Into<String>) -> Error {
    Error::new(Kind::Malformed, msg)
}
pub fn mismatch(msg: impl Into<String>) -> Error {
    Error::new(Kind::Mismatch, msg)
}
pub fn io(path: &str, e: std::io::Error) -> Error {
    Error::new(Kind::Io, format!("{path}: {e}"))
}

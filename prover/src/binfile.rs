//! The iden3 binary container shared by circom's `.r1cs`, `.wtns` and snarkjs's `.zkey`:
//! magic (4 bytes), version (u32), section count (u32), then per section: type (u32), size (u64), data.
//! All integers little-endian. Reading checks that every section lies inside the file, so a truncated
//! file is refused here, before anything looks at its contents.

use crate::error::{io, malformed, Result};
use std::collections::HashMap;
use std::io::Write;
use std::ops::Deref;

/// A file's bytes, memory-mapped read-only. Keys and circuits are hundreds of MB: reading them into a fresh
/// buffer costs a page fault and a copy per page, mapping the page cache costs neither (measured: a 250 MB
/// key 0.2-0.6 s by read(), a few ms mapped). The cache writes its files whole and renames them into place,
/// so a mapped file is never changed underneath.
pub enum Bytes {
    Mapped { ptr: *const u8, len: usize },
    Empty,
}

// SAFETY: the mapping is read-only and lives until drop; sharing &[u8] views of it across threads is sound.
unsafe impl Send for Bytes {}
unsafe impl Sync for Bytes {}

impl Bytes {
    fn map(path: &str) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| io(path, e))?;
        let len = file.metadata().map_err(|e| io(path, e))?.len() as usize;
        if len == 0 {
            return Ok(Bytes::Empty);
        }
        use std::os::unix::io::AsRawFd;
        // SAFETY: a fresh read-only private mapping of a file we opened; checked for MAP_FAILED below.
        let ptr = unsafe {
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE | libc::MAP_POPULATE, file.as_raw_fd(), 0)
        };
        if ptr == libc::MAP_FAILED {
            return Err(io(path, std::io::Error::last_os_error()));
        }
        Ok(Bytes::Mapped { ptr: ptr as *const u8, len })
    }
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            // SAFETY: ptr/len describe a live mapping (unmapped only in drop).
            Bytes::Mapped { ptr, len } => unsafe { std::slice::from_raw_parts(*ptr, *len) },
            Bytes::Empty => &[],
        }
    }
}

impl Drop for Bytes {
    fn drop(&mut self) {
        if let Bytes::Mapped { ptr, len } = self {
            // SAFETY: unmaps the mapping made in `map`; no view outlives self.
            unsafe { libc::munmap(*ptr as *mut libc::c_void, *len) };
        }
    }
}

pub struct BinFile {
    pub path: String,
    data: Bytes,
    /// section type -> (offset of the data, size); the first section of each type.
    sections: HashMap<u32, (usize, usize)>,
}

impl BinFile {
    pub fn open(path: &str, magic: &[u8; 4]) -> Result<Self> {
        Self::parse(path, Bytes::map(path)?, magic)
    }

    fn parse(path: &str, data: Bytes, magic: &[u8; 4]) -> Result<Self> {
        let what = String::from_utf8_lossy(magic).to_string();
        if data.len() < 12 {
            return Err(malformed(format!("{path}: {} bytes, too short for a .{what} file (truncated?)", data.len())));
        }
        if &data[0..4] != magic {
            return Err(malformed(format!("{path}: not a .{what} file (magic {:?})", String::from_utf8_lossy(&data[0..4]))));
        }
        let n = u32_at(&data, 8) as usize;
        let mut sections = HashMap::new();
        let mut p = 12usize;
        for i in 0..n {
            if p + 12 > data.len() {
                return Err(malformed(format!("{path}: ends inside the header of section {} of {n} (truncated)", i + 1)));
            }
            let ty = u32_at(&data, p);
            let size = u64::from_le_bytes(data[p + 4..p + 12].try_into().unwrap()) as usize;
            let start = p + 12;
            if size > data.len() - start {
                return Err(malformed(format!(
                    "{path}: section {ty} needs {size} bytes, the file has {} left (truncated)",
                    data.len() - start
                )));
            }
            sections.entry(ty).or_insert((start, size));
            p = start + size;
        }
        Ok(BinFile { path: path.to_string(), data, sections })
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// The bytes of section `ty`; an error naming the file when it is missing.
    pub fn section(&self, ty: u32) -> Result<&[u8]> {
        let (o, s) = self.sections.get(&ty).ok_or_else(|| malformed(format!("{}: section {ty} is missing", self.path)))?;
        Ok(&self.data[*o..*o + *s])
    }

    /// Section `ty`, which must hold exactly `len` bytes.
    pub fn section_exact(&self, ty: u32, len: usize, what: &str) -> Result<&[u8]> {
        let s = self.section(ty)?;
        if s.len() != len {
            return Err(malformed(format!("{}: section {ty} ({what}) has {} bytes, expected {len}", self.path, s.len())));
        }
        Ok(s)
    }
}

pub fn u32_at(b: &[u8], p: usize) -> u32 {
    u32::from_le_bytes(b[p..p + 4].try_into().unwrap())
}

/// A cursor over a section that refuses to read past its end.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    what: String,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8], what: impl Into<String>) -> Self {
        Reader { buf, pos: 0, what: what.into() }
    }
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() - self.pos < n {
            return Err(malformed(format!("{}: ends early (truncated or inconsistent)", self.what)));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.bytes(4)?.try_into().unwrap()))
    }
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.bytes(8)?.try_into().unwrap()))
    }
}

/// Writes a container section by section (sizes are known before each section is written).
pub struct Writer<W: Write> {
    out: W,
}

impl<W: Write> Writer<W> {
    pub fn new(mut out: W, magic: &[u8; 4], version: u32, n_sections: u32) -> std::io::Result<Self> {
        out.write_all(magic)?;
        out.write_all(&version.to_le_bytes())?;
        out.write_all(&n_sections.to_le_bytes())?;
        Ok(Writer { out })
    }
    pub fn section(&mut self, ty: u32, data: &[u8]) -> std::io::Result<()> {
        self.out.write_all(&ty.to_le_bytes())?;
        self.out.write_all(&(data.len() as u64).to_le_bytes())?;
        self.out.write_all(data)
    }
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

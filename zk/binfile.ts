/**
 * Minimal readers for the headers of iden3 binary files (r1cs, ptau): enough to count constraints and check a
 * powers-of-tau file without loading snarkjs. Format: magic(4) version(u32) nSections(u32), then per section
 * type(u32) size(u64) data. Only the first occurrence of a section type is kept.
 */
import * as fs from "fs";

export interface Sections {
  fd: number;
  magic: string;
  version: number;
  /** section type -> { offset of the data, size } */
  sections: Map<number, { offset: number; size: number }>;
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, offset + done);
    if (n === 0) throw new Error(`unexpected end of file at ${offset + done}`);
    done += n;
  }
  return buf;
}

function openSections(file: string, expectMagic: string): Sections {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const head = readAt(fd, 0, 12);
    const magic = head.subarray(0, 4).toString("latin1");
    if (magic !== expectMagic) throw new Error(`${file}: not a ${expectMagic} file (magic "${magic}")`);
    const version = head.readUInt32LE(4);
    const n = head.readUInt32LE(8);
    const sections = new Map<number, { offset: number; size: number }>();
    let p = 12;
    for (let i = 0; i < n; i++) {
      const h = readAt(fd, p, 12);
      const type = h.readUInt32LE(0);
      const len = Number(h.readBigUInt64LE(4));
      if (p + 12 + len > size) throw new Error(`${file}: section ${type} runs past the end of the file (truncated?)`);
      if (!sections.has(type)) sections.set(type, { offset: p + 12, size: len });
      p += 12 + len;
    }
    return { fd, magic, version, sections };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** Section type -> where its data lies (offset, size) in an iden3 binary file (r1cs, wtns, zkey, ptau). */
export function sectionTable(file: string, magic: string): Map<number, { offset: number; size: number }> {
  const s = openSections(file, magic);
  fs.closeSync(s.fd);
  return s.sections;
}

export interface R1csHeader {
  nWires: number;
  nPubOut: number;
  nPubIn: number;
  nPrvIn: number;
  nLabels: number;
  nConstraints: number;
}

export function readR1csHeader(file: string): R1csHeader {
  const s = openSections(file, "r1cs");
  try {
    const sec = s.sections.get(1);
    if (!sec) throw new Error(`${file}: no header section`);
    const b = readAt(s.fd, sec.offset, sec.size);
    const n8 = b.readUInt32LE(0);
    let p = 4 + n8;
    const u32 = () => {
      const v = b.readUInt32LE(p);
      p += 4;
      return v;
    };
    const nWires = u32();
    const nPubOut = u32();
    const nPubIn = u32();
    const nPrvIn = u32();
    const nLabels = Number(b.readBigUInt64LE(p));
    p += 8;
    const nConstraints = u32();
    return { nWires, nPubOut, nPubIn, nPrvIn, nLabels, nConstraints };
  } finally {
    fs.closeSync(s.fd);
  }
}

export interface PtauHeader {
  power: number;
  ceremonyPower: number;
  /** Whether `powersoftau prepare phase2` has run (section 12, the Lagrange bases, is present). */
  prepared: boolean;
  contributions: number;
}

export function readPtauHeader(file: string): PtauHeader {
  const s = openSections(file, "ptau");
  try {
    const sec = s.sections.get(1);
    if (!sec) throw new Error(`${file}: no header section`);
    const b = readAt(s.fd, sec.offset, sec.size);
    const n8 = b.readUInt32LE(0);
    const power = b.readUInt32LE(4 + n8);
    const ceremonyPower = sec.size >= 4 + n8 + 8 ? b.readUInt32LE(8 + n8) : power;
    const c = s.sections.get(7);
    const contributions = c ? readAt(s.fd, c.offset, 4).readUInt32LE(0) : 0;
    return { power, ceremonyPower, prepared: s.sections.has(12), contributions };
  } finally {
    fs.closeSync(s.fd);
  }
}

/** Smallest power with 2^power >= constraints + public signals + 1 (snarkjs groth16 setup's domain). */
export function requiredPower(h: R1csHeader): number {
  const n = h.nConstraints + h.nPubIn + h.nPubOut + 1;
  let p = 0;
  while (2 ** p < n) p++;
  return p;
}

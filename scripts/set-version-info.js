#!/usr/bin/env node
/**
 * Rewrites the VERSIONINFO resource of a Windows exe (here: node.exe inside the pkg SEA) in place with
 * the product's name and package.json's version, so Explorer's file properties show
 * "Wildix CTI für DATEV 0.1.0" instead of "Node.js 22.23.3". No Windows tool and no network needed:
 * the PE resource tree is read, the VS_VERSIONINFO block is rebuilt and written over the old one,
 * which it must not outgrow (optional strings are dropped until it fits; a clear error otherwise).
 *
 *   node scripts/set-version-info.js <exe> <package.json>
 *   node scripts/set-version-info.js --print <exe>      prints the version resource as JSON
 */
'use strict';
const fs = require('node:fs');

const RT_VERSION = 16;
const LANG_CODEPAGE = '040904B0'; // U.S. English, Unicode (what Node's resource uses)

// ---- PE reading ----------------------------------------------------------------------------------

function fail(message) {
  throw new Error(`set-version-info: ${message}`);
}

function sections(b) {
  if (b.readUInt16LE(0) !== 0x5a4d) fail('not an MZ executable');
  const pe = b.readUInt32LE(0x3c);
  if (b.readUInt32LE(pe) !== 0x4550) fail('no PE header');
  const count = b.readUInt16LE(pe + 6);
  const optSize = b.readUInt16LE(pe + 20);
  const opt = pe + 24;
  const magic = b.readUInt16LE(opt);
  const dataDirs = opt + (magic === 0x20b ? 112 : 96);
  const list = [];
  for (let i = 0; i < count; i++) {
    const o = opt + optSize + i * 40;
    list.push({ vsize: b.readUInt32LE(o + 8), va: b.readUInt32LE(o + 12), rawSize: b.readUInt32LE(o + 16), raw: b.readUInt32LE(o + 20) });
  }
  return { list, rsrcRva: b.readUInt32LE(dataDirs + 2 * 8) };
}

function fileOffset(secs, rva, size) {
  const s = secs.find((x) => rva >= x.va && rva + size <= x.va + Math.min(x.vsize || x.rawSize, x.rawSize));
  if (!s) fail(`RVA 0x${rva.toString(16)} is not inside a section's file data`);
  return rva - s.va + s.raw;
}

/** The data entries (file offset of the entry, data file offset, size) of the RT_VERSION resources. */
function versionEntries(b) {
  const { list, rsrcRva } = sections(b);
  if (!rsrcRva) fail('the exe has no resources');
  const base = fileOffset(list, rsrcRva, 16);
  const entries = [];
  const walk = (dirOffset, depth, typeId) => {
    const n = b.readUInt16LE(dirOffset + 12) + b.readUInt16LE(dirOffset + 14);
    for (let i = 0; i < n; i++) {
      const e = dirOffset + 16 + i * 8;
      const name = b.readUInt32LE(e);
      const to = b.readUInt32LE(e + 4);
      const id = name & 0x80000000 ? -1 : name;
      if (depth === 0 && id !== RT_VERSION) continue;
      if (to & 0x80000000) walk(base + (to & 0x7fffffff), depth + 1, depth === 0 ? id : typeId);
      else {
        const entry = base + to;
        const rva = b.readUInt32LE(entry);
        const size = b.readUInt32LE(entry + 4);
        entries.push({ entry, data: fileOffset(list, rva, size), size });
      }
    }
  };
  walk(base, 0, 0);
  if (entries.length === 0) fail('the exe has no VERSIONINFO resource to rewrite');
  return entries;
}

// ---- VS_VERSIONINFO -------------------------------------------------------------------------------

const pad4 = (n) => (n + 3) & ~3;

/** One version block: header, key, value, children (each already a Buffer, 4-aligned). */
function block(key, type, value, valueLength, children = []) {
  const keyBytes = Buffer.from(`${key}\0`, 'utf16le');
  const headerLen = pad4(6 + keyBytes.length);
  const valueLen = value ? value.length : 0;
  const parts = [Buffer.alloc(headerLen), value ?? Buffer.alloc(0)];
  keyBytes.copy(parts[0], 6);
  let length = headerLen + valueLen;
  for (const c of children) {
    const gap = pad4(length) - length;
    if (gap) parts.push(Buffer.alloc(gap));
    parts.push(c);
    length = pad4(length) + c.length;
  }
  const out = Buffer.concat(parts);
  out.writeUInt16LE(out.length, 0);
  out.writeUInt16LE(valueLength, 2);
  out.writeUInt16LE(type, 4);
  return out;
}

function stringEntry(key, value) {
  const v = Buffer.from(`${value}\0`, 'utf16le');
  return block(key, 1, v, v.length / 2);
}

function versionNumbers(version) {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) fail(`version "${version}" is not x.y.z`);
  const n = m.slice(1, 4).map(Number);
  if (n.some((x) => x > 0xffff)) fail(`version "${version}" has a part above 65535`);
  return n;
}

function buildVersionInfo(strings, version) {
  const [major, minor, patch] = versionNumbers(version);
  const fixed = Buffer.alloc(52);
  fixed.writeUInt32LE(0xfeef04bd, 0); // signature
  fixed.writeUInt32LE(0x00010000, 4); // structure version
  fixed.writeUInt32LE(((major << 16) | minor) >>> 0, 8); // file version MS
  fixed.writeUInt32LE((patch << 16) >>> 0, 12); // file version LS
  fixed.writeUInt32LE(((major << 16) | minor) >>> 0, 16); // product version MS
  fixed.writeUInt32LE((patch << 16) >>> 0, 20); // product version LS
  fixed.writeUInt32LE(0x3f, 24); // flags mask
  fixed.writeUInt32LE(0, 28); // flags
  fixed.writeUInt32LE(0x00040004, 32); // VOS_NT_WINDOWS32
  fixed.writeUInt32LE(1, 36); // VFT_APP
  const table = block(LANG_CODEPAGE, 1, null, 0, strings.map(([k, v]) => stringEntry(k, v)));
  const stringInfo = block('StringFileInfo', 1, null, 0, [table]);
  const translation = Buffer.alloc(4);
  translation.writeUInt16LE(parseInt(LANG_CODEPAGE.slice(0, 4), 16), 0);
  translation.writeUInt16LE(parseInt(LANG_CODEPAGE.slice(4), 16), 2);
  const varInfo = block('VarFileInfo', 1, null, 0, [block('Translation', 0, translation, 4)]);
  return block('VS_VERSION_INFO', 0, fixed, 52, [stringInfo, varInfo]);
}

/** Reads a VS_VERSIONINFO back: fixed file version and the strings of the first table. */
function parseVersionInfo(buf) {
  const readBlock = (o) => {
    const length = buf.readUInt16LE(o);
    const valueLength = buf.readUInt16LE(o + 2);
    const type = buf.readUInt16LE(o + 4);
    let k = o + 6;
    while (buf.readUInt16LE(k) !== 0) k += 2;
    const key = buf.toString('utf16le', o + 6, k);
    const valueStart = pad4(k + 2);
    const valueBytes = type === 1 ? valueLength * 2 : valueLength;
    return { key, type, length, valueStart, valueBytes, childStart: pad4(valueStart + valueBytes), end: o + length };
  };
  const children = (b) => {
    const out = [];
    for (let o = b.childStart; o < b.end; o = pad4(o + buf.readUInt16LE(o))) {
      if (buf.readUInt16LE(o) === 0) break;
      out.push(readBlock(o));
    }
    return out;
  };
  const root = readBlock(0);
  if (root.key !== 'VS_VERSION_INFO') fail('not a VS_VERSIONINFO block');
  const f = root.valueStart;
  const ms = buf.readUInt32LE(f + 8);
  const ls = buf.readUInt32LE(f + 12);
  const result = { fileVersion: `${ms >>> 16}.${ms & 0xffff}.${ls >>> 16}.${ls & 0xffff}`, strings: {} };
  for (const info of children(root)) {
    if (info.key !== 'StringFileInfo') continue;
    const [table] = children(info);
    if (!table) continue;
    for (const s of children(table)) {
      result.strings[s.key] = buf.toString('utf16le', s.valueStart, s.valueStart + s.valueBytes).replace(/\0+$/, '');
    }
  }
  return result;
}

// ---- main ------------------------------------------------------------------------------------------

function setVersionInfo(exe, pkg) {
  const b = fs.readFileSync(exe);
  const version = String(pkg.version);
  const wanted = [
    ['FileDescription', 'Wildix CTI für DATEV'],
    ['FileVersion', version],
    ['ProductName', 'Wildix CTI für DATEV'],
    ['ProductVersion', version],
    ['OriginalFilename', 'wildix-datev-cti.exe'],
    ['InternalName', 'wildix-datev-cti'],
    ['LegalCopyright', 'Enthält Node.js (MIT-Lizenz)'],
  ];
  const optional = ['LegalCopyright', 'InternalName'];
  for (const { entry, data, size } of versionEntries(b)) {
    let strings = wanted;
    let info = buildVersionInfo(strings, version);
    for (const drop of optional) {
      if (info.length <= size) break;
      strings = strings.filter(([k]) => k !== drop);
      info = buildVersionInfo(strings, version);
    }
    if (info.length > size) fail(`the new version resource (${info.length} bytes) does not fit into the old one (${size} bytes)`);
    b.fill(0, data, data + size);
    info.copy(b, data);
    b.writeUInt32LE(info.length, entry + 4);
  }
  fs.writeFileSync(exe, b);
}

function printVersionInfo(exe) {
  const b = fs.readFileSync(exe);
  const [first] = versionEntries(b);
  return parseVersionInfo(b.subarray(first.data, first.data + first.size));
}

if (require.main === module) {
  try {
    const args = process.argv.slice(2);
    if (args[0] === '--print' && args.length === 2) {
      process.stdout.write(`${JSON.stringify(printVersionInfo(args[1]))}\n`);
    } else if (args.length === 2) {
      setVersionInfo(args[0], JSON.parse(fs.readFileSync(args[1], 'utf8')));
      const r = printVersionInfo(args[0]);
      process.stdout.write(`set-version-info: ${args[0]}: ${r.strings.ProductName} ${r.strings.ProductVersion} (file version ${r.fileVersion})\n`);
    } else {
      process.stderr.write('usage: set-version-info.js <exe> <package.json> | --print <exe>\n');
      process.exit(2);
    }
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}

module.exports = { setVersionInfo, printVersionInfo, buildVersionInfo, parseVersionInfo };

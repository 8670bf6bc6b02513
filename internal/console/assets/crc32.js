// CRC-32 as S3's x-amz-checksum-crc32 wants it: the IEEE polynomial
// (reflected, 0xEDB88320; Go's hash/crc32.ChecksumIEEE), sent as base64 of
// its four big-endian bytes. A checksum against accidents on the way, not
// a cryptographic primitive, so it is ours to write; SHA-256 comes only
// from WebCrypto (checksum.js).

const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

// crc32Update continues crc (0 to start) over bytes, a Uint8Array.
export function crc32Update(crc, bytes) {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// crc32Base64 is the header value for crc, a finished CRC-32.
export function crc32Base64(crc) {
  return btoa(String.fromCharCode(crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff));
}

// CHUNK is how many bytes are checksummed between two turns of the event
// loop: a few milliseconds, so an 8 MiB part never freezes the page.
const CHUNK = 1 << 20;

// crc32OfBlob is the base64 CRC-32 of a Blob (a File or a slice of one).
export async function crc32OfBlob(blob) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let crc = 0;
  for (let off = 0; off < bytes.length; off += CHUNK) {
    if (off > 0) await nextTask();
    crc = crc32Update(crc, bytes.subarray(off, off + CHUNK));
  }
  return crc32Base64(crc);
}

// nextTask lets the page handle input and paint. A message, not
// setTimeout: timers in a background tab wait a second or more.
function nextTask() {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { ch.port1.close(); resolve(); };
    ch.port2.postMessage(null);
  });
}

// The checksums uploads carry. SHA-256 comes only from WebCrypto, which a
// page has only in a secure context (HTTPS, or localhost); a console
// served over plain HTTP to another host name uses CRC-32 (crc32.js)
// instead. S3 stores either with every part and object, and ListParts
// answers it, which is how a resumed upload recognises its parts.

import { crc32OfBlob } from "./crc32.js";

// ALGORITHMS maps S3's name of an algorithm (x-amz-checksum-algorithm,
// ChecksumAlgorithm) to its request header and its XML element.
const ALGORITHMS = {
  SHA256: { header: "x-amz-checksum-sha256", element: "ChecksumSHA256" },
  CRC32: { header: "x-amz-checksum-crc32", element: "ChecksumCRC32" },
};

function hasWebCrypto() {
  return !!(globalThis.crypto && crypto.subtle);
}

// pageAlgorithm is the algorithm of a new upload from this page.
export function pageAlgorithm() {
  return hasWebCrypto() ? "SHA256" : "CRC32";
}

// canCompute says whether this page can checksum with alg (an upload made
// elsewhere may use another).
export function canCompute(alg) {
  return alg === "CRC32" || (alg === "SHA256" && hasWebCrypto());
}

export function checksumHeader(alg) {
  return ALGORITHMS[alg].header;
}

export function checksumElement(alg) {
  return ALGORITHMS[alg].element;
}

// checksumBase64 is the checksum of a Blob with alg, base64 as S3 wants it.
export async function checksumBase64(alg, blob) {
  if (alg === "CRC32") return crc32OfBlob(blob);
  if (alg !== "SHA256" || !hasWebCrypto()) throw new Error("checksum " + alg + " is not available in this page");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
  let s = "";
  for (const b of digest) s += String.fromCharCode(b);
  return btoa(s);
}

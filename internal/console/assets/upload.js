// Uploads from the browser: one PUT for a small file, multipart for a
// large one — 8 MiB parts, four at a time, each with its checksum (SHA-256
// in a secure context, else CRC-32: checksum.js) — with pause and resume.
// After a page reload the same file dropped again resumes:
// ListMultipartUploads finds the upload of that key, ListParts (every
// page) says what is there, and each listed part whose size and checksum
// match the local file's is kept; only the rest is sent. A resumed upload
// keeps the algorithm it was created with (S3 refuses parts with another).

import { s3xml, tag, children, objectPath, sessionHeaders, xmlEscape, S3Error } from "./s3.js";
import { pageAlgorithm, canCompute, checksumBase64, checksumHeader, checksumElement } from "./checksum.js";

export const PART_SIZE = 8 * 1024 * 1024;
export const PARALLEL = 4;

export class Upload {
  constructor(bucket, key, file, onChange) {
    this.bucket = bucket;
    this.key = key;
    this.file = file;
    this.onChange = onChange || (() => {});
    this.state = "waiting";
    this.error = null;
    this.uploadId = "";
    this.alg = ""; // the upload's checksum algorithm: "SHA256" or "CRC32"
    this.parts = [];
    this.resumed = 0;
    this.sent = 0; // bytes sent by this page (not counting kept parts)
    this.started = 0;
    this.inflight = new Set();
  }

  get multipart() { return this.file.size > PART_SIZE; }

  // loaded is how many of the file's bytes are on the server or on their way.
  get loaded() {
    if (!this.multipart) return this.single || 0;
    return this.parts.reduce((n, p) => n + (p.done ? p.size : p.loaded || 0), 0);
  }

  get rate() {
    const secs = (performance.now() - this.started) / 1000;
    return secs > 0 ? this.sent / secs : 0;
  }

  get partsDone() { return this.parts.filter((p) => p.done).length; }

  changed() { this.onChange(this); }

  async start() {
    this.started = performance.now();
    try {
      if (!this.multipart) {
        this.state = "uploading";
        this.changed();
        await this.putWhole();
      } else {
        this.state = "preparing";
        this.changed();
        await this.prepare();
        await this.run();
      }
    } catch (e) {
      if (this.state === "paused") return;
      this.state = "failed";
      this.error = e;
      this.changed();
    }
  }

  async putWhole() {
    this.alg = pageAlgorithm();
    const sum = await checksumBase64(this.alg, this.file);
    const url = objectPath(this.bucket, this.key);
    await this.xhr("PUT", url, this.file, { [checksumHeader(this.alg)]: sum, "Content-Type": this.file.type || "application/octet-stream" },
      (n) => { this.single = n; this.sent = n; this.changed(); });
    this.single = this.file.size;
    this.state = "done";
    this.changed();
  }

  // prepare plans the parts and finds an upload of this key to resume.
  async prepare() {
    this.parts = [];
    for (let n = 1, off = 0; off < this.file.size; n++, off += PART_SIZE) {
      this.parts.push({ n, start: off, size: Math.min(PART_SIZE, this.file.size - off), done: false, loaded: 0, etag: "", checksum: "" });
    }
    const found = await this.findUpload();
    if (found) {
      this.uploadId = found.id;
      this.alg = found.alg;
      const listed = await listAllParts(this.bucket, this.key, found.id);
      for (const lp of listed) {
        const p = this.parts[lp.n - 1];
        const listedSum = lp.sums[this.alg];
        if (!p || lp.size !== p.size || !listedSum) continue;
        if (await checksumBase64(this.alg, this.file.slice(p.start, p.start + p.size)) !== listedSum) continue;
        Object.assign(p, { done: true, etag: lp.etag, checksum: listedSum });
      }
      this.resumed = this.partsDone;
    } else {
      this.alg = pageAlgorithm();
      const { doc } = await s3xml("POST", objectPath(this.bucket, this.key), {
        query: { uploads: "" },
        headers: { "x-amz-checksum-algorithm": this.alg, "Content-Type": this.file.type || "application/octet-stream" },
      });
      this.uploadId = tag(doc, "UploadId");
    }
    this.changed();
  }

  // findUpload returns the newest in-progress upload of exactly this key
  // whose part checksums this page can verify, as {id, alg}, or null.
  async findUpload() {
    let best = null;
    let keyMarker, idMarker;
    for (;;) {
      const { doc } = await s3xml("GET", objectPath(this.bucket), {
        query: { uploads: "", prefix: this.key, "key-marker": keyMarker, "upload-id-marker": idMarker },
      });
      for (const u of children(doc.documentElement, "Upload")) {
        const alg = tag(u, "ChecksumAlgorithm");
        if (tag(u, "Key") !== this.key || !canCompute(alg)) continue;
        if (!best || tag(u, "Initiated") > best.initiated) best = { id: tag(u, "UploadId"), alg, initiated: tag(u, "Initiated") };
      }
      if (tag(doc, "IsTruncated") !== "true") break;
      keyMarker = tag(doc, "NextKeyMarker");
      idMarker = tag(doc, "NextUploadIdMarker");
    }
    return best;
  }

  // run sends the missing parts, PARALLEL at a time, then completes.
  async run() {
    this.state = "uploading";
    this.error = null;
    this.changed();
    const queue = this.parts.filter((p) => !p.done);
    const worker = async () => {
      while (queue.length && this.state === "uploading") {
        await this.sendPart(queue.shift());
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    if (this.state !== "uploading") return;
    await this.complete();
  }

  async sendPart(p) {
    p.checksum = await checksumBase64(this.alg, this.file.slice(p.start, p.start + p.size));
    if (this.state !== "uploading") return;
    let last = 0;
    const etag = await this.xhr("PUT", objectPath(this.bucket, this.key) + "?partNumber=" + p.n + "&uploadId=" + encodeURIComponent(this.uploadId),
      this.file.slice(p.start, p.start + p.size), { [checksumHeader(this.alg)]: p.checksum }, (n) => {
        p.loaded = n;
        this.sent += n - last;
        last = n;
        this.changed();
      });
    Object.assign(p, { done: true, etag, loaded: p.size });
    this.changed();
  }

  async complete() {
    this.state = "completing";
    this.changed();
    const sum = checksumElement(this.alg);
    const body = "<CompleteMultipartUpload>" + this.parts.map((p) =>
      "<Part><PartNumber>" + p.n + "</PartNumber><ETag>" + xmlEscape(p.etag) + "</ETag><" + sum + ">" + p.checksum + "</" + sum + "></Part>").join("") +
      "</CompleteMultipartUpload>";
    const { doc } = await s3xml("POST", objectPath(this.bucket, this.key), { query: { uploadId: this.uploadId }, body });
    // CompleteMultipartUpload may fail after its 200 (S3 sends the error
    // in the body).
    if (doc.documentElement.localName === "Error") throw new S3Error(200, tag(doc, "Code"), tag(doc, "Message"));
    this.state = "done";
    this.changed();
  }

  pause() {
    if (this.state !== "uploading") return;
    this.state = "paused";
    for (const x of this.inflight) x.abort();
    for (const p of this.parts) if (!p.done) p.loaded = 0;
    this.changed();
  }

  async resume() {
    if (this.state !== "paused" && this.state !== "failed") return;
    this.started = performance.now();
    this.sent = 0;
    try {
      if (!this.uploadId) await this.prepare();
      await this.run();
    } catch (e) {
      if (this.state === "paused") return;
      this.state = "failed";
      this.error = e;
      this.changed();
    }
  }

  // xhr sends a body with upload progress (fetch has none) and returns
  // the ETag.
  xhr(method, url, body, headers, progress) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      this.inflight.add(x);
      x.open(method, url);
      for (const [k, v] of Object.entries(Object.assign({}, sessionHeaders(), headers))) x.setRequestHeader(k, v);
      x.upload.onprogress = (e) => progress(e.loaded);
      x.onload = () => {
        this.inflight.delete(x);
        if (x.status >= 200 && x.status < 300) return resolve(x.getResponseHeader("ETag") || "");
        const doc = new DOMParser().parseFromString(x.responseText || "<x/>", "application/xml");
        reject(new S3Error(x.status, tag(doc, "Code") || "HTTP" + x.status, tag(doc, "Message"), tag(doc, "RequestId")));
      };
      x.onerror = () => { this.inflight.delete(x); reject(new S3Error(0, "NetworkError", "the connection failed")); };
      x.onabort = () => { this.inflight.delete(x); reject(new S3Error(0, "Paused", "paused")); };
      x.send(body);
    });
  }
}

// listAllParts walks every page of ListParts; it returns the parts (sums:
// each listed checksum by algorithm name) and what the answer's headers
// say about the upload's abort rule.
export async function listAllParts(bucket, key, uploadId, info) {
  const out = [];
  let marker;
  for (;;) {
    const { doc, resp } = await s3xml("GET", objectPath(bucket, key), { query: { uploadId, "part-number-marker": marker } });
    if (info) {
      info.abortDate = resp.headers.get("x-amz-abort-date") || "";
      info.abortRuleId = resp.headers.get("x-amz-abort-rule-id") || "";
      info.checksumAlgorithm = tag(doc, "ChecksumAlgorithm");
      info.initiator = tag(doc.getElementsByTagName("Initiator")[0] || doc, "DisplayName");
    }
    for (const p of children(doc.documentElement, "Part")) {
      out.push({
        n: Number(tag(p, "PartNumber")), size: Number(tag(p, "Size")), etag: tag(p, "ETag"),
        checksum: tag(p, "ChecksumSHA256"), crc: tag(p, "ChecksumCRC32") || tag(p, "ChecksumCRC32C") || tag(p, "ChecksumCRC64NVME") || tag(p, "ChecksumSHA1"),
        modified: tag(p, "LastModified"), sums: partSums(p),
      });
    }
    if (tag(doc, "IsTruncated") !== "true") break;
    marker = tag(doc, "NextPartNumberMarker");
  }
  return out;
}

// partSums maps a listed part's checksums by algorithm name
// (ChecksumCRC32 → CRC32).
function partSums(part) {
  const sums = {};
  for (const c of part.children) {
    if (c.localName.startsWith("Checksum") && c.localName !== "ChecksumType") sums[c.localName.slice("Checksum".length)] = c.textContent;
  }
  return sums;
}

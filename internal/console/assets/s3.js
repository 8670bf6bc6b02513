// The console's S3 client: the ordinary S3 REST API on this origin, path
// style, authenticated by the session cookie plus the CSRF header (the
// server accepts no other unsigned way in). Errors become S3Error with
// S3's own code and message.

import { crc32Base64, crc32Update } from "./crc32.js";

let csrf = "";
let csrfHeader = "X-Tessera-Csrf";

export function setSession(info) {
  csrf = info ? info.csrf : "";
  if (info && info.csrfHeader) csrfHeader = info.csrfHeader;
}

export function sessionHeaders() {
  return { [csrfHeader]: csrf };
}

export class S3Error extends Error {
  constructor(status, code, message, requestId) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.requestId = requestId || "";
  }
}

// encodeKey percent-encodes a key for a path, keeping its slashes.
export function encodeKey(key) {
  return key.split("/").map(encodeURIComponent).join("/");
}

export function objectPath(bucket, key) {
  return "/" + encodeURIComponent(bucket) + (key === undefined ? "" : "/" + encodeKey(key));
}

// query renders {uploads: "", prefix: "a"} as "?uploads&prefix=a".
function query(q) {
  if (!q) return "";
  const parts = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null) continue;
    parts.push(v === "" ? encodeURIComponent(k) : encodeURIComponent(k) + "=" + encodeURIComponent(v));
  }
  return parts.length ? "?" + parts.join("&") : "";
}

const statusCodes = { 400: "BadRequest", 403: "AccessDenied", 404: "NotFound", 409: "Conflict", 412: "PreconditionFailed", 503: "ServiceUnavailable" };

// errorFrom reads S3's XML error body (HEAD answers have none).
async function errorFrom(resp) {
  let code = statusCodes[resp.status] || "HTTP" + resp.status, message = "", requestId = resp.headers.get("x-amz-request-id");
  try {
    const text = await resp.text();
    if (text) {
      const doc = new DOMParser().parseFromString(text, "application/xml");
      code = tag(doc, "Code") || code;
      message = tag(doc, "Message");
      requestId = tag(doc, "RequestId") || requestId;
    }
  } catch (_) { /* keep what the status says */ }
  return new S3Error(resp.status, code, message || code, requestId);
}

// s3 sends one request and returns the Response, or throws S3Error.
export async function s3(method, path, opts = {}) {
  const headers = Object.assign({}, sessionHeaders(), opts.headers || {});
  // S3 wants an integrity header on configuration PUTs (lifecycle, CORS,
  // ...: Content-MD5 or any x-amz-checksum-*). CRC-32, as the SDKs send
  // by default: WebCrypto has no MD5, and no SHA-256 outside a secure
  // context. fetch sends a string as UTF-8, so that is what is summed.
  let body = opts.body;
  if (method === "PUT" && typeof body === "string") {
    body = new TextEncoder().encode(body);
    headers["x-amz-checksum-crc32"] = crc32Base64(crc32Update(0, body));
  }
  const resp = await fetch(path + query(opts.query), {
    method, headers, body, signal: opts.signal, credentials: "same-origin", cache: "no-store",
  });
  if (!resp.ok) throw await errorFrom(resp);
  return resp;
}

// s3xml sends a request and parses its XML answer.
export async function s3xml(method, path, opts) {
  const resp = await s3(method, path, opts);
  const text = await resp.text();
  return { doc: new DOMParser().parseFromString(text, "application/xml"), resp };
}

// tag is the text of the first element named name under node ("" if none).
export function tag(node, name) {
  const el = node.getElementsByTagName(name)[0];
  return el ? el.textContent : "";
}

export function all(node, name) {
  return Array.from(node.getElementsByTagName(name));
}

// children returns the direct children named name (ListParts' Part
// elements, not the nested ones of other lists).
export function children(node, name) {
  return Array.from(node.children).filter((c) => c.localName === name);
}

export function xmlEscape(s) {
  return String(s).replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]);
}

// api calls one of the console's own JSON endpoints.
export async function api(method, path, body) {
  const headers = Object.assign({}, sessionHeaders());
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch("/_tessera/console/api/" + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin", cache: "no-store",
  });
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
  if (!resp.ok) {
    const code = (data && (data.code || (data.error ? "AdminError" : ""))) || "HTTP" + resp.status;
    const message = (data && (data.message || data.error)) || text || code;
    throw new S3Error(resp.status, code, message);
  }
  return data;
}

export function formatBytes(n) {
  n = Number(n);
  if (!isFinite(n)) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)) + " " + units[i];
}

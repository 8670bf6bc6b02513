// Multipart uploads: every in-progress upload of a bucket, and one
// upload's part map from ListParts — parts 1…N as a grid, gaps visible,
// each part's ETag, checksum, size and time on hover or focus —
// refreshing while the upload runs.

import { s3, s3xml, tag, children, objectPath, formatBytes } from "./s3.js";
import { el, field, guard, say, confirmDialog, fmtDate, table } from "./ui.js";
import { href, go, onLeave } from "./app.js";
import { bucketTabs } from "./objects.js";
import { listAllParts } from "./upload.js";

const REFRESH_MS = 2000;

export async function uploadsView(main, bucket) {
  main.append(el("div", { class: "crumbs" }, el("a", { href: href("buckets") }, "Buckets"), " / ", el("a", { href: href("b", bucket) }, bucket)),
    el("h1", {}, "Multipart uploads in " + bucket), bucketTabs(bucket, "u"));
  const list = el("div", { id: "upload-list" });
  main.append(list);
  const rows = [];
  let keyMarker, idMarker;
  for (let pages = 0; pages < 20; pages++) { // 20,000 uploads at most on one screen
    const { doc } = await s3xml("GET", objectPath(bucket), { query: { uploads: "", "key-marker": keyMarker, "upload-id-marker": idMarker } });
    for (const u of children(doc.documentElement, "Upload")) {
      const key = tag(u, "Key"), id = tag(u, "UploadId");
      rows.push(el("tr", { dataset: { key, uploadId: id } },
        el("td", { class: "name" }, el("a", { href: href("u", bucket, id, key) }, key)),
        el("td", { class: "opt name muted" }, id),
        el("td", {}, fmtDate(tag(u, "Initiated"))),
        el("td", { class: "opt" }, tag(u, "ChecksumAlgorithm") || "—")));
    }
    if (tag(doc, "IsTruncated") !== "true") break;
    keyMarker = tag(doc, "NextKeyMarker");
    idMarker = tag(doc, "NextUploadIdMarker");
  }
  list.replaceChildren(rows.length ? table(["Key", el("th", { class: "opt" }, "Upload ID"), "Initiated", el("th", { class: "opt" }, "Checksum")], rows)
    : el("p", { class: "muted" }, "No multipart uploads in progress."));
}

export async function partMapView(main, bucket, uploadId, key) {
  main.append(el("div", { class: "crumbs" }, el("a", { href: href("buckets") }, "Buckets"), " / ", el("a", { href: href("b", bucket) }, bucket), " / ", el("a", { href: href("u", bucket) }, "uploads")),
    el("h1", {}, "Upload of " + key), bucketTabs(bucket, "u"));
  const summary = el("dl", { class: "kv", id: "upload-summary" });
  const grid = el("div", { class: "partmap", id: "partmap", role: "list", "aria-label": "Parts" });
  const info = el("div", { class: "partinfo", id: "partinfo", "aria-live": "polite" }, "Hover over or focus a part to see its details.");
  const auto = field("Refresh every 2 s", { type: "checkbox", id: "auto-refresh", checked: true }, "inline");
  const abort = el("button", { type: "button", class: "danger", id: "abort-upload" }, "Abort upload");
  const legend = el("div", { class: "legend" }, el("span", { class: "l-full" }, "full-size part"), el("span", { class: "l-small" }, "smaller part"), el("span", { class: "l-missing" }, "missing (gap)"));
  main.append(summary, el("div", { class: "row" }, auto.label, abort), legend, grid, info);
  let timer = null, gone = false;
  onLeave(() => { gone = true; clearTimeout(timer); });
  const refresh = async () => {
    await guard("List parts", () => drawMap(bucket, key, uploadId, summary, grid, info));
    if (!gone && auto.input.checked && !document.getElementById("alert").dataset.code) timer = setTimeout(refresh, REFRESH_MS);
  };
  auto.input.addEventListener("change", () => { clearTimeout(timer); if (auto.input.checked) refresh(); });
  abort.addEventListener("click", async () => {
    if (!(await confirmDialog("Abort the upload of " + key + "? Its parts are deleted and it cannot be completed any more.", "Abort upload"))) return;
    await guard("Abort upload", async () => {
      await s3("DELETE", objectPath(bucket, key), { query: { uploadId } });
      gone = true;
      clearTimeout(timer);
      say("Upload of " + key + " aborted.");
      go("u", bucket);
    });
  });
  await refresh();
}

async function drawMap(bucket, key, uploadId, summary, grid, info) {
  const meta = {};
  const parts = await listAllParts(bucket, key, uploadId, meta);
  const byN = new Map(parts.map((p) => [p.n, p]));
  const maxN = parts.reduce((m, p) => Math.max(m, p.n), 0);
  const largest = parts.reduce((m, p) => Math.max(m, p.size), 0);
  const total = parts.reduce((n, p) => n + p.size, 0);
  const gaps = maxN - parts.length;
  const kv = [["Key", key], ["Upload ID", uploadId], ["Parts present", parts.length + " (numbers 1 to " + maxN + ")"], ["Gaps", String(gaps)],
    ["Total bytes", formatBytes(total) + " (" + total + " bytes)"], ["Checksum", meta.checksumAlgorithm || "none"],
    ["Abort date", meta.abortDate ? fmtDate(meta.abortDate) : "no lifecycle rule applies"], ["Abort rule ID", meta.abortRuleId || "—"]];
  summary.replaceChildren(...kv.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { dataset: { field: k } }, v)]));
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.part : null;
  const cells = [];
  for (let n = 1; n <= maxN; n++) {
    const p = byN.get(n);
    const text = p ? "Part " + n + ": " + formatBytes(p.size) + " (" + p.size + " bytes), ETag " + p.etag + (p.checksum ? ", SHA-256 " + p.checksum : "") +
      (p.crc ? ", checksum " + p.crc : "") + ", uploaded " + fmtDate(p.modified) : "Part " + n + ": missing";
    const cell = el("button", { type: "button", role: "listitem", class: "part " + (p ? "present" : "missing"), title: text, "aria-label": text, dataset: { part: String(n), size: p ? String(p.size) : "" } }, String(n));
    if (p) {
      // Shade by size: a full part is solid, a smaller one lighter.
      const f = largest ? p.size / largest : 1;
      cell.style.background = "rgb(" + Math.round(127 - 96 * f) + "," + Math.round(166 - 71 * f) + "," + Math.round(223 - 32 * f) + ")";
    }
    const show = () => { info.textContent = text; };
    cell.addEventListener("mouseenter", show);
    cell.addEventListener("focus", show);
    cells.push(cell);
  }
  grid.replaceChildren(...cells);
  grid.dataset.parts = String(parts.length);
  grid.dataset.max = String(maxN);
  if (focused) { const c = grid.querySelector('[data-part="' + focused + '"]'); if (c) c.focus(); }
  if (!parts.length) grid.replaceChildren(el("p", { class: "muted" }, "No parts uploaded yet."));
}

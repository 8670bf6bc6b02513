// Browsing a bucket (one page of ListObjectsV2 at a time, delimiter "/",
// so a bucket of any size stays quick), uploading into it, and one
// object's details, download and share link.

import { s3, s3xml, tag, all, children, objectPath, api, formatBytes } from "./s3.js";
import { el, field, guard, say, confirmDialog, fmtDate, table } from "./ui.js";
import { href, go, onLeave } from "./app.js";
import { Upload } from "./upload.js";

const PAGE = 100;

// Uploads live as long as the page: browsing elsewhere and back shows them.
const uploads = [];

export function bucketTabs(bucket, current) {
  const tab = (name, label) => el("a", { href: href(name, bucket), "aria-current": current === name ? "page" : undefined }, label);
  return el("nav", { class: "tabs", "aria-label": "Bucket" }, tab("b", "Objects"), tab("u", "Multipart uploads"), tab("s", "Settings"));
}

export async function objectsView(main, bucket, prefix = "") {
  main.append(
    el("div", { class: "crumbs" }, el("a", { href: href("buckets") }, "Buckets"), " / ", crumbs(bucket, prefix)),
    el("h1", {}, bucket + (prefix ? " / " + prefix : "")),
    bucketTabs(bucket, "b"));
  const filter = field("Filter by name prefix", { id: "filter", type: "search" });
  const list = el("div", { id: "object-list" });
  const pager = el("div", { class: "row" });
  const tokens = [""]; // continuation tokens of the pages seen, for Previous
  let page = 0;
  const load = () => guard("List objects", () => listPage(bucket, prefix, filter.input.value, tokens, page, list, pager, (p) => { page = p; load(); }));
  let debounce;
  filter.input.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { tokens.length = 1; page = 0; load(); }, 250);
  });
  main.append(uploadArea(bucket, prefix, load), el("div", { class: "row" }, filter.label), list, pager);
  await load();
}

function crumbs(bucket, prefix) {
  const out = [el("a", { href: href("b", bucket) }, bucket)];
  let acc = "";
  for (const seg of prefix.split("/").filter(Boolean)) {
    acc += seg + "/";
    out.push(" / ", el("a", { href: href("b", bucket, acc) }, seg));
  }
  return out;
}

async function listPage(bucket, prefix, filter, tokens, page, list, pager, goPage) {
  const { doc } = await s3xml("GET", objectPath(bucket), {
    query: { "list-type": "2", delimiter: "/", prefix: prefix + filter, "max-keys": String(PAGE), "continuation-token": tokens[page] || undefined },
  });
  const rows = [];
  for (const cp of all(doc, "CommonPrefixes")) {
    const p = tag(cp, "Prefix");
    rows.push(el("tr", { class: "folder" },
      el("td", { class: "name" }, el("a", { href: href("b", bucket, p) }, "📁 " + p.slice(prefix.length))),
      el("td", { class: "num" }, ""), el("td", { class: "opt" }, ""), el("td", {}, "")));
  }
  for (const c of children(doc.documentElement, "Contents")) {
    const key = tag(c, "Key");
    rows.push(objectRow(bucket, key, c, () => goPage(page)));
  }
  list.replaceChildren(rows.length ? table(["Name", el("th", { scope: "col", class: "num" }, "Size"), el("th", { scope: "col", class: "opt" }, "Modified"), "Actions"], rows)
    : el("p", { class: "muted" }, "Nothing here" + (filter ? " starting with “" + filter + "”" : "") + "."));
  const next = tag(doc, "NextContinuationToken");
  if (next) tokens[page + 1] = next;
  pager.replaceChildren(
    el("button", { type: "button", id: "prev-page", disabled: page === 0, onclick: () => goPage(page - 1) }, "Previous page"),
    el("span", { class: "muted" }, "Page " + (page + 1)),
    el("button", { type: "button", id: "next-page", disabled: tag(doc, "IsTruncated") !== "true", onclick: () => goPage(page + 1) }, "Next page"));
}

function objectRow(bucket, key, c, reload) {
  const name = key.split("/").filter(Boolean).pop() || key;
  return el("tr", { dataset: { key } },
    el("td", { class: "name" }, el("a", { href: href("o", bucket, key) }, name)),
    el("td", { class: "num" }, formatBytes(tag(c, "Size"))),
    el("td", { class: "opt" }, fmtDate(tag(c, "LastModified"))),
    el("td", {},
      el("button", { type: "button", "aria-label": "Download " + key, onclick: () => download(bucket, key) }, "Download"), " ",
      el("button", { type: "button", class: "danger", "aria-label": "Delete " + key, onclick: () => deleteObject(bucket, key, reload) }, "Delete")));
}

// download follows a short-lived presigned URL: the browser streams the
// object to disk, however large, without holding it in memory.
export async function download(bucket, key) {
  await guard("Download " + key, async () => {
    const { url } = await api("POST", "presign", { bucket, key, expiresSeconds: 300 });
    const a = el("a", { href: url, download: key.split("/").pop() || "download" });
    document.body.append(a);
    a.click();
    a.remove();
  });
}

async function deleteObject(bucket, key, after) {
  if (!(await confirmDialog("Delete " + key + "?", "Delete object"))) return;
  await guard("Delete " + key, async () => {
    await s3("DELETE", objectPath(bucket, key));
    say("Deleted " + key + ".");
    after();
  });
}

function uploadArea(bucket, prefix, reload) {
  const input = el("input", { type: "file", id: "upload-input", multiple: true });
  const drop = el("div", { class: "drop", id: "drop" },
    el("label", {}, "Upload files (or drop them here)", input));
  const cards = el("div", { id: "uploads", "aria-live": "polite" });
  const start = (files) => {
    for (const f of files) {
      const up = new Upload(bucket, prefix + f.name, f, (u) => renderCard(u));
      up.card = el("div", { class: "upload", dataset: { key: up.key } });
      uploads.push(up);
      cards.append(up.card);
      renderCard(up);
      up.start().then(() => { if (up.state === "done") reload(); });
    }
  };
  input.addEventListener("change", () => { start(Array.from(input.files)); input.value = ""; });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); start(Array.from(e.dataTransfer.files)); });
  for (const up of uploads) if (up.bucket === bucket && up.state !== "done") { cards.append(up.card); renderCard(up); }
  return el("section", { "aria-label": "Upload" }, drop, cards);
}

function renderCard(up) {
  const c = up.card;
  if (!c) return;
  const size = up.file.size;
  const bar = el("progress", { max: String(size), value: String(up.loaded), "aria-label": "Upload progress of " + up.key });
  const parts = up.multipart ? " · parts " + up.partsDone + " of " + up.parts.length : "";
  const line = formatBytes(up.loaded) + " of " + formatBytes(size) + " · " + formatBytes(up.rate) + "/s" + parts;
  const btn = up.state === "uploading" ? el("button", { type: "button", class: "pause", onclick: () => up.pause() }, "Pause")
    : up.state === "paused" || up.state === "failed" ? el("button", { type: "button", class: "resume", onclick: () => up.resume() }, "Resume") : "";
  c.dataset.state = up.state;
  c.dataset.partsDone = String(up.partsDone);
  c.replaceChildren(
    el("div", {}, el("strong", {}, up.key), " ", el("span", { class: "muted state" }, up.state)),
    bar,
    el("div", { class: "meta" }, line),
    up.resumed ? el("div", { class: "meta resumed" }, "Resumed upload " + up.uploadId + ": " + up.resumed + " of " + up.parts.length + " parts were already on the server and matched this file.") : "",
    up.error ? el("div", { class: "meta", role: "alert" }, (up.error.code || "Error") + ": " + up.error.message) : "",
    btn);
}

export async function objectView(main, bucket, key) {
  const parent = key.includes("/") ? key.slice(0, key.lastIndexOf("/") + 1) : "";
  main.append(el("div", { class: "crumbs" }, el("a", { href: href("buckets") }, "Buckets"), " / ", crumbs(bucket, parent)), el("h1", {}, key));
  const head = await s3("HEAD", objectPath(bucket, key), { headers: { "x-amz-checksum-mode": "ENABLED" } });
  const h = head.headers;
  const kv = (pairs) => el("dl", { class: "kv" }, pairs.filter(([, v]) => v).map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const metaPairs = [["Size", formatBytes(h.get("Content-Length")) + " (" + h.get("Content-Length") + " bytes)"], ["Content type", h.get("Content-Type")],
    ["ETag", h.get("ETag")], ["Last modified", fmtDate(h.get("Last-Modified"))], ["Version", h.get("x-amz-version-id")],
    ["Storage class", h.get("x-amz-storage-class") || "STANDARD"], ["Encryption", h.get("x-amz-server-side-encryption")]];
  for (const [k, v] of h) if (k.startsWith("x-amz-meta-")) metaPairs.push([k, v]);
  for (const [k, v] of h) if (k.startsWith("x-amz-checksum-")) metaPairs.push([k, v]);
  const actions = el("div", { class: "row" },
    el("button", { type: "button", id: "download", onclick: () => download(bucket, key) }, "Download"),
    el("button", { type: "button", class: "danger", onclick: () => deleteObject(bucket, key, () => go("b", bucket, parent)) }, "Delete"));
  main.append(actions, el("h2", {}, "Metadata"), kv(metaPairs), shareForm(bucket, key));
  await guard("Object attributes", async () => {
    const { doc } = await s3xml("GET", objectPath(bucket, key), { query: { attributes: "" }, headers: { "x-amz-object-attributes": "ETag,Checksum,ObjectParts,StorageClass,ObjectSize" } });
    const pairs = [];
    const cs = doc.getElementsByTagName("Checksum")[0];
    if (cs) for (const c of Array.from(cs.children)) pairs.push([c.localName, c.textContent]);
    const op = doc.getElementsByTagName("ObjectParts")[0];
    if (op) pairs.push(["Parts", tag(op, "TotalPartsCount") || tag(op, "PartsCount")]);
    main.append(el("h2", {}, "Checksums and parts"), pairs.length ? kv(pairs) : el("p", { class: "muted" }, "No checksums stored."));
  });
  await guard("Tags", async () => {
    const { doc } = await s3xml("GET", objectPath(bucket, key), { query: { tagging: "" } });
    const tags = all(doc, "Tag").map((t) => [tag(t, "Key"), tag(t, "Value")]);
    main.append(el("h2", {}, "Tags"), tags.length ? kv(tags) : el("p", { class: "muted" }, "No tags."));
  });
  await guard("Versions", async () => {
    const { doc } = await s3xml("GET", objectPath(bucket), { query: { versions: "", prefix: key, "max-keys": "50" } });
    const rows = [...children(doc.documentElement, "Version"), ...children(doc.documentElement, "DeleteMarker")]
      .filter((v) => tag(v, "Key") === key)
      .map((v) => el("tr", {}, el("td", { class: "name" }, tag(v, "VersionId")), el("td", {}, v.localName === "DeleteMarker" ? "delete marker" : formatBytes(tag(v, "Size"))),
        el("td", { class: "opt" }, fmtDate(tag(v, "LastModified"))), el("td", {}, tag(v, "IsLatest") === "true" ? "latest" : "")));
    if (rows.length > 1 || (rows.length && rows[0].firstChild.textContent !== "null")) main.append(el("h2", {}, "Versions"), table(["Version", "Size", el("th", { class: "opt" }, "Modified"), ""], rows));
  });
}

function shareForm(bucket, key) {
  const expiry = field("Link valid for", { tag: "select", id: "share-expiry" });
  for (const [label, secs] of [["1 hour", 3600], ["1 day", 86400], ["7 days (the longest S3 allows)", 604800], ["15 minutes", 900]]) {
    expiry.input.append(el("option", { value: String(secs) }, label));
  }
  const out = field("Share link", { id: "share-url", class: "share", readonly: true }, "");
  out.label.hidden = true;
  const form = el("form", { class: "row", id: "share-form" }, expiry.label, el("button", { type: "submit" }, "Create share link"), out.label);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    guard("Share link", async () => {
      const r = await api("POST", "presign", { bucket, key, expiresSeconds: Number(expiry.input.value) });
      out.input.value = r.url;
      out.label.hidden = false;
      out.input.select();
      say("Share link valid until " + fmtDate(r.expires) + ". It works for anyone who has it, with your key's permissions on this object.");
    });
  });
  return el("section", {}, el("h2", {}, "Share"), form);
}


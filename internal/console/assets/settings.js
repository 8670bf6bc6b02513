// A bucket's settings, each through its own S3 subresource, with the
// session's permissions: versioning, lifecycle (AbortIncompleteMultipartUpload),
// policy, CORS, tags and default encryption.

import { s3, s3xml, tag, all, objectPath, xmlEscape } from "./s3.js";
import { el, field, guard, say } from "./ui.js";
import { href } from "./app.js";
import { bucketTabs } from "./objects.js";

const ABORT_RULE = "console-abort-incomplete-uploads";

// getOr returns the subresource's text, or "" when S3 says there is none.
async function getOr(bucket, sub, noneCode) {
  try {
    const resp = await s3("GET", objectPath(bucket), { query: { [sub]: "" } });
    return await resp.text();
  } catch (e) {
    if (e.code === noneCode) return "";
    throw e;
  }
}

function section(main, title, id, ...body) {
  const s = el("section", { id, "aria-labelledby": id + "-h" }, el("h2", { id: id + "-h" }, title), ...body);
  main.append(s);
  return s;
}

export async function settingsView(main, bucket) {
  main.append(el("div", { class: "crumbs" }, el("a", { href: href("buckets") }, "Buckets"), " / ", el("a", { href: href("b", bucket) }, bucket)),
    el("h1", {}, "Settings of " + bucket), bucketTabs(bucket, "s"));
  await guard("Versioning", () => versioning(main, bucket));
  await guard("Lifecycle", () => lifecycle(main, bucket));
  await guard("Bucket policy", () => policy(main, bucket));
  await guard("CORS", () => textConfig(main, bucket, "CORS", "cors", "NoSuchCORSConfiguration", "Save CORS"));
  await guard("Tags", () => tags(main, bucket));
  await guard("Encryption", () => encryption(main, bucket));
}

async function versioning(main, bucket) {
  const { doc } = await s3xml("GET", objectPath(bucket), { query: { versioning: "" } });
  const status = field("Versioning", { tag: "select", id: "versioning" });
  for (const v of ["Enabled", "Suspended"]) status.input.append(el("option", { value: v }, v));
  const cur = tag(doc, "Status");
  status.input.value = cur || "Suspended";
  const save = el("button", { type: "button" }, "Save versioning");
  save.addEventListener("click", () => guard("Versioning", async () => {
    await s3("PUT", objectPath(bucket), { query: { versioning: "" }, body: "<VersioningConfiguration><Status>" + status.input.value + "</Status></VersioningConfiguration>" });
    say("Versioning " + status.input.value.toLowerCase() + ".");
  }));
  section(main, "Versioning", "set-versioning", el("p", { class: "muted" }, "Now: " + (cur || "never enabled")), el("div", { class: "row" }, status.label, save));
}

async function lifecycle(main, bucket) {
  const text = await getOr(bucket, "lifecycle", "NoSuchLifecycleConfiguration");
  const doc = new DOMParser().parseFromString(text || "<LifecycleConfiguration/>", "application/xml");
  const rule = all(doc, "Rule").find((r) => tag(r, "ID") === ABORT_RULE);
  const days = field("Abort incomplete multipart uploads after (days)", { type: "number", min: 1, id: "abort-days", value: rule ? tag(rule, "DaysAfterInitiation") : "" });
  const raw = field("Lifecycle configuration (XML)", { tag: "textarea", id: "lifecycle-xml" });
  raw.input.value = text;
  const save = el("button", { type: "button" }, "Save abort rule");
  save.addEventListener("click", () => guard("Lifecycle", async () => {
    const n = Number(days.input.value);
    if (!(n >= 1)) throw { code: "InvalidInput", message: "days must be a whole number of at least 1" };
    const others = all(doc, "Rule").filter((r) => tag(r, "ID") !== ABORT_RULE).map((r) => new XMLSerializer().serializeToString(r).replace(/ xmlns="[^"]*"/, ""));
    const mine = "<Rule><ID>" + ABORT_RULE + "</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>" + n + "</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>";
    await s3("PUT", objectPath(bucket), { query: { lifecycle: "" }, body: "<LifecycleConfiguration>" + others.join("") + mine + "</LifecycleConfiguration>" });
    say("Incomplete uploads are aborted " + n + " days after they start.");
  }));
  const saveRaw = el("button", { type: "button" }, "Save lifecycle XML");
  saveRaw.addEventListener("click", () => guard("Lifecycle", async () => {
    if (raw.input.value.trim() === "") await s3("DELETE", objectPath(bucket), { query: { lifecycle: "" } });
    else await s3("PUT", objectPath(bucket), { query: { lifecycle: "" }, body: raw.input.value });
    say("Lifecycle configuration saved.");
  }));
  section(main, "Lifecycle", "set-lifecycle", el("div", { class: "row" }, days.label, save), raw.label, el("div", { class: "row" }, saveRaw));
}

async function policy(main, bucket) {
  const text = await getOr(bucket, "policy", "NoSuchBucketPolicy");
  const p = field("Bucket policy (JSON)", { tag: "textarea", id: "policy-json" });
  p.input.value = text ? JSON.stringify(JSON.parse(text), null, 2) : "";
  const save = el("button", { type: "button" }, "Save policy");
  save.addEventListener("click", () => guard("Bucket policy", async () => {
    // Checked here first, so a typo is explained before S3's MalformedPolicy.
    let doc;
    try { doc = JSON.parse(p.input.value); } catch (e) { throw { code: "MalformedPolicy", message: "not JSON: " + e.message }; }
    if (!doc || !Array.isArray(doc.Statement) && typeof doc.Statement !== "object") throw { code: "MalformedPolicy", message: "a policy needs a Statement" };
    await s3("PUT", objectPath(bucket), { query: { policy: "" }, body: p.input.value });
    say("Policy saved.");
  }));
  const del = el("button", { type: "button", class: "danger" }, "Delete policy");
  del.addEventListener("click", () => guard("Bucket policy", async () => {
    await s3("DELETE", objectPath(bucket), { query: { policy: "" } });
    p.input.value = "";
    say("Policy deleted.");
  }));
  section(main, "Bucket policy", "set-policy", p.label, el("div", { class: "row" }, save, del));
}

async function textConfig(main, bucket, title, sub, none, saveLabel) {
  const text = await getOr(bucket, sub, none);
  const t = field(title + " configuration (XML)", { tag: "textarea", id: sub + "-xml" });
  t.input.value = text;
  const save = el("button", { type: "button" }, saveLabel);
  save.addEventListener("click", () => guard(title, async () => {
    const doc = new DOMParser().parseFromString(t.input.value, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) throw { code: "MalformedXML", message: "the configuration is not well-formed XML" };
    await s3("PUT", objectPath(bucket), { query: { [sub]: "" }, body: t.input.value });
    say(title + " saved.");
  }));
  const del = el("button", { type: "button", class: "danger" }, "Delete " + title);
  del.addEventListener("click", () => guard(title, async () => {
    await s3("DELETE", objectPath(bucket), { query: { [sub]: "" } });
    t.input.value = "";
    say(title + " deleted.");
  }));
  section(main, title, "set-" + sub, t.label, el("div", { class: "row" }, save, del));
}

async function tags(main, bucket) {
  const text = await getOr(bucket, "tagging", "NoSuchTagSet");
  const doc = new DOMParser().parseFromString(text || "<Tagging/>", "application/xml");
  const t = field("Tags, one key=value a line", { tag: "textarea", id: "bucket-tags" });
  t.input.value = all(doc, "Tag").map((x) => tag(x, "Key") + "=" + tag(x, "Value")).join("\n");
  const save = el("button", { type: "button" }, "Save tags");
  save.addEventListener("click", () => guard("Tags", async () => {
    const lines = t.input.value.split("\n").map((l) => l.trim()).filter(Boolean);
    if (!lines.length) {
      await s3("DELETE", objectPath(bucket), { query: { tagging: "" } });
    } else {
      const body = "<Tagging><TagSet>" + lines.map((l) => {
        const i = l.indexOf("=");
        const k = i < 0 ? l : l.slice(0, i), v = i < 0 ? "" : l.slice(i + 1);
        return "<Tag><Key>" + xmlEscape(k) + "</Key><Value>" + xmlEscape(v) + "</Value></Tag>";
      }).join("") + "</TagSet></Tagging>";
      await s3("PUT", objectPath(bucket), { query: { tagging: "" }, body });
    }
    say("Tags saved.");
  }));
  section(main, "Tags", "set-tags", t.label, el("div", { class: "row" }, save));
}

async function encryption(main, bucket) {
  const text = await getOr(bucket, "encryption", "ServerSideEncryptionConfigurationNotFoundError");
  const doc = new DOMParser().parseFromString(text || "<x/>", "application/xml");
  const alg = field("Default encryption", { tag: "select", id: "sse-alg" });
  for (const [v, l] of [["", "None"], ["AES256", "SSE-S3 (AES256)"], ["aws:kms", "SSE-KMS"]]) alg.input.append(el("option", { value: v }, l));
  alg.input.value = tag(doc, "SSEAlgorithm");
  const key = field("KMS key ID (SSE-KMS)", { id: "sse-key", value: tag(doc, "KMSMasterKeyID") });
  const save = el("button", { type: "button" }, "Save encryption");
  save.addEventListener("click", () => guard("Encryption", async () => {
    if (!alg.input.value) {
      await s3("DELETE", objectPath(bucket), { query: { encryption: "" } });
    } else {
      const k = alg.input.value === "aws:kms" && key.input.value ? "<KMSMasterKeyID>" + xmlEscape(key.input.value) + "</KMSMasterKeyID>" : "";
      await s3("PUT", objectPath(bucket), { query: { encryption: "" },
        body: "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>" + alg.input.value + "</SSEAlgorithm>" + k + "</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>" });
    }
    say("Encryption saved.");
  }));
  section(main, "Default encryption", "set-encryption", el("div", { class: "row" }, alg.label, key.label, save));
}

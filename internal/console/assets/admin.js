// Administration (root only): accounts and keys through the admin API
// (the server re-signs each call with this session's key, and the admin
// API itself refuses every account but root), usage, health and the main
// metrics.

import { api, formatBytes } from "./s3.js";
import { el, field, guard, say, confirmDialog, fmtDate, table } from "./ui.js";

export async function adminView(main) {
  main.append(el("h1", {}, "Administration"));
  const health = el("section", { id: "health", "aria-labelledby": "health-h" }, el("h2", { id: "health-h" }, "Server"));
  const accounts = el("section", { id: "accounts", "aria-labelledby": "accounts-h" }, el("h2", { id: "accounts-h" }, "Accounts"));
  const created = el("div", { id: "created", "aria-live": "polite" });
  const name = field("New account name", { id: "account-name", required: true, maxlength: 64 });
  const form = el("form", { class: "row" }, name.label, el("button", { type: "submit", class: "primary" }, "Create account"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    guard("Create account", async () => {
      const r = await api("POST", "admin/accounts", { name: name.input.value.trim() });
      name.input.value = "";
      showSecret(created, "Account " + r.account.name + " created.", r.key);
      await loadAccounts(list, created);
    });
  });
  const list = el("div", { id: "account-list" });
  accounts.append(form, created, list);
  main.append(health, accounts);
  await guard("Server health", () => loadHealth(health));
  await guard("Accounts", () => loadAccounts(list, created));
}

// showSecret shows a new key pair once: the secret cannot be read again.
function showSecret(box, text, key) {
  box.replaceChildren(el("div", { class: "secret", role: "status" }, text, el("br"),
    "Access key ID: ", el("code", { class: "new-key-id" }, key.access_key_id), el("br"),
    "Secret access key: ", el("code", { class: "new-key-secret" }, key.secret_access_key), el("br"),
    el("em", {}, "Copy the secret now: it is not shown again.")));
}

async function loadHealth(box) {
  const ready = await fetch("/_tessera/health/ready", { cache: "no-store" });
  const metrics = await (await fetch("/_tessera/metrics", { cache: "no-store" })).text();
  const sum = (name, filter) => metrics.split("\n").filter((l) => l.startsWith(name) && (!filter || l.includes(filter)))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
  const rows = [
    ["Readiness", ready.ok ? "ready" : "not ready (" + ready.status + ")"],
    ["S3 requests", String(sum("tessera_s3_requests_total{"))],
    ["S3 errors (5xx)", String(sum("tessera_s3_requests_total{", 'status="5'))],
    ["Requests in flight", String(sum("tessera_s3_requests_in_flight"))],
    ["Bytes received", formatBytes(sum("tessera_s3_received_bytes_total"))],
    ["Bytes sent", formatBytes(sum("tessera_s3_sent_bytes_total"))],
    ["Throttled (SlowDown)", String(sum("tessera_s3_throttled_total{"))],
    ["Gateways", String(sum("tessera_cluster_gateways"))],
    ["Uploads aborted by lifecycle", String(sum("tessera_lifecycle_uploads_aborted_total"))],
  ];
  box.append(el("dl", { class: "kv" }, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])));
}

async function loadAccounts(list, created) {
  const accounts = await api("GET", "admin/accounts");
  const rows = [];
  for (const a of accounts) {
    const keysBox = el("div", { class: "keys" });
    const usageBox = el("span", { class: "muted" });
    const actions = el("div", { class: "row" },
      el("button", { type: "button", "aria-label": "Keys of " + a.name, onclick: () => guard("Keys", () => loadKeys(a, keysBox, created)) }, "Keys"),
      el("button", { type: "button", "aria-label": "Usage of " + a.name, onclick: () => guard("Usage", async () => {
        const u = await api("GET", "admin/accounts/" + a.id + "/usage");
        usageBox.textContent = Object.entries(u || {}).map(([k, v]) => k + ": " + (/bytes/i.test(k) ? formatBytes(v) : v)).join(" · ");
      }) }, "Usage"),
      a.root ? "" : el("button", { type: "button", class: "danger", "aria-label": "Delete account " + a.name, onclick: async () => {
        if (!(await confirmDialog("Delete account " + a.name + "? It must own no buckets.", "Delete account"))) return;
        await guard("Delete account", async () => { await api("DELETE", "admin/accounts/" + a.id); say("Account deleted."); await loadAccounts(list, created); });
      } }, "Delete"));
    rows.push(el("tr", { dataset: { account: a.id } },
      el("td", { class: "name" }, a.name + (a.root ? " (root)" : "")), el("td", { class: "opt" }, a.id), el("td", { class: "opt" }, fmtDate(a.created)),
      el("td", {}, actions, usageBox, keysBox)));
  }
  list.replaceChildren(table(["Name", el("th", { class: "opt" }, "ID"), el("th", { class: "opt" }, "Created"), "Actions"], rows));
}

async function loadKeys(a, box, created) {
  const keys = await api("GET", "admin/accounts/" + a.id + "/keys");
  const rows = keys.map((k) => el("tr", {},
    el("td", { class: "name" }, k.access_key_id), el("td", {}, k.disabled ? "disabled" : "active"),
    el("td", {},
      el("button", { type: "button", onclick: () => guard("Key", async () => { await api("POST", "admin/keys/" + k.access_key_id + (k.disabled ? "/enable" : "/disable")); await loadKeys(a, box, created); }) }, k.disabled ? "Enable" : "Disable"), " ",
      el("button", { type: "button", class: "danger", onclick: async () => {
        if (!(await confirmDialog("Delete key " + k.access_key_id + "? Sessions made with it end at once.", "Delete key"))) return;
        await guard("Delete key", async () => { await api("DELETE", "admin/keys/" + k.access_key_id); await loadKeys(a, box, created); });
      } }, "Delete"))));
  const add = el("button", { type: "button", onclick: () => guard("Create key", async () => {
    const k = await api("POST", "admin/accounts/" + a.id + "/keys");
    showSecret(created, "New key for " + a.name + ".", k);
    await loadKeys(a, box, created);
  }) }, "Create key");
  box.replaceChildren(rows.length ? table(["Access key", "State", "Actions"], rows) : el("p", { class: "muted" }, "No keys."), add);
}

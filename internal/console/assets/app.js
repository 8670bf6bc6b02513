// The console's shell: session, routing and the buckets list. Each other
// view lives in its own module. Routes are URL fragments, so a reload
// (or a shared console link) comes back to the same view.

import { api, s3xml, tag, children, setSession, objectPath } from "./s3.js";
import { el, field, guard, showError, clearError, say, confirmDialog, fmtDate, table } from "./ui.js";
import { objectsView, objectView } from "./objects.js";
import { uploadsView, partMapView } from "./mpu.js";
import { settingsView } from "./settings.js";
import { adminView } from "./admin.js";

export const state = { session: null };

let leaving = [];
// onLeave registers cleanup (timers) for when the view changes.
export function onLeave(f) { leaving.push(f); }

export function go(...parts) {
  location.hash = "#/" + parts.map((p) => encodeURIComponent(p)).join("/");
}

export function href(...parts) {
  return "#/" + parts.map((p) => encodeURIComponent(p)).join("/");
}

const routes = {
  login: loginView,
  buckets: bucketsView,
  b: objectsView,
  o: objectView,
  u: (main, bucket, id, key) => (id ? partMapView(main, bucket, id, key) : uploadsView(main, bucket)),
  s: settingsView,
  admin: adminView,
};

async function route() {
  for (const f of leaving) f();
  leaving = [];
  clearError();
  say("");
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter((p, i) => i === 0 || p !== "").map((p) => decodeURIComponent(p));
  let name = parts[0] || "buckets";
  if (!state.session && name !== "login") name = "login";
  const main = document.getElementById("main");
  main.replaceChildren();
  const view = routes[name] || bucketsView;
  try {
    await view(main, ...parts.slice(1));
  } catch (e) {
    showError(e);
  }
  const h1 = main.querySelector("h1");
  if (h1) { h1.tabIndex = -1; h1.focus(); }
}

function showSession() {
  const s = state.session;
  document.getElementById("nav").hidden = !s;
  document.getElementById("logout").hidden = !s;
  document.getElementById("nav-admin").hidden = !(s && s.root);
  document.getElementById("who").textContent = s ? "Signed in as " + s.accountName + " (" + s.accessKeyId + ")" : "";
}

async function loginView(main) {
  if (state.session) return go("buckets");
  const id = field("Access key ID", { name: "accessKeyId", id: "login-key", autocomplete: "username", required: true });
  const secret = field("Secret access key", { name: "secretAccessKey", id: "login-secret", type: "password", autocomplete: "current-password", required: true });
  const form = el("form", { class: "login", id: "login-form" },
    el("h1", {}, "Sign in to Tessera"),
    el("p", { class: "muted" }, "Use any account's access key. Everything you do here runs with that key's permissions."),
    id.label, secret.label,
    el("button", { class: "primary", type: "submit" }, "Sign in"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    guard("Sign in", async () => {
      const s = await api("POST", "login", { accessKeyId: id.input.value.trim(), secretAccessKey: secret.input.value });
      state.session = s;
      setSession(s);
      showSession();
      go("buckets");
    });
  });
  main.append(form);
}

async function bucketsView(main) {
  main.append(el("h1", {}, "Buckets"));
  const name = field("New bucket name", { id: "bucket-name", required: true, minlength: 3, maxlength: 63, pattern: "[a-z0-9][a-z0-9.\\-]*[a-z0-9]" });
  const versioning = field("Versioning", { type: "checkbox", id: "bucket-versioning" }, "inline");
  const lock = field("Object lock", { type: "checkbox", id: "bucket-lock" }, "inline");
  const form = el("form", { class: "row", id: "create-bucket" }, name.label, versioning.label, lock.label, el("button", { type: "submit", class: "primary" }, "Create bucket"));
  const list = el("div", { id: "bucket-list" });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    guard("Create bucket", async () => {
      const b = name.input.value.trim();
      const headers = lock.input.checked ? { "x-amz-bucket-object-lock-enabled": "true" } : {};
      await s3xml("PUT", objectPath(b), { headers });
      if (versioning.input.checked && !lock.input.checked) {
        await s3xml("PUT", objectPath(b), { query: { versioning: "" }, body: "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>" });
      }
      name.input.value = "";
      say("Bucket " + b + " created.");
      await loadBuckets(list);
    });
  });
  main.append(form, list);
  await loadBuckets(list);
}

async function loadBuckets(list) {
  const { doc } = await s3xml("GET", "/");
  const rows = children(doc.getElementsByTagName("Buckets")[0] || doc.documentElement, "Bucket").map((b) => {
    const n = tag(b, "Name");
    const del = el("button", { type: "button", class: "danger", "aria-label": "Delete bucket " + n }, "Delete");
    del.addEventListener("click", async () => {
      if (!(await confirmDialog("Delete bucket " + n + "? Only an empty bucket can be deleted.", "Delete bucket"))) return;
      await guard("Delete bucket " + n, async () => {
        await s3xml("DELETE", objectPath(n));
        say("Bucket " + n + " deleted.");
        await loadBuckets(list);
      });
    });
    return el("tr", { dataset: { bucket: n } },
      el("td", { class: "name" }, el("a", { href: href("b", n) }, n)),
      el("td", { class: "opt" }, fmtDate(tag(b, "CreationDate"))),
      el("td", {}, el("a", { href: href("u", n) }, "Uploads"), " · ", el("a", { href: href("s", n) }, "Settings"), " ", del));
  });
  list.replaceChildren(rows.length ? table(["Name", el("th", { scope: "col", class: "opt" }, "Created"), "Actions"], rows) : el("p", { class: "muted" }, "No buckets yet."));
}

async function logout() {
  await guard("Log out", () => api("POST", "logout"));
  state.session = null;
  setSession(null);
  showSession();
  go("login");
}

async function boot() {
  document.getElementById("logout").addEventListener("click", logout);
  try {
    const s = await api("GET", "session");
    state.session = s;
    setSession(s);
  } catch (_) {
    state.session = null; // no session, or an expired one: sign in
  }
  showSession();
  window.addEventListener("hashchange", route);
  await route();
  document.body.dataset.ready = "true";
}

boot();

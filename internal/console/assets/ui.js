// Small DOM helpers shared by the views.

// el builds an element: el("button", {type: "button", onclick: f}, "Text").
export function el(name, attrs, ...kids) {
  const e = document.createElement(name);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (v === true) e.setAttribute(k, "");
    else e.setAttribute(k, v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === undefined || kid === null || kid === false) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}

// field is a labelled input: the label wraps it, so it is named.
export function field(label, attrs, cls) {
  const input = el(attrs.tag || "input", Object.assign({}, attrs, { tag: undefined }));
  return { label: el("label", { class: cls }, label, input), input };
}

const alertBox = () => document.getElementById("alert");

// showError puts an error in the page's alert region (never a blank page):
// S3's code, its message and the request ID to find it in the logs.
export function showError(err, context) {
  const box = alertBox();
  box.replaceChildren();
  const code = err && err.code ? err.code : "Error";
  box.append(
    context ? el("span", {}, context + ": ") : "",
    el("span", { class: "code" }, code), " — ", el("span", { class: "message" }, err && err.message ? err.message : String(err)),
    err && err.requestId ? el("span", { class: "muted" }, " (request " + err.requestId + ")") : "",
  );
  box.hidden = false;
  box.dataset.code = code;
}

export function clearError() {
  const box = alertBox();
  box.hidden = true;
  box.replaceChildren();
  delete box.dataset.code;
}

export function say(text) {
  document.getElementById("status").textContent = text;
}

// confirmDialog asks in a modal <dialog> and resolves to true on Confirm.
export function confirmDialog(text, okLabel) {
  const d = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okLabel || "Confirm";
  d.returnValue = "";
  return new Promise((resolve) => {
    d.addEventListener("close", () => resolve(d.returnValue === "ok"), { once: true });
    d.showModal();
    document.getElementById("confirm-cancel").focus();
  });
}

// guard runs an async action, showing any error instead of failing silently.
export async function guard(context, f) {
  try {
    clearError();
    return await f();
  } catch (e) {
    showError(e, context);
    return undefined;
  }
}

export function fmtDate(s) {
  if (!s) return "";
  const d = new Date(s);
  return isNaN(d) ? s : d.toLocaleString();
}

export function table(headers, rows) {
  return el("div", { class: "table-wrap" }, el("table", {},
    el("thead", {}, el("tr", {}, headers.map((h) => (typeof h === "string" ? el("th", { scope: "col" }, h) : h)))),
    el("tbody", {}, rows)));
}

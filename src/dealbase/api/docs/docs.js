// Renders an OpenAPI 3.0 document served by this dealbase: operations grouped by tag,
// each with its parameters, request body and responses, every part collapsible and
// nested schemas drawn only when opened. Text from the documents is only ever set as
// text (never parsed as HTML). No dependencies.
"use strict";

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];
const MAX_DEPTH = 12;
let current = null; // the document being shown

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// Descriptions are Markdown with some HTML: tags dropped, `code` kept as code.
function text(value, cls) {
  const out = el(cls === "inline" ? "span" : "div", { class: cls === "inline" ? "inline-desc" : "description" });
  const plain = String(value || "").replace(/<[^>]*>/g, "").replace(/&nbsp;/g, " ");
  plain.split("`").forEach((part, i) => out.append(i % 2 ? el("code", {}, part) : part));
  return out;
}

function resolve(node) {
  const seen = new Set();
  while (node && typeof node.$ref === "string") {
    if (seen.has(node.$ref) || !node.$ref.startsWith("#/")) return {};
    seen.add(node.$ref);
    let target = current;
    for (const raw of node.$ref.slice(2).split("/")) {
      target = target && target[raw.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    node = target || {};
  }
  return node || {};
}

function refName(node) {
  return node && typeof node.$ref === "string" ? node.$ref.split("/").pop() : null;
}

function typeOf(schema) {
  const s = resolve(schema);
  let type = s.type || (s.properties ? "object" : "");
  if (type === "array") type = "array of " + (typeOf(s.items) || "any");
  if (!type && (s.oneOf || s.anyOf)) type = s.oneOf ? "one of" : "any of";
  if (!type && s.allOf) type = "all of";
  const name = refName(schema);
  if (name) type = type ? `${name} (${type})` : name;
  if (s.format) type += ` <${s.format}>`;
  if (s.nullable) type += " | null";
  return type;
}

function hasChildren(schema) {
  const s = resolve(schema);
  if (s.type === "array") return hasChildren(s.items);
  return Boolean(s.properties || s.allOf || s.oneOf || s.anyOf ||
    (s.additionalProperties && typeof s.additionalProperties === "object"));
}

// The list of what a schema holds: its properties, the branches of allOf/oneOf/anyOf,
// the items of an array, the values of a map.
function schemaList(schema, depth) {
  let s = resolve(schema);
  while (s.type === "array" && s.items) s = resolve(s.items);
  const list = el("ul", { class: "schema" });
  if (depth > MAX_DEPTH) {
    list.append(el("li", {}, "…"));
    return list;
  }
  const required = new Set(s.required || []);
  for (const [name, property] of Object.entries(s.properties || {})) {
    list.append(field(name, property, required.has(name), depth));
  }
  for (const key of ["allOf", "oneOf", "anyOf"]) {
    (s[key] || []).forEach((branch, i) => list.append(field(`${key}[${i}]`, branch, false, depth)));
  }
  if (s.additionalProperties && typeof s.additionalProperties === "object" &&
      Object.keys(s.additionalProperties).length) {
    list.append(field("{any key}", s.additionalProperties, false, depth));
  }
  if (s.enum) list.append(el("li", {}, "one of: ", el("code", {}, s.enum.map((v) => JSON.stringify(v)).join(", "))));
  return list;
}

function field(name, schema, required, depth) {
  const s = resolve(schema);
  const head = [el("span", { class: "name" }, name), el("span", { class: "type" }, typeOf(schema)),
    required ? el("span", { class: "required" }, "required") : null,
    s.readOnly ? el("span", { class: "badge" }, "read-only") : null,
    s.description || s.title ? text(s.description || s.title, "inline") : null];
  if (!hasChildren(schema) && !s.enum) return el("li", {}, ...head);
  if (!hasChildren(schema)) return el("li", {}, ...head, schemaList(schema, depth + 1));
  return el("li", {}, lazy(el("summary", {}, ...head), () => schemaList(schema, depth + 1)));
}

// A <details> whose body is built the first time it opens.
function lazy(summary, build, cls) {
  const node = el("details", cls ? { class: cls } : {}, summary);
  node.addEventListener("toggle", () => {
    if (node.open && !node.dataset.built) {
      node.dataset.built = "1";
      node.append(build());
    }
  });
  return node;
}

function parametersTable(parameters) {
  const table = el("table", {}, el("tr", {}, el("th", {}, "name"), el("th", {}, "in"),
    el("th", {}, "type"), el("th", {}, "description")));
  for (const raw of parameters) {
    const p = resolve(raw);
    const schema = resolve(p.schema);
    const type = typeOf(p.schema) + (schema.enum ? ": " + schema.enum.join(", ") : "") +
      (schema.default !== undefined ? ` (default ${JSON.stringify(schema.default)})` : "");
    table.append(el("tr", {}, el("td", {}, el("span", { class: "name" }, p.name),
      p.required ? el("span", { class: "required" }, "required") : null),
    el("td", {}, p.in), el("td", {}, el("span", { class: "type" }, type)), el("td", {}, text(p.description, "inline"))));
  }
  return table;
}

function content(body) {
  const out = el("div", {});
  for (const [media, item] of Object.entries(resolve(body).content || {})) {
    out.append(el("div", {}, el("code", {}, media), el("span", { class: "type" }, typeOf(item.schema))));
    if (item.schema) out.append(schemaList(item.schema, 0));
  }
  return out;
}

function operationBody(path, method, item, op) {
  const body = el("div", { class: "body" });
  if (op.description) body.append(text(op.description));
  const params = [...(op.parameters || [])];
  for (const shared of item.parameters || []) {
    const p = resolve(shared);
    if (!params.some((own) => resolve(own).name === p.name && resolve(own).in === p.in)) params.push(shared);
  }
  if (params.length) body.append(el("h4", {}, "Parameters"), parametersTable(params));
  if (op.requestBody) {
    const request = resolve(op.requestBody);
    body.append(el("h4", {}, "Request body", request.required ? el("span", { class: "required" }, "required") : null),
      content(request));
  }
  body.append(el("h4", {}, "Responses"));
  for (const [status, raw] of Object.entries(op.responses || {})) {
    const response = resolve(raw);
    const headers = Object.keys(response.headers || {});
    body.append(lazy(el("summary", {}, el("span", { class: "name" }, status), text(response.description, "inline"),
      headers.length ? el("span", { class: "badge" }, "headers: " + headers.join(", ")) : null),
    () => el("div", { class: "body" }, content(response))));
  }
  return body;
}

function operation(path, method, item, op) {
  const summary = el("summary", {}, el("span", { class: `method ${method}` }, method),
    el("span", { class: "path" }, path), el("span", { class: "summary" }, op.summary || ""),
    op.deprecated ? el("span", { class: "badge" }, "deprecated") : null);
  const node = lazy(summary, () => operationBody(path, method, item, op), op.deprecated ? "deprecated" : "");
  node.dataset.search = [method, path, op.summary, op.operationId].join(" ").toLowerCase();
  return node;
}

function render(doc) {
  current = doc;
  const main = document.getElementById("content");
  main.replaceChildren();
  const info = doc.info || {};
  main.append(el("h2", {}, info.title || "API", el("span", { class: "badge" }, "version " + (info.version || "?"))));
  if (info.description) main.append(text(info.description));
  const servers = (doc.servers || []).map((s) => s.url).join(", ");
  if (servers) main.append(el("p", {}, "Base URL: ", el("code", {}, servers)));
  const groups = new Map((doc.tags || []).map((t) => [t.name, []]));
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      if (!item[method]) continue;
      const tag = (item[method].tags || ["Other"])[0];
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push(operation(path, method, item, item[method]));
    }
  }
  for (const [tag, operations] of groups) {
    if (!operations.length) continue;
    const about = (doc.tags || []).find((t) => t.name === tag);
    const group = el("details", { class: "tag" }, el("summary", {}, tag, el("span", { class: "badge" }, operations.length)),
      el("div", { class: "body" }, about && about.description ? text(about.description) : null, ...operations));
    main.append(group);
  }
  applyFilter();
}

function applyFilter() {
  const wanted = document.getElementById("filter").value.trim().toLowerCase();
  for (const group of document.querySelectorAll("details.tag")) {
    let shown = 0;
    for (const op of group.querySelectorAll("details[data-search]")) {
      const hit = !wanted || op.dataset.search.includes(wanted);
      op.classList.toggle("hidden", !hit);
      shown += hit ? 1 : 0;
    }
    group.classList.toggle("hidden", shown === 0);
    if (wanted) group.open = shown > 0;
  }
}

async function show() {
  const links = [...document.querySelectorAll("#documents a")];
  const link = links.find((a) => a.getAttribute("href") === location.hash) || links[0];
  links.forEach((a) => a.classList.toggle("current", a === link));
  const main = document.getElementById("content");
  main.replaceChildren(el("p", { class: "note" }, "Loading " + link.dataset.url + "…"));
  try {
    const response = await fetch(link.dataset.url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    render(await response.json());
  } catch (error) {
    main.replaceChildren(el("p", { class: "note" }, `Could not load ${link.dataset.url}: ${error.message}`));
  }
}

window.addEventListener("hashchange", show);
document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("filter").addEventListener("input", applyFilter);
  show();
});

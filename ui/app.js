// Settings window: talks to the app's typed commands only (src-tauri/src/commands/).
// Secrets are write-only: the commands say whether each is stored, never what it is.
"use strict";

const invoke = (cmd, args) => window.__TAURI__.core.invoke(cmd, args);
const $ = (id) => document.getElementById(id);

let view = null;          // SettingsView from load_settings / save_settings
let manual = false;       // onboarding: the user chose to type the details
let importSource = null;  // { path } or { text } of the plan shown
let importPlan = null;    // ImportPlanView shown

const SECRET_INPUTS = {
  "wireguard_private_key": "wg-private-key",
  "wireguard_preshared_key": "wg-preshared-key",
  "openvpn_user": "openvpn-user",
  "openvpn_password": "openvpn-password",
};

// ---- messages -------------------------------------------------------------

function banner(text, kind) {
  const b = $("banner");
  b.textContent = text || "";
  b.className = kind || "info";
  b.hidden = !text;
}

function errorText(e) {
  if (e && typeof e === "object" && "message" in e) return e.message;
  return String(e);
}

function clearFieldErrors() {
  document.querySelectorAll("[data-error-for]").forEach((p) => { p.textContent = ""; });
  document.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  $("other-errors").replaceChildren();
}

// The slot for a field path: exact, then without a list index
// (stack.lan_subnets[0] -> stack.lan_subnets), else the list under the form.
function errorSlot(field) {
  const exact = document.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
  if (exact) return exact;
  const base = field.replace(/\[\d+\]$/, "");
  return document.querySelector(`[data-error-for="${CSS.escape(base)}"]`);
}

function showFieldErrors(e) {
  clearFieldErrors();
  const fields = (e && e.fields) || [];
  for (const f of fields) {
    const slot = errorSlot(f.field);
    if (slot) {
      slot.textContent = slot.textContent ? `${slot.textContent} ${f.message}` : f.message;
      const input = slot.parentElement.querySelector("input, select");
      if (input) input.setAttribute("aria-invalid", "true");
    } else {
      const li = document.createElement("li");
      li.textContent = `${f.field}: ${f.message}`;
      $("other-errors").append(li);
    }
  }
  for (const d of (e && e.details) || []) {
    const li = document.createElement("li");
    li.textContent = d;
    $("other-errors").append(li);
  }
  banner(errorText(e), "error");
  const first = document.querySelector("[aria-invalid=true]");
  if (first) {
    first.scrollIntoView({ block: "center" });
    first.focus();
  }
}

// ---- the settings view ----------------------------------------------------

function fillProviders(providers) {
  const sel = $("provider");
  if (sel.options.length === providers.length) return;
  sel.replaceChildren(...providers.map((p) => {
    const o = document.createElement("option");
    o.value = p;
    o.textContent = p === "custom" ? "custom (any WireGuard server)" : p;
    return o;
  }));
}

function fillForwarders(forwarders) {
  const sel = $("port-forwarding-provider");
  if (sel.options.length === forwarders.length + 1) return;
  const none = document.createElement("option");
  none.value = "";
  none.textContent = "the provider's own";
  sel.replaceChildren(none, ...forwarders.map((p) => {
    const o = document.createElement("option");
    o.value = p;
    o.textContent = p;
    return o;
  }));
}

function fillForm(form) {
  $("provider").value = form.provider;
  $("type-wireguard").checked = form.vpn_type === "wireguard";
  $("type-openvpn").checked = form.vpn_type === "openvpn";
  $("server-countries").value = form.server_countries;
  $("port-forwarding").checked = form.port_forwarding;
  $("port-forwarding-provider").value = form.port_forwarding_provider || "";
  $("endpoint").value = form.endpoint;
  $("public-key").value = form.public_key;
  $("addresses").value = form.addresses;
  $("downloads-dir").value = form.downloads_dir;
  $("lan-on").checked = form.lan_access;
  $("lan-off").checked = !form.lan_access;
  $("lan-subnets").value = form.lan_subnets;
  $("daily-backup").checked = form.daily_backup;
  for (const id of Object.values(SECRET_INPUTS)) $(id).value = "";
  showTypeFields();
}

function showSecretStates(secrets) {
  for (const s of secrets) {
    const el = $(`secret-${s.kind}`);
    if (!el) continue;
    el.textContent = s.stored === true ? "stored" : s.stored === false ? "not stored" : "unknown";
    el.className = `secret-state ${s.stored ? "stored" : "missing"}`;
    el.dataset.stored = String(s.stored);
  }
}

function showTypeFields() {
  const wg = $("type-wireguard").checked;
  $("wireguard-fields").hidden = !wg;
  $("openvpn-fields").hidden = wg;
}

function render() {
  fillProviders(view.providers);
  fillForwarders(view.port_forwarding_providers);
  fillForm(view.form);
  showSecretStates(view.secrets);
  const onboarding = !view.configured;
  document.body.dataset.mode = onboarding ? "onboarding" : "settings";
  $("title").textContent = onboarding ? "Welcome to Torrent VPN" : "Torrent VPN settings";
  $("onboarding").hidden = !onboarding;
  $("settings-form").hidden = onboarding && !manual;
  $("back").hidden = !onboarding;
  $("form-title").textContent = onboarding ? "Your VPN" : "Settings";
  $("webui-username").textContent = view.webui_username;
  $("webui-url").textContent = view.webui_url;
  $("settings-file").textContent = `${onboarding ? "To be saved" : "Saved"} in ${view.settings_file} ` +
    `(profile ${view.profile}); secrets in the keychain.`;
  $("choose-demo").hidden = !view.demo.available;
  $("demo-note").hidden = !view.demo.available;
  $("demo-note").textContent = view.demo.ready
    ? "The demo connects to the test lab's VPN running on this machine's Docker engine."
    : "The demo first starts the test lab on this machine's Docker engine (this can take a few minutes).";
  if (view.load_error) {
    banner(`The settings file cannot be read: ${view.load_error}. Saving the form replaces it.`, "error");
  } else if (view.keychain_error) {
    banner(`The keychain cannot be read: ${view.keychain_error}`, "error");
  }
}

function readForm() {
  const form = {
    provider: $("provider").value,
    vpn_type: $("type-openvpn").checked ? "openvpn" : "wireguard",
    server_countries: $("server-countries").value,
    port_forwarding: $("port-forwarding").checked,
    port_forwarding_provider: $("port-forwarding-provider").value,
    endpoint: $("endpoint").value,
    public_key: $("public-key").value,
    addresses: $("addresses").value,
    downloads_dir: $("downloads-dir").value,
    lan_access: $("lan-on").checked,
    lan_subnets: $("lan-subnets").value,
    daily_backup: $("daily-backup").checked,
  };
  const secrets = {};
  for (const [key, id] of Object.entries(SECRET_INPUTS)) {
    const v = $(id).value;
    secrets[key] = v === "" ? null : v;
  }
  return { form, secrets };
}

async function load() {
  try {
    view = await invoke("load_settings");
    render();
  } catch (e) {
    banner(`The settings cannot be loaded: ${errorText(e)}`, "error");
  }
  document.body.dataset.ready = "1";
}

// ---- the Web UI login ------------------------------------------------------

async function copyWebuiPassword() {
  clearFieldErrors();
  try {
    banner(await invoke("copy_webui_password"), "ok");
  } catch (e) {
    showFieldErrors(e);
  }
}

async function setWebuiPassword() {
  const input = $("new-webui-password");
  const button = $("set-webui-password");
  button.disabled = true;
  clearFieldErrors();
  try {
    const said = await invoke("set_webui_password", { password: input.value });
    input.value = "";
    view = await invoke("load_settings");
    render();
    banner(said, "ok");
  } catch (e) {
    showFieldErrors(e);
  } finally {
    button.disabled = false;
  }
}

async function save(ev) {
  ev.preventDefault();
  const button = $("save");
  button.disabled = true;
  clearFieldErrors();
  banner("");
  try {
    const wasOnboarding = !view.configured;
    view = await invoke("save_settings", readForm());
    manual = false;
    render();
    banner(wasOnboarding ? "Saved. Torrent VPN is set up." : "Saved.", "ok");
  } catch (e) {
    showFieldErrors(e);
  } finally {
    button.disabled = false;
  }
}

// ---- import ---------------------------------------------------------------

function showImport() {
  $("import-section").hidden = false;
  $("import-section").scrollIntoView({ block: "start" });
}

function resetImport() {
  importSource = null;
  importPlan = null;
  $("import-plan").hidden = true;
  $("import-error").hidden = true;
  $("import-problems").replaceChildren();
}

function listItems(id, items) {
  $(id).replaceChildren(...items.map((t) => {
    const li = document.createElement("li");
    li.textContent = t;
    return li;
  }));
}

function showPlan(plan) {
  importPlan = plan;
  $("import-summary").textContent =
    `From ${plan.source} (${plan.format === "env" ? "a .env file" : "a wg-quick file"}). ` +
    (plan.new_settings_file ? "A new settings file is written; everything not listed keeps its default." :
      "The settings below change; the others stay as they are.");
  const rows = plan.changes.map((c) => {
    const tr = document.createElement("tr");
    for (const text of [c.field, c.unchanged ? `${c.to} (unchanged)` : c.to, `line ${c.line} ${c.var}`]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  $("import-changes").tBodies[0].replaceChildren(...rows);
  listItems("import-secrets", plan.secrets.length
    ? plan.secrets.map((s) => `${s.label} (line ${s.line} ${s.var})`)
    : ["(none)"]);
  $("import-file-outcome").textContent = plan.file_outcome;
  listItems("import-scrubbed", plan.scrubbed.map((s) => `line ${s.line} (${s.var}) becomes: ${s.replacement}`));
  listItems("import-notes", plan.notes.concat(plan.ignored.map((i) => `not imported: ${i}`)));
  $("import-rendered").textContent = plan.rendered;
  $("import-apply").textContent = plan.scrubbed.length ? "Import and scrub the file" : "Import";
  $("import-plan").hidden = false;
  $("import-plan").scrollIntoView({ block: "start" });
}

function showImportError(e) {
  $("import-error").textContent = errorText(e);
  $("import-error").hidden = false;
  listItems("import-problems", (e && e.details) || []);
}

async function planImport(source) {
  resetImport();
  importSource = source;
  try {
    showPlan(await invoke("plan_import", source));
  } catch (e) {
    showImportError(e);
  }
}

async function applyImport() {
  if (!importPlan) return;
  const button = $("import-apply");
  button.disabled = true;
  try {
    const scrubbed = importPlan.scrubbed.length;
    const stored = importPlan.secrets.length;
    view = await invoke("apply_import", { ...importSource, token: importPlan.token });
    resetImport();
    $("import-section").hidden = true;
    $("import-path").value = "";
    manual = false;
    render();
    banner(`Imported: ${stored} secret(s) stored in the keychain, settings saved` +
      (scrubbed ? `, ${scrubbed} line(s) of the file replaced by a comment.` : "."), "ok");
  } catch (e) {
    showImportError(e);
  } finally {
    button.disabled = false;
  }
}

function readPickedFile(file) {
  const reader = new FileReader();
  reader.onload = () => planImport({ text: String(reader.result) });
  reader.onerror = () => showImportError(`${file.name} cannot be read`);
  reader.readAsText(file);
}

// ---- demo -----------------------------------------------------------------

async function tryDemo() {
  const button = $("choose-demo");
  button.disabled = true;
  banner(view.demo.ready ? "Setting up the demo…" : "Starting the test lab for the demo; this can take a few minutes…", "info");
  try {
    view = await invoke("try_demo");
    render();
    banner("The demo is set up: connect from the menu bar.", "ok");
  } catch (e) {
    showFieldErrors(e);
  } finally {
    button.disabled = false;
  }
}

// ---- status (read-only) ---------------------------------------------------

function describeConfig(c) {
  switch (c.state) {
    case "not_configured": return "Not set up yet";
    case "configured": return `${c.path} (profile ${c.profile}, ${c.provider} ${c.vpn_type})`;
    default: return `Invalid: ${c.error}`;
  }
}

// The last "Verify Protection" result (after each connect, each recovery,
// hourly, or asked for in the tray): its summary and every check.
function showLastVerify(report) {
  const list = $("last-verify-checks");
  list.replaceChildren();
  if (!report) {
    $("last-verify").textContent = "not run yet";
    return;
  }
  const when = new Date(report.at_ms).toLocaleString();
  $("last-verify").textContent = `${report.summary} (${when})`;
  $("last-verify").className = report.protected ? "" : "error";
  for (const c of report.checks) {
    const item = document.createElement("li");
    item.className = c.ok ? "ok" : "error";
    item.textContent = `${c.ok ? "✓" : "✗"} ${c.name}: ${c.detail}`;
    list.append(item);
  }
}

// The gateway's (gluetun's) warnings and errors as they came, newest first.
function showGatewayLog(lines) {
  const list = $("gateway-log");
  list.replaceChildren();
  $("gateway-log-empty").hidden = lines.length > 0;
  for (const l of [...lines].reverse()) {
    const item = document.createElement("li");
    item.className = l.level === "error" ? "error" : "warn";
    const when = new Date(l.time).toLocaleTimeString();
    const part = l.component ? `[${l.component}] ` : "";
    item.textContent = `${when} ${l.level.toUpperCase()} ${part}${l.message}`;
    list.append(item);
  }
}

async function refreshStatus() {
  try {
    const r = await invoke("get_status");
    $("config").textContent = describeConfig(r.config);
    const d = r.docker;
    $("docker").textContent = d.state === "running"
      ? `running at ${d.endpoint}, engine ${d.engine_version} (API ${d.api_version})`
      : d.error;
    $("docker").className = "";
    $("stack").textContent = r.stack ? r.stack.state : (r.stack_error || "unknown");
    showLastVerify(await invoke("last_verify"));
    showGatewayLog(await invoke("gateway_log"));
  } catch (e) {
    $("docker").textContent = String(e);
    $("docker").className = "error";
  }
}

// ---- wiring ---------------------------------------------------------------

function wire() {
  $("settings-form").addEventListener("submit", save);
  $("copy-webui-password").addEventListener("click", copyWebuiPassword);
  $("set-webui-password").addEventListener("click", setWebuiPassword);
  $("type-wireguard").addEventListener("change", showTypeFields);
  $("type-openvpn").addEventListener("change", showTypeFields);
  $("choose-manual").addEventListener("click", () => {
    manual = true;
    render();
    $("settings-form").scrollIntoView({ block: "start" });
  });
  $("back").addEventListener("click", () => { manual = false; render(); });
  $("choose-import").addEventListener("click", showImport);
  $("wg-import").addEventListener("click", showImport);
  $("choose-demo").addEventListener("click", tryDemo);
  $("import-plan-btn").addEventListener("click", () => {
    const path = $("import-path").value.trim();
    if (path) planImport({ path });
  });
  $("import-path").addEventListener("keydown", (e) => {
    if (e.key === "Enter") $("import-plan-btn").click();
  });
  $("import-file").addEventListener("change", (e) => {
    const file = e.target.files && e.target.files[0];
    e.target.value = "";
    if (file) readPickedFile(file);
  });
  $("import-apply").addEventListener("click", applyImport);
  $("import-cancel").addEventListener("click", () => {
    resetImport();
    $("import-section").hidden = true;
  });

  // Files dropped on the window arrive with their paths (Tauri's drag-drop event).
  const ev = window.__TAURI__.event;
  ev.listen("tauri://drag-enter", () => $("drop-zone").classList.add("over"));
  ev.listen("tauri://drag-leave", () => $("drop-zone").classList.remove("over"));
  ev.listen("tauri://drag-drop", (e) => {
    $("drop-zone").classList.remove("over");
    const path = e.payload && e.payload.paths && e.payload.paths[0];
    if (!path) return;
    showImport();
    $("import-path").value = path;
    planImport({ path });
  });
}

wire();
load();
refreshStatus();
setInterval(refreshStatus, 3000);

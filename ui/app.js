// Settings window: talks to the app's typed commands only.
const invoke = (cmd, args) => window.__TAURI__.core.invoke(cmd, args);

function describeConfig(c) {
  switch (c.state) {
    case "not_configured": return "Not set up yet";
    case "configured": return `${c.path} (profile ${c.profile}, ${c.provider} ${c.vpn_type})`;
    default: return `Invalid: ${c.error}`;
  }
}

async function refresh() {
  try {
    const r = await invoke("get_status");
    document.getElementById("config").textContent = describeConfig(r.config);
    const d = r.docker;
    document.getElementById("docker").textContent = d.state === "running"
      ? `running at ${d.endpoint}, engine ${d.engine_version} (API ${d.api_version})`
      : d.error;
    document.getElementById("stack").textContent = r.stack ? r.stack.state : (r.stack_error || "unknown");
  } catch (e) {
    document.getElementById("docker").textContent = String(e);
    document.getElementById("docker").className = "error";
  }
}

refresh();
setInterval(refresh, 3000);

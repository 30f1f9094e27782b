//! `tvpn status`: exits 0 when the engine answers, 2 when Docker is not running.

use std::process::ExitCode;

use tvpn_core::paths::AppPaths;
use tvpn_core::status::{collect, ConfigReport, EngineReport, StatusReport};

pub async fn run(paths: &AppPaths, json: bool) -> anyhow::Result<ExitCode> {
    let (report, _conn) = collect(paths).await;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(match report.docker {
        EngineReport::Running { .. } => ExitCode::SUCCESS,
        EngineReport::Unavailable { .. } => ExitCode::from(2),
    })
}

fn render(r: &StatusReport) -> String {
    let mut out = String::new();
    let config = match &r.config {
        ConfigReport::NotConfigured { path } => format!("not configured (no {path})"),
        ConfigReport::Configured {
            path,
            profile,
            provider,
            vpn_type,
        } => {
            format!("{path} (profile {profile}, {provider} {vpn_type})")
        }
        ConfigReport::Invalid { error, .. } => format!("invalid: {error}"),
    };
    out.push_str(&format!("Config:  {config}\n"));
    let docker = match &r.docker {
        EngineReport::Running {
            endpoint,
            source,
            engine_version,
            api_version,
        } => {
            format!("running at {endpoint} (found via {source}), engine {engine_version}, API {api_version}")
        }
        EngineReport::Unavailable { error } => error.clone(),
    };
    out.push_str(&format!("Docker:  {docker}\n"));
    match (&r.stack, &r.stack_error) {
        (Some(s), _) => {
            out.push_str(&format!(
                "Stack:   {}\n",
                serde_json::to_value(s.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ));
            for c in &s.containers {
                out.push_str(&format!("  {:<28} {:<10} {}\n", c.name, c.state, c.status));
            }
        }
        (None, Some(e)) => out.push_str(&format!("Stack:   unknown ({e})\n")),
        (None, None) => out.push_str("Stack:   unknown (no engine)\n"),
    }
    if let Some(vpn) = &r.vpn {
        let mut line = if vpn.status.is_empty() {
            "no answer from the gateway".to_owned()
        } else {
            vpn.status.clone()
        };
        if let Some(ip) = &vpn.public_ip {
            line.push_str(&format!(", VPN IP {ip}"));
            let place: Vec<&str> = [vpn.city.as_deref(), vpn.country.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            if !place.is_empty() {
                line.push_str(&format!(" ({})", place.join(", ")));
            }
        }
        if let Some(p) = vpn.forwarded_ports.first() {
            line.push_str(&format!(", port {p} forwarded"));
        }
        if let Some(e) = &vpn.error {
            line.push_str(&format!(" [{e}]"));
        }
        out.push_str(&format!("VPN:     {line}\n"));
    }
    out
}

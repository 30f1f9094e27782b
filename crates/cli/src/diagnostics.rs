//! `tvpn diagnostics`: a redacted bundle for a bug report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tvpn_core::diagnostics;
use tvpn_core::paths::AppPaths;

pub async fn run(paths: &AppPaths, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let out = out.unwrap_or_else(|| PathBuf::from(diagnostics::default_name()));
    let bundle = diagnostics::collect(paths, &|part| eprintln!("collecting {part}…")).await;
    diagnostics::write(&bundle, &out)?;
    for note in &bundle.notes {
        eprintln!("note: {note}");
    }
    println!("{}", shown(&out).display());
    Ok(ExitCode::SUCCESS)
}

/// The path as the user can find it again (absolute when it can be).
fn shown(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

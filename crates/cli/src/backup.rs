//! `tvpn backup` and `tvpn restore`: the stack's volumes and the settings
//! in one file, and back.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tvpn_core::backup;
use tvpn_core::paths::AppPaths;

pub async fn backup(paths: &AppPaths, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let out = out.unwrap_or_else(|| PathBuf::from(backup::default_name()));
    eprintln!("reading the settings and the stack's volumes…");
    let b = backup::create(paths).await?;
    for v in &b.manifest.volumes {
        eprintln!("  volume {} ({} KB)", v.name, v.bytes.div_ceil(1000));
    }
    backup::write(&b, &out)?;
    println!("{}", absolute(&out).display());
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(paths: &AppPaths, file: &Path, dry_run: bool) -> anyhow::Result<ExitCode> {
    let b = backup::read(file)?;
    println!(
        "backup of profile {} made at {} ms since the epoch:",
        b.manifest.profile, b.manifest.created_ms
    );
    for line in backup::plan(&b, paths) {
        println!("  {line}");
    }
    if dry_run {
        println!("dry run: nothing changed");
        return Ok(ExitCode::SUCCESS);
    }
    backup::restore(paths, &b).await?;
    println!("restored; connect to start the stack with it");
    Ok(ExitCode::SUCCESS)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

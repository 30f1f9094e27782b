//! `tvpn`: the Torrent VPN command line.
//!
//! Every command goes through `tvpn-core`, the same code the menu-bar app
//! uses. Logs go to stderr (`-v`, or `RUST_LOG`); results go to stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tvpn_core::paths::AppPaths;

mod backup;
mod diagnostics;
mod import_env;
#[cfg(feature = "lab")]
mod lab_demo;
mod secrets;
mod stack;
mod status;
mod watch;
mod webui;

#[derive(Parser)]
#[command(
    name = "tvpn",
    version,
    about = "Torrent VPN: a private torrent stack behind a VPN gateway"
)]
struct Cli {
    /// Use this config dir instead of the platform one (or TVPN_CONFIG_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    config_dir: Option<PathBuf>,
    /// More log output on stderr (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the Docker endpoint, the engine version and the stack state.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Start the gateway, wait for the tunnel, then start and harden
    /// qBittorrent inside it.
    Connect {
        /// Progress and result as JSON lines on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Stop qBittorrent gracefully and remove the stack's containers
    /// (volumes and downloads stay).
    Disconnect,
    /// Check that the running stack protects: tunnel, kill switch,
    /// qBittorrent's binding, no secret in the containers, and no IP, DNS or
    /// IPv6 leak. Exit 1 if not.
    Verify {
        #[arg(long)]
        json: bool,
        /// Also the live test: stop the VPN for a few seconds, check that
        /// nothing gets out, start it again (transfers pause meanwhile).
        #[arg(long)]
        kill_switch: bool,
    },
    /// Bring whatever exists to a consistent state (after a crash).
    Reconcile {
        #[arg(long)]
        json: bool,
    },
    /// Keep the stack healed (gateway restarts, VPN restarts) and print what
    /// happens until interrupted.
    Watch {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Keychain items of the current profile.
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
    /// The Web UI's address and username; with a flag, its password (kept in
    /// the Keychain) or a new one.
    WebuiPassword {
        /// Print the password on stdout.
        #[arg(long, conflicts_with_all = ["copy", "set"])]
        show: bool,
        /// Put the password on the clipboard and clear it after 60 s
        /// (unless something else was copied meanwhile).
        #[arg(long, conflicts_with = "set")]
        copy: bool,
        /// Set a new password, read from stdin: stored in the Keychain and
        /// applied to qBittorrent, or at the next connect.
        #[arg(long)]
        set: bool,
    },
    /// Import a .env or wg-quick file: settings to the settings file, secrets
    /// to the keychain. A .env file's secret lines are replaced by a comment.
    ImportEnv {
        /// The .env or wg-quick .conf file.
        file: PathBuf,
        /// Print what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Back up the stack's volumes (qBittorrent's torrents and resume
    /// data, the gateway's) and the settings to one file; no secret.
    Backup {
        /// The file to write (default: torrent-vpn-backup-<time>.tar.gz here).
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Put a backup back with the stack disconnected: prints what it
    /// replaces first.
    Restore {
        /// A file `tvpn backup` wrote.
        file: PathBuf,
        /// Print what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write a bundle for a bug report (status, settings, the last verify,
    /// engine facts, the app's logs, the last hour of the containers'
    /// logs), with every keychain item and the real IP redacted.
    Diagnostics {
        /// The file to write (default: tvpn-diagnostics-<time>.tar.gz here).
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// The test lab's demo profile and its keys (scripts/lab up).
    #[cfg(feature = "lab")]
    #[command(hide = true)]
    LabDemo(lab_demo::LabDemoArgs),
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,tvpn_core=debug",
        _ => "debug",
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // No secret in any log at any level: the transport crates stay at info.
    for cap in tvpn_core::logging::TRANSPORT_LOG_CAPS {
        if let Ok(directive) = cap.parse() {
            filter = filter.add_directive(directive);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tvpn: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tvpn: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let paths = AppPaths::resolve(cli.config_dir.as_deref())?;
    match cli.command {
        Command::Status { json } => status::run(&paths, json).await,
        Command::Connect { json } => stack::connect(&paths, json).await,
        Command::Disconnect => stack::disconnect(&paths).await,
        Command::Verify { json, kill_switch } => stack::verify(&paths, json, kill_switch).await,
        Command::Reconcile { json } => stack::reconcile(&paths, json).await,
        Command::Watch { json } => watch::run(&paths, json).await,
        Command::Secrets(cmd) => secrets::run(&paths, cmd).await.map(|()| ExitCode::SUCCESS),
        Command::WebuiPassword { show, copy, set } => webui::run(&paths, show, copy, set).await,
        Command::ImportEnv { file, dry_run } => import_env::run(&paths, &file, dry_run)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Backup { out } => backup::backup(&paths, out).await,
        Command::Restore { file, dry_run } => backup::restore(&paths, &file, dry_run).await,
        Command::Diagnostics { out } => diagnostics::run(&paths, out).await,
        #[cfg(feature = "lab")]
        Command::LabDemo(args) => lab_demo::run(&paths, args)
            .await
            .map(|()| ExitCode::SUCCESS),
    }
}

//! Where the running app was installed from, and what follows from it: how
//! it starts at login, and where `tvpn` goes when the user installs the
//! command-line tool.
//!
//! A login item or a command-line link points at a path that must outlive
//! the process. An app bundle (`/Applications/Torrent VPN.app`) or a
//! system package (`/usr/bin/torrent-vpn`) does; a build inside a source
//! tree (`~/src/torrent-vpn/target/debug/torrent-vpn`) does not: the next
//! `cargo clean` or a moved clone leaves a login item that starts nothing,
//! or an old build. So neither is ever registered for a build inside a
//! source tree.

use std::path::{Path, PathBuf};

/// How the running executable was installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Install {
    /// Inside a macOS app bundle: `app` is the `.app` folder, `exe` the
    /// program in its `Contents/MacOS`.
    Bundle { app: PathBuf, exe: PathBuf },
    /// A program on its own outside any source tree (a `.deb`'s
    /// `/usr/bin/torrent-vpn`).
    Program { exe: PathBuf },
    /// A build inside a source tree: `root` is the folder with the
    /// workspace's `Cargo.toml`.
    SourceTree { root: PathBuf },
}

impl Install {
    /// Classify `exe` (an absolute path, symlinks resolved); `is_file`
    /// answers whether a path is a file (the file system, or a table in
    /// tests). The nearest `Cargo.toml` above the program marks a source
    /// tree; the outermost one found is its root (a workspace's member
    /// crates have their own).
    pub fn classify(exe: &Path, is_file: impl Fn(&Path) -> bool) -> Install {
        let root = exe
            .ancestors()
            .skip(1)
            .filter(|dir| is_file(&dir.join("Cargo.toml")))
            .last();
        if let Some(root) = root {
            return Install::SourceTree {
                root: root.to_path_buf(),
            };
        }
        let bundle = exe.parent().and_then(|macos| {
            let contents = macos.parent()?;
            let app = contents.parent()?;
            let is_bundle = macos.file_name()? == "MacOS"
                && contents.file_name()? == "Contents"
                && app.extension()? == "app";
            is_bundle.then(|| app.to_path_buf())
        });
        match bundle {
            Some(app) => Install::Bundle {
                app,
                exe: exe.to_path_buf(),
            },
            None => Install::Program {
                exe: exe.to_path_buf(),
            },
        }
    }

    /// The running program, classified against the file system.
    pub fn current() -> Result<Install, InstallError> {
        let exe = std::env::current_exe()
            .and_then(|p| p.canonicalize())
            .map_err(|e| InstallError::NoExecutable(e.to_string()))?;
        Ok(Install::classify(&exe, Path::is_file))
    }

    /// The program a login item starts; refused for a source tree.
    pub fn login_program(&self) -> Result<&Path, InstallError> {
        match self {
            Install::Bundle { exe, .. } | Install::Program { exe } => Ok(exe),
            Install::SourceTree { root } => Err(InstallError::SourceTree {
                what: "Launch at Login",
                root: root.clone(),
            }),
        }
    }

    /// Where the `tvpn` shipped with the app is: beside the app's program
    /// (the bundle's `Contents/MacOS`, or the package's `bin`).
    pub fn bundled_cli(&self) -> Result<PathBuf, InstallError> {
        match self {
            Install::Bundle { exe, .. } | Install::Program { exe } => {
                Ok(exe.with_file_name("tvpn"))
            }
            Install::SourceTree { root } => Err(InstallError::SourceTree {
                what: "Install Command Line Tool",
                root: root.clone(),
            }),
        }
    }
}

/// How the app is made to start at login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    /// macOS 13 and later: `SMAppService.mainApp`, listed under System
    /// Settings › General › Login Items with the app's name and icon.
    SmAppService,
    /// macOS before 13: a LaunchAgent plist in `~/Library/LaunchAgents`.
    LaunchAgent,
    /// Linux: an XDG autostart entry (`~/.config/autostart`).
    XdgAutostart,
}

impl LoginMethod {
    /// The method for a macOS release (`sw_vers -productVersion`, e.g.
    /// "14.6.1"), or for Linux when `macos_version` is `None`. A version
    /// that cannot be read gets the LaunchAgent, which every release has.
    pub fn for_system(macos_version: Option<&str>) -> LoginMethod {
        let Some(version) = macos_version else {
            return LoginMethod::XdgAutostart;
        };
        let major = version
            .trim()
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok());
        match major {
            Some(m) if m >= 13 => LoginMethod::SmAppService,
            _ => LoginMethod::LaunchAgent,
        }
    }
}

/// Where "Install Command Line Tool…" links `tvpn`: a folder on the default
/// `PATH` of macOS and of Debian.
pub const CLI_LINK: &str = "/usr/local/bin/tvpn";

/// What installing the command-line tool does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliLink {
    /// The link is there and points at this app's `tvpn`.
    AlreadyInstalled { link: PathBuf },
    /// The package put `tvpn` on the `PATH` itself (`/usr/bin/tvpn`).
    OnPathAlready { cli: PathBuf },
    /// Make `link` a symlink to `cli` (replacing a link to an older copy).
    Create { link: PathBuf, cli: PathBuf },
}

impl CliLink {
    /// Plan the link for `install`. `read_link` answers what a symlink
    /// points at; `exists` whether a path exists at all (a link or not).
    pub fn plan(
        install: &Install,
        link: &Path,
        read_link: impl Fn(&Path) -> Option<PathBuf>,
        exists: impl Fn(&Path) -> bool,
    ) -> Result<CliLink, InstallError> {
        let cli = install.bundled_cli()?;
        if !exists(&cli) {
            return Err(InstallError::NoBundledCli(cli));
        }
        if matches!(install, Install::Program { .. })
            && ["/usr/bin", "/usr/local/bin", "/bin"]
                .iter()
                .any(|dir| cli.parent() == Some(Path::new(dir)))
        {
            return Ok(CliLink::OnPathAlready { cli });
        }
        match read_link(link) {
            Some(target) if target == cli => Ok(CliLink::AlreadyInstalled {
                link: link.to_path_buf(),
            }),
            // An older link of this app (another copy of it, a moved
            // bundle) is replaced; anything else there is the user's.
            Some(target) if target.file_name() == Some("tvpn".as_ref()) => Ok(CliLink::Create {
                link: link.to_path_buf(),
                cli,
            }),
            None if !exists(link) => Ok(CliLink::Create {
                link: link.to_path_buf(),
                cli,
            }),
            _ => Err(InstallError::LinkTaken(link.to_path_buf())),
        }
    }
}

impl CliLink {
    /// Carry out the plan: the link is made beside its place and renamed
    /// over it, so an older link is replaced in one step. A folder the
    /// user cannot write (`/usr/local/bin` is root's on macOS, and may not
    /// exist yet) gives [`InstallError::NeedsAdmin`].
    pub fn apply(&self) -> Result<(), InstallError> {
        let CliLink::Create { link, cli } = self else {
            return Ok(());
        };
        let dir = link.parent().unwrap_or(Path::new("/"));
        let tmp = dir.join(format!(".tvpn-link-{}", std::process::id()));
        let made = std::os::unix::fs::symlink(cli, &tmp).and_then(|()| std::fs::rename(&tmp, link));
        made.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            match e.kind() {
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::NotFound => {
                    InstallError::NeedsAdmin {
                        link: link.clone(),
                        cli: cli.clone(),
                    }
                }
                _ => InstallError::Link {
                    link: link.clone(),
                    reason: e.to_string(),
                },
            }
        })
    }

    /// What the user is told once it is done.
    pub fn done(&self) -> String {
        match self {
            CliLink::AlreadyInstalled { link } => {
                format!("tvpn is installed: {} (already)", link.display())
            }
            CliLink::OnPathAlready { cli } => {
                format!("tvpn is on your PATH already: {}", cli.display())
            }
            CliLink::Create { link, .. } => format!(
                "tvpn is installed: {}. Try `tvpn status` in a terminal",
                link.display()
            ),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InstallError {
    #[error("cannot tell where the app runs from: {0}")]
    NoExecutable(String),
    #[error(
        "{what} is for the installed app; this is a build inside the source tree {}. \
         Build the app with scripts/release and open it from there",
        root.display()
    )]
    SourceTree { what: &'static str, root: PathBuf },
    #[error("this copy of the app has no command-line tool at {}", .0.display())]
    NoBundledCli(PathBuf),
    #[error("{} already exists and is not Torrent VPN's tvpn: move it away first", .0.display())]
    LinkTaken(PathBuf),
    #[error(
        "{} needs an administrator: run `sudo ln -sfn '{}' '{}'`",
        link.parent().unwrap_or(Path::new("/")).display(),
        cli.display(),
        link.display()
    )]
    NeedsAdmin { link: PathBuf, cli: PathBuf },
    #[error("cannot link {}: {reason}", link.display())]
    Link { link: PathBuf, reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn files(list: &[&str]) -> impl Fn(&Path) -> bool {
        let set: HashSet<PathBuf> = list.iter().map(PathBuf::from).collect();
        move |p: &Path| set.contains(p)
    }

    #[test]
    fn installs_are_told_apart() {
        let none = files(&[]);
        let cases = [
            (
                "/Applications/Torrent VPN.app/Contents/MacOS/torrent-vpn",
                Install::Bundle {
                    app: "/Applications/Torrent VPN.app".into(),
                    exe: "/Applications/Torrent VPN.app/Contents/MacOS/torrent-vpn".into(),
                },
            ),
            (
                "/usr/bin/torrent-vpn",
                Install::Program {
                    exe: "/usr/bin/torrent-vpn".into(),
                },
            ),
            // Not a bundle's layout: a folder that only ends in .app.
            (
                "/opt/x.app/torrent-vpn",
                Install::Program {
                    exe: "/opt/x.app/torrent-vpn".into(),
                },
            ),
        ];
        for (exe, want) in cases {
            assert_eq!(Install::classify(Path::new(exe), &none), want, "{exe}");
        }
    }

    #[test]
    fn a_build_inside_a_source_tree_is_never_registered() {
        // The workspace root and a member crate both have a Cargo.toml:
        // the outermost is the root.
        let tree = files(&[
            "/home/u/src/tvpn/Cargo.toml",
            "/home/u/src/tvpn/src-tauri/Cargo.toml",
        ]);
        for exe in [
            "/home/u/src/tvpn/target/debug/torrent-vpn",
            "/home/u/src/tvpn/target/release/bundle/macos/Torrent VPN.app/Contents/MacOS/torrent-vpn",
        ] {
            let install = Install::classify(Path::new(exe), &tree);
            assert_eq!(
                install,
                Install::SourceTree {
                    root: "/home/u/src/tvpn".into()
                },
                "{exe}"
            );
            let err = install.login_program().unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("Launch at Login is for the installed app; this is a build inside the source tree /home/u/src/tvpn"),
                "{err}"
            );
            assert!(matches!(
                install.bundled_cli(),
                Err(InstallError::SourceTree { what: "Install Command Line Tool", .. })
            ));
        }
    }

    #[test]
    fn applying_links_once_replaces_an_older_link_and_asks_for_an_admin_where_it_must() {
        let dir = tempfile::tempdir().unwrap();
        let cli = dir.path().join("Torrent VPN.app/Contents/MacOS/tvpn");
        std::fs::create_dir_all(cli.parent().unwrap()).unwrap();
        std::fs::write(&cli, "#!/bin/sh\n").unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let link = bin.join("tvpn");
        // An older copy's link is there: replaced in one step.
        std::os::unix::fs::symlink("/old/Torrent VPN.app/Contents/MacOS/tvpn", &link).unwrap();
        let plan = CliLink::Create {
            link: link.clone(),
            cli: cli.clone(),
        };
        plan.apply().unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), cli);
        assert_eq!(std::fs::read_dir(&bin).unwrap().count(), 1, "no leftover");
        // A folder that is not there (or not writable) needs an admin.
        let missing = CliLink::Create {
            link: dir.path().join("no-such-dir/tvpn"),
            cli: cli.clone(),
        };
        let err = missing.apply().unwrap_err();
        assert!(matches!(err, InstallError::NeedsAdmin { .. }), "{err}");
        assert!(err.to_string().contains("sudo ln -sfn"), "{err}");
    }

    #[test]
    fn the_login_method_follows_the_macos_release() {
        let cases = [
            (Some("13.0"), LoginMethod::SmAppService),
            (Some("14.6.1"), LoginMethod::SmAppService),
            (Some("26.1\n"), LoginMethod::SmAppService),
            (Some("12.7.6"), LoginMethod::LaunchAgent),
            (Some("11.0"), LoginMethod::LaunchAgent),
            (Some("garbage"), LoginMethod::LaunchAgent),
            (None, LoginMethod::XdgAutostart),
        ];
        for (version, want) in cases {
            assert_eq!(LoginMethod::for_system(version), want, "{version:?}");
        }
    }

    #[test]
    fn the_cli_link_is_planned_without_touching_what_is_not_ours() {
        let app = Install::Bundle {
            app: "/Applications/Torrent VPN.app".into(),
            exe: "/Applications/Torrent VPN.app/Contents/MacOS/torrent-vpn".into(),
        };
        let cli = PathBuf::from("/Applications/Torrent VPN.app/Contents/MacOS/tvpn");
        let link = Path::new(CLI_LINK);
        let plan = |links: &[(&str, &str)], present: &[&str]| {
            let links: HashMap<PathBuf, PathBuf> = links
                .iter()
                .map(|(l, t)| (PathBuf::from(l), PathBuf::from(t)))
                .collect();
            let present: HashSet<PathBuf> = present.iter().map(PathBuf::from).collect();
            CliLink::plan(
                &app,
                link,
                |p| links.get(p).cloned(),
                |p| present.contains(p) || links.contains_key(p),
            )
        };
        let bundled = cli.to_str().unwrap();
        assert_eq!(
            plan(&[], &[bundled]),
            Ok(CliLink::Create {
                link: link.into(),
                cli: cli.clone()
            })
        );
        assert_eq!(
            plan(&[(CLI_LINK, bundled)], &[bundled]),
            Ok(CliLink::AlreadyInstalled { link: link.into() })
        );
        // A link to another copy of the app is replaced.
        assert_eq!(
            plan(
                &[(
                    CLI_LINK,
                    "/Users/u/Downloads/Torrent VPN.app/Contents/MacOS/tvpn"
                )],
                &[bundled]
            ),
            Ok(CliLink::Create {
                link: link.into(),
                cli: cli.clone()
            })
        );
        // A file of the user's, or a link to something else, is kept.
        assert_eq!(
            plan(&[], &[bundled, CLI_LINK]),
            Err(InstallError::LinkTaken(link.into()))
        );
        assert_eq!(
            plan(&[(CLI_LINK, "/opt/other/bin/thing")], &[bundled]),
            Err(InstallError::LinkTaken(link.into()))
        );
        // A bundle without its tvpn says so.
        assert_eq!(plan(&[], &[]), Err(InstallError::NoBundledCli(cli.clone())));
        // A package's tvpn is on the PATH already.
        let deb = Install::Program {
            exe: "/usr/bin/torrent-vpn".into(),
        };
        assert_eq!(
            CliLink::plan(&deb, link, |_| None, |p| p == Path::new("/usr/bin/tvpn")),
            Ok(CliLink::OnPathAlready {
                cli: "/usr/bin/tvpn".into()
            })
        );
    }
}

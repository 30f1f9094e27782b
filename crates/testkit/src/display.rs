//! An X server of the test's own (Xvfb) and its clipboard.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::profile::Profile;

/// The clipboard of an X server of the test's own (Xvfb).
pub struct Display {
    xvfb: std::process::Child,
    pub name: String,
}

impl Display {
    /// An Xvfb on a free display number it picks itself (`-displayfd`),
    /// ready once it has printed that number.
    pub fn start() -> Self {
        let mut xvfb = Command::new("Xvfb")
            .args(["-displayfd", "1", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (scripts/test installs it)");
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let n: u32 = line.trim().parse().expect("Xvfb printed no display number");
        Self {
            xvfb,
            name: format!(":{n}"),
        }
    }

    pub fn clipboard(&self) -> Option<String> {
        let out = Command::new("xclip")
            .args(["-o", "-selection", "clipboard"])
            .env("DISPLAY", &self.name)
            .output()
            .expect("xclip (scripts/test installs it)");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        // SIGTERM: Xvfb removes its lock and socket files.
        let _ = Command::new("kill")
            .arg(self.xvfb.id().to_string())
            .status();
        let _ = self.xvfb.wait();
    }
}

/// `tvpn [extra] webui-password --copy`, then the clipboard as another
/// program sees it; the copying process is stopped afterwards. Returns the
/// clipboard's text and what the command printed.
pub fn copied_password(p: &Profile, display: &Display, extra: &[&str]) -> (String, String) {
    let mut args = extra.to_vec();
    args.extend(["webui-password", "--copy"]);
    let mut child = p
        .command(&args)
        .env("DISPLAY", &display.name)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let text = loop {
        if let Some(text) = display.clipboard().filter(|t| !t.is_empty()) {
            break text;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "tvpn webui-password --copy exited"
        );
        assert!(Instant::now() < deadline, "nothing reached the clipboard");
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(said.contains("cleared in 60 s"), "{said}");
    assert!(!said.contains(&text), "the password was printed");
    (text, said)
}

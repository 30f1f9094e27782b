//! The plan in words, for `tvpn import-env --dry-run`, before applying,
//! and in the settings window. It names secrets, never their values.

use std::fmt::Write as _;
use std::path::Path;

use super::{scrub_comment, Format, ImportPlan};

impl ImportPlan {
    /// The plan in words, for `--dry-run` and before applying. Names secrets,
    /// never their values.
    pub fn render(&self, source: &Path, settings_file: &Path) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Import from {} ({})",
            source.display(),
            self.format.describe()
        );

        let _ = writeln!(
            out,
            "\nSettings in {}{}:",
            settings_file.display(),
            if self.previous.is_none() {
                " (a new file; everything not listed keeps its default)"
            } else {
                ""
            }
        );
        if self.changes.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        let width = self
            .changes
            .iter()
            .map(|c| c.field.as_str().len())
            .max()
            .unwrap_or(0);
        for c in &self.changes {
            let what = if c.unchanged() {
                format!("{} (unchanged)", c.to)
            } else {
                format!("{} -> {}", c.from, c.to)
            };
            let _ = writeln!(out, "  {:<width$}  {what}    [{}]", c.field, c.origin);
        }

        let _ = writeln!(
            out,
            "\nKeychain, profile {:?} (values are never shown):",
            self.profile()
        );
        if self.secrets.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for s in &self.secrets {
            let _ = writeln!(
                out,
                "  {:<26}  {}    [{}]",
                s.kind.key(),
                s.kind.label(),
                s.origin
            );
        }

        let _ = writeln!(out, "\nThe file {}:", source.display());
        match (self.format, &self.rewritten) {
            (Format::WgQuick, _) => {
                let _ = writeln!(
                    out,
                    "  stays as it is: it still holds the private key. Delete it once the \
                     import works, unless the WireGuard app still uses it."
                );
            }
            (Format::Env, None) => {
                let _ = writeln!(out, "  stays as it is (no secret in it is imported)");
            }
            (Format::Env, Some(_)) => {
                for o in &self.scrubbed {
                    let _ = writeln!(
                        out,
                        "  line {}: replaced by \"{}\"",
                        o.line,
                        scrub_comment(&o.var)
                    );
                }
                let _ = writeln!(
                    out,
                    "  every other line stays byte for byte; docker compose will no longer \
                     get the replaced variables from it"
                );
            }
        }

        if !self.ignored.is_empty() {
            let _ = writeln!(out, "\nNot imported (left in the file):");
            for i in &self.ignored {
                match i.reason {
                    Some(why) => {
                        let _ = writeln!(out, "  {}: {why}", i.origin);
                    }
                    None => {
                        let _ = writeln!(out, "  {}", i.origin);
                    }
                }
            }
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\nNotes:");
            for n in &self.notes {
                let _ = writeln!(out, "  {n}");
            }
        }
        out
    }
}

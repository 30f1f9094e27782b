//! The `.env` parser and the scrub: no input panics, the lines tile the
//! file, and scrubbing any set of assignment lines keeps every other line
//! byte-for-byte, replaces each chosen one by its comment with the same
//! line ending, and leaves a file that parses to the remaining assignments.

#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use tvpn_core::import::envfile::{self, LineKind};
use tvpn_core::import::scrub_comment;
use tvpn_core::secrets::ExposeSecret;

const SECRET_VARS: &[&str] = &[
    "WIREGUARD_PRIVATE_KEY",
    "WIREGUARD_PRESHARED_KEY",
    "OPENVPN_USER",
    "OPENVPN_PASSWORD",
    "QBITTORRENT_PASS",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = envfile::parse(text) else {
        return;
    };
    let lines = file.lines();
    let mut at = 0;
    for l in lines {
        assert_eq!(l.start, at);
        assert!(l.start <= l.content_start && l.content_start <= l.content_end);
        assert!(l.content_end <= l.end);
        at = l.end;
    }
    assert_eq!(at, text.len());

    // The secret variables, and every third assignment besides.
    let remove: BTreeSet<usize> = file
        .assignments()
        .filter(|(l, a)| SECRET_VARS.contains(&a.key.as_str()) || l.number % 3 == 0)
        .map(|(l, _)| l.number)
        .collect();
    let out = file.scrub(&remove, scrub_comment);

    let mut pos = 0;
    for l in lines {
        match &l.kind {
            LineKind::Assignment(a) if remove.contains(&l.number) => {
                let expected = format!(
                    "{}{}{}",
                    &text[l.start..l.content_start],
                    scrub_comment(&a.key),
                    &text[l.content_end..l.end]
                );
                assert_eq!(&out[pos..pos + expected.len()], expected);
                pos += expected.len();
            }
            _ => {
                let original = &text[l.start..l.end];
                assert_eq!(
                    &out[pos..pos + original.len()],
                    original,
                    "line {} changed",
                    l.number
                );
                pos += original.len();
            }
        }
    }
    assert_eq!(pos, out.len());

    let again = envfile::parse(&out).expect("the scrubbed file parses");
    let kept: Vec<(&str, &str)> = file
        .assignments()
        .filter(|(l, _)| !remove.contains(&l.number))
        .map(|(_, a)| (a.key.as_str(), a.value.expose_secret()))
        .collect();
    let left: Vec<(&str, &str)> = again
        .assignments()
        .map(|(_, a)| (a.key.as_str(), a.value.expose_secret()))
        .collect();
    assert_eq!(kept, left);
});

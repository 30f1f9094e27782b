//! The wg-quick parser and the endpoint parser: no input panics, and what
//! parses is consistent (line numbers in range, at most one of each
//! non-repeatable key).

#![no_main]

use libfuzzer_sys::fuzz_target;
use tvpn_core::import::wgquick::{self, Endpoint};
use tvpn_core::secrets::ExposeSecret;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let detected = wgquick::looks_like_wg_quick(text);
    let line_count = text.split('\n').count();
    // The endpoint parser on its own, on the whole input.
    if let Ok(Endpoint::Host { host, port }) = wgquick::parse_endpoint(text) {
        assert!(!host.is_empty() && port != 0);
    }
    let Ok(wg) = wgquick::parse(text) else {
        return;
    };
    assert!(detected, "parsed as wg-quick without an [Interface] header");
    let mut sections = vec![&wg.interface];
    sections.extend(wg.peer.as_ref());
    for s in sections {
        assert!(s.line >= 1 && s.line <= line_count);
        for f in &s.fields {
            assert!(f.line > s.line && f.line <= line_count);
            assert!(!f.key.is_empty());
            let v = f.value.expose_secret();
            assert_eq!(v, v.trim());
            if f.key.eq_ignore_ascii_case("endpoint") {
                let _ = wgquick::parse_endpoint(v);
            }
        }
        for key in ["PrivateKey", "PublicKey", "PresharedKey", "Endpoint"] {
            assert!(s.all(key).count() <= 1);
        }
    }
});

//! The whole plan builder, on any bytes (either format): no panics; a plan
//! that rewrites the file changes only the scrubbed lines; and neither the
//! rendered plan nor its `Debug` output depends on the secret values.

#![no_main]

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use tvpn_core::import::{self, envfile, scrub_comment, ImportContext};
use tvpn_core::secrets::SecretString;

fn resolver(host: &str) -> Result<Vec<IpAddr>, String> {
    match host.len() % 3 {
        0 => Err("no such host".to_owned()),
        1 => Ok(vec![IpAddr::from([198, 51, 100, 7])]),
        _ => Ok(Vec::new()),
    }
}

fuzz_target!(|data: &[u8]| {
    let ctx = ImportContext {
        existing: None,
        base_dir: Some(PathBuf::from("/srv/stack")),
        home_dir: Some(PathBuf::from("/home/me")),
        resolver: &resolver,
    };
    let Ok(plan) = import::plan(data, &ctx) else {
        return;
    };
    plan.settings
        .validate()
        .expect("a plan holds valid settings");

    if let Some(rewritten) = &plan.rewritten {
        let before = std::str::from_utf8(data).expect("a plan is made from text");
        let after = std::str::from_utf8(rewritten).expect("the rewritten file is text");
        let b = envfile::split_lines(before);
        let a = envfile::split_lines(after);
        assert_eq!(a.len(), b.len());
        for (i, (bl, al)) in b.iter().zip(&a).enumerate() {
            let (bt, at) = (&before[bl.0..bl.2], &after[al.0..al.2]);
            match plan.scrubbed.iter().find(|o| o.line == i + 1) {
                Some(o) => {
                    assert!(at.contains(&scrub_comment(&o.var)));
                    assert_eq!(&before[bl.1..bl.2], &after[al.1..al.2], "line ending");
                }
                None => assert_eq!(bt, at, "line {} changed", i + 1),
            }
        }
    }

    let shown = plan.render(
        Path::new("/srv/stack/.env"),
        Path::new("/cfg/settings.toml"),
    );
    let debug = format!("{plan:?}");
    let mut masked = plan;
    for s in &mut masked.secrets {
        s.value = SecretString::from("x".to_owned());
    }
    assert_eq!(
        shown,
        masked.render(
            Path::new("/srv/stack/.env"),
            Path::new("/cfg/settings.toml")
        )
    );
    assert_eq!(debug, format!("{masked:?}"));
});

//! gluetun's start-up rules, end to end: the app refuses what real gluetun
//! refuses before it creates anything, the lab's gluetun stand-in exits at
//! start with gluetun's own `ERROR` line for the same settings (so a lenient
//! app or a lenient stand-in fails here), and a gateway that dies at start
//! fails connect at once, naming gluetun's error.
//!
//! The cases are `crates/core/src/settings/gluetun/cases.toml`, each citing
//! the gluetun source file it comes from. Every test needs the lab images
//! (and the lab for connect): `#[ignore = "needs the lab"]`, run by
//! `scripts/test`. Timings are printed; `scripts/bench` reports them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tvpn_testkit as lab;

use std::time::{Duration, Instant};

use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    UploadToContainerOptionsBuilder, WaitContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;
use lab::{container, Profile, LAB};
use secrecy::SecretString;
use tvpn_core::secrets::SecretKind;
use tvpn_core::settings::gluetun::cases::{self, Case};
use tvpn_core::settings::Generation;
use tvpn_core::stack::spec::{self, GatewaySecrets, StackNames};

const STAND_IN: &str = "tvpn-lab/gateway:latest";

/// Run the stand-in with the gateway definition the app would create for
/// `case` (its env and secret files), with no network, until it exits.
/// Returns the exit code and the log.
async fn run_stand_in(docker: &Docker, case: &Case, generation: Generation) -> (i64, String) {
    let mut settings = case.settings();
    settings.stack.gateway_image = STAND_IN.to_owned();
    settings.stack.project = format!("tvpn-rules-{}", std::process::id());
    let names = StackNames::new(&settings);
    let mut body = spec::gateway_body(&settings, &names);
    body.env
        .get_or_insert_with(Vec::new)
        .push(format!("LAB_GLUETUN_VERSION={}", generation.name()));
    let host = body.host_config.get_or_insert_with(Default::default);
    host.network_mode = Some("none".to_owned());
    host.port_bindings = None;
    host.restart_policy = None;
    body.exposed_ports = None;
    body.healthcheck = None;
    let vpn = case
        .secrets()
        .into_iter()
        .map(|k| (k, SecretString::from(Case::secret_value(k))))
        .collect();
    let secrets = GatewaySecrets {
        vpn,
        control_api_key: SecretString::from("rules-test-api-key".to_owned()),
    };
    let auth = SecretString::from(
        "[[roles]]\nname = \"t\"\nauth = \"apikey\"\napikey = \"rules-test-api-key\"\nroutes = [\"GET /v1/version\"]\n"
            .to_owned(),
    );
    let tar = spec::secrets_tar(&spec::secret_files(&settings, &secrets, auth)).unwrap();
    let name = format!(
        "tvpn-rules-{}-{}-{}",
        std::process::id(),
        case.name,
        generation.name().replace('.', "")
    );
    let options = CreateContainerOptionsBuilder::default().name(&name).build();
    let created = docker
        .create_container(Some(options), body)
        .await
        .unwrap_or_else(|e| panic!("case {}: create: {e}", case.name));
    docker
        .upload_to_container(
            &created.id,
            Some(UploadToContainerOptionsBuilder::default().path("/").build()),
            bollard::body_full(tar.into()),
        )
        .await
        .unwrap();
    docker
        .start_container(
            &created.id,
            None::<bollard::query_parameters::StartContainerOptions>,
        )
        .await
        .unwrap();
    let mut wait = docker.wait_container(
        &created.id,
        Some(WaitContainerOptionsBuilder::default().build()),
    );
    let code = match tokio::time::timeout(Duration::from_secs(30), wait.next()).await {
        Ok(Some(Ok(r))) => r.status_code,
        // A non-zero exit comes back as an error carrying the code.
        Ok(Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. }))) => code,
        other => {
            let _ = remove(docker, &created.id).await;
            panic!(
                "case {} ({generation}): the stand-in did not exit within 30 s: {other:?}",
                case.name
            )
        }
    };
    let mut logs = docker.logs(
        &created.id,
        Some(
            LogsOptionsBuilder::default()
                .stdout(true)
                .stderr(true)
                .build(),
        ),
    );
    let mut text = String::new();
    while let Some(Ok(chunk)) = logs.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
    }
    remove(docker, &created.id).await;
    (code, text)
}

async fn remove(docker: &Docker, id: &str) {
    let _ = docker
        .remove_container(
            id,
            Some(RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await;
}

/// Which generations a case runs against the stand-in: all of them when
/// the messages or the rule differ by generation, otherwise one, taken in
/// turn so every generation is covered across the table.
fn generations_to_run(index: usize, case: &Case) -> Vec<Generation> {
    let gens = case.generations();
    let differ = case.gluetun_v3_40.is_some()
        || case.gluetun_v3_41.is_some()
        || case.gluetun_latest.is_some()
        || gens.len() < Generation::ALL.len();
    if differ {
        gens
    } else {
        vec![Generation::ALL[index % Generation::ALL.len()]]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab images"]
async fn the_stand_in_refuses_every_rule_with_gluetuns_message() {
    let docker = lab::docker().await;
    let all = cases::load();
    let mut runs = Vec::new();
    for (i, case) in all.iter().enumerate() {
        for generation in generations_to_run(i, case) {
            runs.push((case.clone(), generation));
        }
    }
    let started = Instant::now();
    let mut failures = Vec::new();
    // Two at a time: each run is a short-lived container.
    for pair in runs.chunks(2) {
        let mut set = tokio::task::JoinSet::new();
        for (case, generation) in pair.iter().cloned() {
            let docker = docker.clone();
            set.spawn(async move {
                let (code, log) = run_stand_in(&docker, &case, generation).await;
                (case, generation, code, log)
            });
        }
        while let Some(done) = set.join_next().await {
            let (case, generation, code, log) = done.unwrap();
            let expected = format!(" ERROR {}", case.message(generation));
            let shut_down = log.contains("INFO Shutdown successful");
            if code != 1 || !log.lines().any(|l| l.ends_with(&expected)) || !shut_down {
                failures.push(format!(
                    "case {} ({generation}, {}): exit {code}, expected a line ending with {expected:?} \
                     then \"Shutdown successful\"; the log:\n{log}",
                    case.name, case.source
                ));
            }
        }
    }
    eprintln!(
        "{} stand-in runs in {:.1} s",
        runs.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn the_app_refuses_every_rule_before_creating_anything() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::without_secrets("rules").await;
    let demo = p.settings();
    // What the keychain holds: each case changes only what differs (every
    // kind has one value), so the keychain holds exactly the case's items.
    let mut stored: Vec<SecretKind> = Vec::new();
    for case in cases::load() {
        // The case's settings, on the lab profile's names and ports.
        let mut settings: toml::Value =
            toml::Value::try_from(case.settings()).expect("settings to TOML");
        settings["profile"] = demo["profile"].clone();
        let stack = settings["stack"].as_table_mut().unwrap();
        for key in [
            "project",
            "webui_port",
            "control_port",
            "downloads_dir",
            "network",
        ] {
            stack.insert(key.to_owned(), demo["stack"][key].clone());
        }
        stack.insert("gateway_image".to_owned(), STAND_IN.into());
        // The keychain items go under the profile's name, which `tvpn
        // secrets` reads from usable settings: the demo's while they change.
        p.write_settings(&demo);
        let wanted = case.secrets();
        for kind in stored.iter().filter(|k| !wanted.contains(k)) {
            let out = p
                .command(&["secrets", "delete", kind.key()])
                .output()
                .unwrap();
            assert!(out.status.success(), "deleting {}", kind.key());
        }
        for kind in wanted.iter().filter(|k| !stored.contains(k)) {
            p.set_secret(kind.key(), &Case::secret_value(*kind));
        }
        stored = wanted;
        p.write_settings(&settings);
        let t0 = Instant::now();
        let out = p.tvpn(&["connect"]);
        let took = t0.elapsed();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(
            out.status.code(),
            Some(0),
            "case {}: connect succeeded",
            case.name
        );
        assert!(
            err.contains(&case.field),
            "case {} ({}): the error does not name {}: {err}",
            case.name,
            case.source,
            case.field
        );
        assert!(
            container(&docker, &p.gateway_name()).await.is_none(),
            "case {}: a gateway was created",
            case.name
        );
        eprintln!("case {}: refused in {} ms", case.name, took.as_millis());
    }
}

/// A gateway image whose entrypoint logs a gluetun-style fatal error (after
/// control-server noise) and exits at once: connect must stop, name the
/// error and remove what it started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn a_gateway_that_exits_at_start_fails_connect_at_once() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let image = "tvpn-lab/gateway-exits:test";
    lab::build_exiting_gateway(image);

    let p = Profile::new("exits").await;
    p.edit_settings(|s| s["stack"]["gateway_image"] = image.into());
    let t0 = Instant::now();
    let out = p.tvpn(&["connect"]);
    let took = t0.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("gluetun says \"{}\"", lab::EXITING_GATEWAY_ERROR)),
        "{err}"
    );
    // The exit code comes from the engine's event log: the restart policy
    // has started the container again by the time connect looks.
    assert!(err.contains("exit code 1"), "{err}");
    assert!(
        container(&docker, &p.gateway_name()).await.is_none(),
        "the dead gateway was left behind"
    );
    eprintln!("gateway fatal -> connect failed: {} ms", took.as_millis());
    drop(p);
    let _ = std::process::Command::new("docker")
        .args(["rmi", "-f", image])
        .output();
}

/// The four settings that made a real gluetun v3.40.4 exit while the app
/// waited 120 s: each is now refused at once, naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn the_four_field_reports_fail_connect_at_once() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("four").await;
    let saved = p.settings();
    type Edit = Box<dyn Fn(&mut toml::Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "vpn.wireguard.addresses[1]",
            Box::new(|s| {
                s["vpn"]["wireguard"]["addresses"] =
                    toml::Value::try_from(["10.66.66.2/32", "fc00:bbbb:bbbb:bb01::3:2/128"])
                        .unwrap();
            }),
        ),
        (
            "vpn.port_forwarding",
            Box::new(|s| {
                s["vpn"]
                    .as_table_mut()
                    .unwrap()
                    .remove("port_forwarding_provider");
                s["vpn"]["port_forwarding"] = true.into();
            }),
        ),
        (
            "vpn.server_countries[0]",
            Box::new(|s| {
                s["vpn"]["server_countries"] = toml::Value::try_from(["Sweden"]).unwrap();
            }),
        ),
        (
            "stack.gateway_env.LOG_LEVEL",
            Box::new(|s| {
                s["stack"]["gateway_env"]
                    .as_table_mut()
                    .unwrap()
                    .insert("LOG_LEVEL".to_owned(), "loud".into());
            }),
        ),
    ];
    for (field, edit) in edits {
        let mut s = saved.clone();
        edit(&mut s);
        p.write_settings(&s);
        let t0 = Instant::now();
        let out = p.tvpn(&["connect"]);
        let took = t0.elapsed();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{field}: connect succeeded");
        assert!(err.contains(field), "{field}: {err}");
        assert!(
            container(&docker, &p.gateway_name()).await.is_none(),
            "{field}"
        );
        eprintln!("{field}: refused in {} ms", took.as_millis());
    }
    p.write_settings(&saved);
}

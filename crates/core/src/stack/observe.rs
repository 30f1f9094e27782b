//! Reading what of the stack exists in the engine right now.

use std::collections::HashMap;

use bollard::query_parameters::ListContainersOptionsBuilder;
use bollard::Docker;
use serde::Serialize;

use super::labels;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Gateway,
    Service,
}

/// One container of the stack, as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerState {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// The protected service name for services, `gateway` for the gateway.
    pub service: String,
    pub image: String,
    /// Docker's state: `created`, `running`, `paused`, `restarting`, `exited`, `dead`.
    pub state: String,
    /// Docker's status line, e.g. `Up 3 minutes (healthy)`.
    pub status: String,
}

/// The stack as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StackState {
    /// Nothing of the stack exists.
    Absent,
    /// The gateway and every service run.
    Running,
    /// Containers exist but none runs.
    Stopped,
    /// Some run and some don't: a half state that reconcile repairs.
    Partial,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackObservation {
    pub state: StackState,
    pub containers: Vec<ContainerState>,
}

/// List the containers of `profile` and summarise them.
pub async fn observe(
    docker: &Docker,
    profile: &str,
) -> Result<StackObservation, bollard::errors::Error> {
    let mut filters = HashMap::new();
    filters.insert(
        "label".to_owned(),
        vec![
            format!("{}=1", labels::MANAGED),
            format!("{}={profile}", labels::PROFILE),
        ],
    );
    let opts = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let list = docker.list_containers(Some(opts)).await?;
    let mut containers: Vec<ContainerState> = list
        .into_iter()
        .map(|c| {
            let labels_map = c.labels.unwrap_or_default();
            let role = match labels_map.get(labels::ROLE).map(String::as_str) {
                Some("gateway") => Role::Gateway,
                _ => Role::Service,
            };
            ContainerState {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .and_then(|n| n.into_iter().next())
                    .map(|n| n.trim_start_matches('/').to_owned())
                    .unwrap_or_default(),
                role,
                service: labels_map
                    .get(labels::SERVICE)
                    .cloned()
                    .unwrap_or_else(|| "gateway".to_owned()),
                image: c.image.unwrap_or_default(),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                status: c.status.unwrap_or_default(),
            }
        })
        .collect();
    containers.sort_by(|a, b| {
        (a.role == Role::Service, &a.name).cmp(&(b.role == Role::Service, &b.name))
    });
    Ok(StackObservation {
        state: summarize(&containers),
        containers,
    })
}

fn summarize(containers: &[ContainerState]) -> StackState {
    if containers.is_empty() {
        return StackState::Absent;
    }
    let running = containers.iter().filter(|c| c.state == "running").count();
    let has_gateway = containers.iter().any(|c| c.role == Role::Gateway);
    match running {
        0 => StackState::Stopped,
        n if n == containers.len() && has_gateway => StackState::Running,
        _ => StackState::Partial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(role: Role, state: &str) -> ContainerState {
        ContainerState {
            id: String::new(),
            name: String::new(),
            role,
            service: String::new(),
            image: String::new(),
            state: state.to_owned(),
            status: String::new(),
        }
    }

    #[test]
    fn summary() {
        assert_eq!(summarize(&[]), StackState::Absent);
        assert_eq!(
            summarize(&[c(Role::Gateway, "running"), c(Role::Service, "running")]),
            StackState::Running
        );
        assert_eq!(
            summarize(&[c(Role::Gateway, "exited"), c(Role::Service, "exited")]),
            StackState::Stopped
        );
        assert_eq!(
            summarize(&[c(Role::Gateway, "exited"), c(Role::Service, "running")]),
            StackState::Partial
        );
        // A service running without any gateway is never "running".
        assert_eq!(
            summarize(&[c(Role::Service, "running")]),
            StackState::Partial
        );
    }
}

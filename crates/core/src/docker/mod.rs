//! The Docker engine: finding it, and talking to it through bollard.

mod endpoint;

pub use endpoint::{candidates, connect, Candidate, Connected, DockerError, EndpointSource};

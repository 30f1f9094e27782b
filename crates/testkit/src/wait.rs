//! Polling until a condition holds.

use std::time::{Duration, Instant};

/// Poll `check` every `every` until it gives `Some`; `None` once `timeout`
/// has passed.
pub async fn poll<T>(
    timeout: Duration,
    every: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(every).await;
    }
}

/// Poll `check` every 200 ms until it gives `Some`, or panic after
/// `timeout` with `what`.
pub async fn wait_for<T>(
    what: &str,
    timeout: Duration,
    check: impl AsyncFnMut() -> Option<T>,
) -> T {
    match poll(timeout, Duration::from_millis(200), check).await {
        Some(v) => v,
        None => panic!("{what}: not within {timeout:?}"),
    }
}

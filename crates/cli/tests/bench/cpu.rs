//! CPU time of processes and containers, private memory, and the machine's
//! load, read from /proc and the cgroup file systems.

use std::path::Path;

fn stat_fields(pid: u32) -> Vec<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// CPU seconds (user + system) of a process so far.
pub fn process_seconds(pid: u32) -> f64 {
    let f = stat_fields(pid);
    // utime and stime are fields 14 and 15 (11 and 12 after the name).
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    ticks as f64 / 100.0
}

/// The parent of a process.
pub fn parent(pid: u32) -> Option<u32> {
    stat_fields(pid).get(1).and_then(|v| v.parse().ok())
}

/// Every process whose command name is `name`.
pub fn pids_named(name: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
        })
        .collect()
}

/// A process and its descendants alive now.
pub fn tree(pid: u32) -> Vec<u32> {
    let all: Vec<u32> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .collect();
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(all.iter().copied().filter(|c| parent(*c) == Some(p)));
        i += 1;
    }
    out
}

/// CPU seconds of everything a container's cgroup ever ran, exited
/// processes (each `docker exec`) included: cgroup v1's `cpuacct.usage`, or
/// cgroup v2's `cpu.stat` `usage_usec`. `pid` is any process in it.
pub fn cgroup_seconds(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let mut v2 = None;
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        if controllers.split(',').any(|c| c == "cpuacct") {
            for root in ["/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/cpu,cpuacct"] {
                let file = Path::new(root)
                    .join(path.trim_start_matches('/'))
                    .join("cpuacct.usage");
                if let Some(ns) = std::fs::read_to_string(file)
                    .ok()
                    .and_then(|t| t.trim().parse::<u64>().ok())
                {
                    return Some(ns as f64 / 1e9);
                }
            }
        } else if controllers.is_empty() && path != "/" {
            v2 = Some(path.to_owned());
        }
    }
    let path = v2?;
    ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        .iter()
        .find_map(|root| {
            let file = Path::new(root)
                .join(path.trim_start_matches('/'))
                .join("cpu.stat");
            std::fs::read_to_string(file).ok()?.lines().find_map(|l| {
                l.strip_prefix("usage_usec ")
                    .and_then(|v| v.trim().parse::<u64>().ok())
            })
        })
        .map(|us| us as f64 / 1e6)
}

/// The processes of a container's cgroup (v1 `cpuacct` or v2) now.
pub fn cgroup_pids(pid: u32) -> Vec<u32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    let mut out = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let roots: &[&str] = if controllers.split(',').any(|c| c == "cpuacct") {
            &["/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/cpu,cpuacct"]
        } else if controllers.is_empty() && path != "/" {
            &["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        } else {
            continue;
        };
        for root in roots {
            let dir = Path::new(root).join(path.trim_start_matches('/'));
            if let Ok(t) = std::fs::read_to_string(dir.join("cgroup.procs")) {
                out.extend(t.lines().filter_map(|l| l.trim().parse::<u32>().ok()));
                return out;
            }
        }
    }
    out
}

/// The 1-minute load average and the number of cores, as the table shows
/// them beside a figure.
pub fn load() -> String {
    let avg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let one = avg.split_whitespace().next().unwrap_or("?").to_owned();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("load {one} / {cores} cores")
}

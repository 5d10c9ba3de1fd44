//! What the numbers were measured on, and what this process holds in memory.

use std::path::Path;

fn first_line_with(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// One line: CPU, cores, memory, OS, the file system of the temporary directory,
/// compiler and build profile.
pub fn describe(temp: &Path) -> String {
    let cpu =
        first_line_with("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem = first_line_with("/proc/meminfo", "MemTotal")
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map(|kib| format!("{:.0} GiB RAM", kib / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown RAM".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| format!("Linux {}", s.trim()))
        .unwrap_or_else(|_| std::env::consts::OS.to_string());
    let fs = fs_type(temp).unwrap_or_else(|| "unknown".into());
    let profile = if cfg!(debug_assertions) {
        "debug build"
    } else {
        "release build"
    };
    format!(
        "{cpu}, {cores} cores, {mem}, {kernel}, temp dir on {fs}, {}, {profile}",
        env!("BENCH_RUSTC_VERSION")
    )
}

/// The type of the file system holding `path`: the longest mount point that prefixes it.
fn fs_type(path: &Path) -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    let path = path.canonicalize().ok()?;
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, point, kind) = (f.next()?, f.next()?, f.next()?);
            path.starts_with(point)
                .then(|| (point.len(), kind.to_string()))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, kind)| kind)
}

/// Peak and current resident memory of this process, in KiB (`VmHWM`, `VmRSS`).
pub fn memory_kib() -> Option<(u64, u64)> {
    let kib = |key| {
        first_line_with("/proc/self/status", key)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    Some((kib("VmHWM")?, kib("VmRSS")?))
}

/// The 1-minute load average: how busy the machine was with other work.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

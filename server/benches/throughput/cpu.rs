//! A process's own CPU time, read from `/proc/<pid>/stat` (proc(5): `utime` and `stime`, fields 14 and 15, in
//! clock ticks of `getconf CLK_TCK`): user + system over every thread it ever ran, however busy the machine is.

use std::sync::OnceLock;
use std::time::Duration;

/// The CPU time process `pid` has used so far.
pub fn used_by(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|error| panic!("/proc/{pid}/stat: {error}"));
    // The command name, in parentheses, may hold spaces: the fields are counted after its closing one.
    let after_name = &stat[stat.rfind(')').expect("a command name") + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    // Field 3 (state) is the first after the name, so utime (14) and stime (15) are at 11 and 12.
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    Duration::from_secs_f64(ticks as f64 / ticks_per_second())
}

/// `getconf CLK_TCK`, asked once.
fn ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

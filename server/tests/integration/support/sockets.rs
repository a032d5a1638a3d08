//! Which TCP ports a process listens on, read from Linux's /proc: the sockets among its open files that the kernel's
//! TCP tables (proc(5): /proc/net/tcp and tcp6) show in the LISTEN state.

use std::collections::BTreeSet;

/// The `st` column of a listening socket in /proc/net/tcp.
const LISTEN: &str = "0A";

/// The ports process `pid` listens on over TCP (IPv4 and IPv6), in order.
pub fn listening_ports(pid: u32) -> BTreeSet<u16> {
    let inodes: BTreeSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the process's open files")
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            let inode = target.strip_prefix("socket:[")?.strip_suffix(']')?;
            Some(inode.to_owned())
        })
        .collect();
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|line| {
                    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    let (local, state, inode) = (fields.get(1)?, fields.get(3)?, fields.get(9)?);
                    let port = u16::from_str_radix(local.rsplit(':').next()?, 16).ok()?;
                    (*state == LISTEN && inodes.contains(*inode)).then_some(port)
                })
                .collect::<Vec<u16>>()
        })
        .collect()
}

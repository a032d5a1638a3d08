//! What a phone downloads to run wxgate's pages: the browser bundle `make site` built (the wasm and its JS glue),
//! as it is, gzip-compressed, and as the brotli copy `make site` wrote beside it, which wxgate sends to a browser
//! that accepts `br` (the gzip copy goes to one that accepts only `gzip`).

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

/// The bundle's files, where `make site` puts them.
fn site_pkg() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site/pkg")
}

/// A line per file of the bundle with its size, gzip size and precompressed brotli size, and their total; or why
/// there is none.
pub fn report() -> String {
    let pkg = site_pkg();
    let mut lines = Vec::new();
    let (mut total, mut total_gzip, mut total_brotli) = (0, 0, 0);
    for name in ["wxgate.wasm", "wxgate.js"] {
        let Ok(bytes) = std::fs::read(pkg.join(name)) else {
            return format!(
                "browser bundle: not built ({} has no {name}; run make site)",
                pkg.display()
            );
        };
        let Ok(brotli) = std::fs::metadata(pkg.join(format!("{name}.br"))) else {
            return format!(
                "browser bundle: not precompressed ({} has no {name}.br; run make site)",
                pkg.display()
            );
        };
        let gzip = gzip_size(&bytes);
        let brotli = usize::try_from(brotli.len()).expect("a bundle file's size fits usize");
        total += bytes.len();
        total_gzip += gzip;
        total_brotli += brotli;
        lines.push(format!(
            "  {name:<12} {:>9} bytes, {gzip:>9} gzip, {brotli:>9} brotli (sent)",
            bytes.len(),
        ));
    }
    lines.push(format!(
        "  {:<12} {total:>9} bytes, {total_gzip:>9} gzip, {total_brotli:>9} brotli (sent)",
        "together"
    ));
    format!("browser bundle (target/site/pkg):\n{}", lines.join("\n"))
}

fn gzip_size(bytes: &[u8]) -> usize {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory").len()
}

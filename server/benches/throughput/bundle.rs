//! What a phone downloads to run wxgate's pages: the browser bundle `make site` built (the wasm, its JS glue and the
//! style sheet, under the name `bundle.txt` lists), as it is and as the gzip and brotli copies `make site` wrote
//! beside it, which wxgate sends to a browser that accepts `gzip` or `br`.

use std::path::{Path, PathBuf};

/// Where `make site` puts the site.
fn site() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site")
}

/// A line per file of the bundle with its size and the sizes of its gzip and brotli copies, and their total; or
/// why there is none.
pub fn report() -> String {
    let site = site();
    let Ok(listed) = std::fs::read_to_string(site.join("bundle.txt")) else {
        return format!(
            "browser bundle: not built ({} has no bundle.txt; run make site)",
            site.display()
        );
    };
    let name = listed.trim();
    let pkg = site.join("pkg");
    let mut lines = Vec::new();
    let mut totals = [0; 3];
    for extension in ["wasm", "js", "css"] {
        let file = format!("{name}.{extension}");
        let mut sizes = [0; 3];
        for (size, file) in
            sizes
                .iter_mut()
                .zip([file.clone(), format!("{file}.gz"), format!("{file}.br")])
        {
            let Ok(metadata) = std::fs::metadata(pkg.join(&file)) else {
                return format!(
                    "browser bundle: not built ({} has no {file}; run make site)",
                    pkg.display()
                );
            };
            *size = metadata.len();
        }
        for (total, size) in totals.iter_mut().zip(sizes) {
            *total += size;
        }
        lines.push(line(&file, sizes));
    }
    lines.push(line("together", totals));
    format!(
        "browser bundle (target/site/pkg; the gzip and brotli copies are what wxgate sends):\n{}",
        lines.join("\n")
    )
}

fn line(name: &str, [plain, gzip, brotli]: [u64; 3]) -> String {
    format!("  {name:<32} {plain:>9} bytes, {gzip:>9} gzip, {brotli:>9} brotli")
}

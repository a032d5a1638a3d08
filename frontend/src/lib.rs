//! The browser entry: hydrates the islands (the interactive parts) of the page the server rendered.

use wasm_bindgen::prelude::wasm_bindgen;

// Linked for the islands' entries it exports, which the hydration script calls by name; nothing here names them.
extern crate app;

/// Called by the hydration script Leptos puts in every page; each island's own entry is exported by `app`.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}

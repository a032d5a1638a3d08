//! wxgate as a library: the commands the `wxgate` binary runs, and [`launch`], which starts wxgate on a listener it
//! is given, so tests can run it inside their own process.

mod background;
mod bundle;
pub mod cli;
pub mod commands;
pub mod contract;
mod hardening;
pub mod launch;
pub mod logging;
mod metrics;
mod router;
mod routes;
mod serving;
pub mod startup;
mod state;

//! One module per CLI command.

pub mod clients;
pub mod doctor;
pub mod events;
pub mod keys;
pub mod migrate;
pub mod openapi;
pub mod reconcile;
pub mod sandbox;
pub mod serve;
pub mod tools;

//! Integration tests: each one starts wxgate (in-process, or the real binary where the test needs a process) and
//! talks to it over HTTP, on SQLite and PostgreSQL.

mod abuse_limits;
mod auth_mini_program;
mod auth_oauth;
mod auth_poll;
mod catalogue_admin;
mod checkout_surfaces;
mod cloud_hosting;
mod config_errors;
mod contract;
mod files_at_rest;
mod hardening;
mod health;
mod input_bounds;
mod metrics;
mod order_expiry;
mod pages;
mod payments;
mod profile;
mod reconcile;
mod refunds;
mod retention;
mod sandbox_fidelity;
mod sandbox_fidelity_login;
mod sandbox_login;
mod sandbox_mode;
mod sandbox_pay;
mod sandbox_pay_client;
mod sandbox_shipping;
mod secrets_in_logs;
mod session_lifetime;
mod sessions;
mod shared_tokens;
mod support;
mod sweeper;
mod tools;

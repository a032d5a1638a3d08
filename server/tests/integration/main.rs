//! Integration tests: each one starts the real `wxgate` binary and talks to it over HTTP, on SQLite and PostgreSQL.

mod auth_mini_program;
mod auth_oauth;
mod catalogue_admin;
mod checkout_surfaces;
mod config_errors;
mod hardening;
mod health;
mod order_expiry;
mod pages;
mod payments;
mod reconcile;
mod refunds;
mod sandbox_login;
mod sandbox_mode;
mod sandbox_pay;
mod sandbox_pay_client;
mod sessions;
mod shared_tokens;
mod support;
mod sweeper;
mod tools;

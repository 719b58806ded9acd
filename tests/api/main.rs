//! The integration suite: gatehouse over HTTP, against real PostgreSQL (and SQLite).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod support;

mod access;
mod accessibility;
mod account_sessions;
mod admin;
mod admin_reset;
mod audit;
mod browser;
mod cli;
mod cluster;
mod email_change;
mod email_required;
mod email_verification;
mod faults;
mod fuzz;
mod hardening;
mod health;
mod logging;
mod login;
mod login_race;
mod outbox;
mod password_change;
mod password_reset;
mod query_budget;
mod register;
mod sessions;
mod sign_in_accounts;
mod sign_in_flow;
mod sign_in_passwordless;
mod sqlite;
mod throttle_races;
mod throttling;
mod tls;

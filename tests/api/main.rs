//! The integration suite: gatehouse over HTTP, against real PostgreSQL (and SQLite).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod support;

mod access;
mod admin;
mod audit;
mod browser;
mod cli;
mod faults;
mod fuzz;
mod hardening;
mod health;
mod login;
mod register;
mod sessions;
mod sqlite;
mod throttling;

//! gatehouse: user accounts for a server-rendered web app.

pub mod accounts;
pub mod auth_providers;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod mail;
pub mod routes;
pub mod startup;
pub mod telemetry;
pub mod web;

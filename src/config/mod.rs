//! Settings from the environment: typed, validated, and failing fast with one line.

use crate::db::DatabaseUrl;
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

mod api;
mod email_verification;
mod limits;
mod providers;
mod secret;

pub use api::{ApiSettings, parse_duration};
pub use email_verification::EmailVerification;
pub use limits::{Limits, Policy, PolicyError};
pub use providers::{ProviderKind, ProviderSettings};

use secret::{MIN_SECRET_BYTES, check_secret, generated_secret_beside};

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub secret_key: SecretString,
    pub bind_addr: SocketAddr,
    pub public_url: PublicUrl,
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    pub bcrypt_cost: u32,
    pub trusted_proxies: Vec<IpNet>,
    /// HTTP worker threads; `None` means one per core.
    pub workers: Option<usize>,
    pub db_pool_size: u32,
    pub limits: Limits,
    pub outbox: OutboxSettings,
    /// Identity providers (`AUTH_PROVIDERS`), in the order listed.
    pub auth_providers: Vec<ProviderSettings>,
    pub api: ApiSettings,
    /// Where `GET /metrics` is served; `None`: no metrics listener.
    pub metrics_addr: Option<SocketAddr>,
    /// After SIGTERM, how long `/readyz` says 503 while requests are still served.
    pub shutdown_drain: Duration,
    /// `EMAIL_VERIFICATION`: optional (default) or required.
    pub email_verification: EmailVerification,
}

/// How the mail worker paces itself. Not read from the environment: the defaults suit
/// production, and tests shorten them.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// How often the worker looks for due messages when nothing wakes it sooner.
    pub poll_interval: Duration,
    /// The wait after a first failed attempt; it doubles with every further failure...
    pub retry_base: Duration,
    /// ...up to this.
    pub retry_cap: Duration,
    /// Attempts before a message is marked failed for good (an admin can retry it).
    pub max_attempts: i32,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            retry_base: Duration::from_secs(5),
            retry_cap: Duration::from_secs(3600),
            max_attempts: 8,
        }
    }
}

/// The one-line reason a setting was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// `PUBLIC_URL` without its trailing slash, so links are `format!("{base}/path")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let trimmed = raw.trim_end_matches('/');
        let rest = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
                Ok(Self(trimmed.to_owned()))
            }
            _ => {
                Err(ConfigError(format!("invalid PUBLIC_URL {raw:?}: expected http://host or https://host")))
            }
        }
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://gatehouse.db";
const DEFAULT_POOL_SIZE: u32 = 10;

/// `DATABASE_URL`, or the embedded SQLite default.
pub fn database_url_from_env() -> Result<DatabaseUrl, ConfigError> {
    database_url(&|name| std::env::var(name).ok())
}

/// `BCRYPT_COST`, or 12.
pub fn bcrypt_cost_from_env() -> Result<u32, ConfigError> {
    bcrypt_cost(&|name| std::env::var(name).ok())
}

impl Settings {
    /// Everything `serve` needs. May create the SQLite secret-key file (see CONTRACT).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let database_url = database_url(get)?;
        let secret_key = match get("SECRET_KEY") {
            Some(key) => check_secret(key)?,
            None => match &database_url {
                DatabaseUrl::Sqlite(path) => generated_secret_beside(path)?,
                DatabaseUrl::Postgres(_) => {
                    return Err(ConfigError(format!(
                        "SECRET_KEY is required with PostgreSQL: set it to at least {MIN_SECRET_BYTES} random bytes, shared by all instances"
                    )));
                }
            },
        };
        let bind_addr = get("BIND_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind_addr = socket_addr("BIND_ADDR", &bind_addr)?;
        let public_url =
            PublicUrl::parse(&get("PUBLIC_URL").unwrap_or_else(|| "http://127.0.0.1:8080".into()))?;
        let mail_from = get("MAIL_FROM").unwrap_or_else(|| "gatehouse <no-reply@localhost>".into());
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError(format!(
                "invalid MAIL_FROM {mail_from:?}: expected an address, like Name <addr@example.com>"
            )));
        }
        Ok(Self {
            database_url,
            secret_key,
            bind_addr,
            public_url,
            smtp_url: get("SMTP_URL").map(check_smtp_url).transpose()?,
            mail_from,
            bcrypt_cost: bcrypt_cost(get)?,
            trusted_proxies: trusted_proxies(get("TRUSTED_PROXIES").as_deref().unwrap_or(""))?,
            workers: None,
            db_pool_size: db_pool_size(get)?,
            limits: limits(get)?,
            outbox: OutboxSettings::default(),
            auth_providers: providers::providers(get)?,
            api: api::api_settings(get)?,
            metrics_addr: get("METRICS_ADDR").map(|raw| socket_addr("METRICS_ADDR", &raw)).transpose()?,
            shutdown_drain: shutdown_drain(get)?,
            email_verification: EmailVerification::parse(get("EMAIL_VERIFICATION").as_deref())?,
        })
    }
}

fn database_url(get: &dyn Fn(&str) -> Option<String>) -> Result<DatabaseUrl, ConfigError> {
    let raw = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
    DatabaseUrl::parse(&raw).map_err(|e| ConfigError(format!("invalid DATABASE_URL: {e}")))
}

fn socket_addr(name: &str, raw: &str) -> Result<SocketAddr, ConfigError> {
    raw.parse()
        .map_err(|_| ConfigError(format!("invalid {name} {raw:?}: expected IP:PORT, like 0.0.0.0:8080")))
}

fn shutdown_drain(get: &dyn Fn(&str) -> Option<String>) -> Result<Duration, ConfigError> {
    let Some(raw) = get("SHUTDOWN_DRAIN") else { return Ok(Duration::from_secs(5)) };
    match raw.trim() {
        "0" => Ok(Duration::ZERO),
        trimmed => humantime::parse_duration(trimmed).map_err(|_| {
            ConfigError(format!("invalid SHUTDOWN_DRAIN {raw:?}: expected a duration, like 5s or 500ms"))
        }),
    }
}

/// `DATABASE_POOL_SIZE`: how many connections each instance may hold.
fn db_pool_size(get: &dyn Fn(&str) -> Option<String>) -> Result<u32, ConfigError> {
    let Some(raw) = get("DATABASE_POOL_SIZE") else { return Ok(DEFAULT_POOL_SIZE) };
    match raw.trim().parse::<u32>() {
        Ok(size) if (1..=1000).contains(&size) => Ok(size),
        _ => Err(ConfigError(format!(
            "invalid DATABASE_POOL_SIZE {raw:?}: must be a whole number from 1 to 1000"
        ))),
    }
}

fn bcrypt_cost(get: &dyn Fn(&str) -> Option<String>) -> Result<u32, ConfigError> {
    let Some(raw) = get("BCRYPT_COST") else { return Ok(12) };
    match raw.trim().parse::<u32>() {
        Ok(cost) if (4..=31).contains(&cost) => Ok(cost),
        _ => Err(ConfigError(format!("invalid BCRYPT_COST {raw:?}: must be a whole number from 4 to 31"))),
    }
}

fn limits(get: &dyn Fn(&str) -> Option<String>) -> Result<Limits, ConfigError> {
    let mut limits = Limits::default();
    for (name, slot) in [
        ("LIMIT_LOGIN_ACCOUNT_IP", &mut limits.login_account_ip),
        ("LIMIT_LOGIN_IP", &mut limits.login_ip),
        ("LIMIT_LOGIN_ACCOUNT", &mut limits.login_account),
        ("LIMIT_REGISTER_IP", &mut limits.register_ip),
        ("LIMIT_RESET_IP", &mut limits.reset_ip),
    ] {
        if let Some(raw) = get(name) {
            *slot = Policy::parse(&raw).map_err(|e| ConfigError(format!("{name}: {e}")))?;
        }
    }
    Ok(limits)
}

/// The URL is never echoed: it may carry the SMTP password.
fn check_smtp_url(url: String) -> Result<SecretString, ConfigError> {
    smtp_url_problem(&url).map_or(Ok(()), Err).map_err(|reason| {
        ConfigError(format!(
            "invalid SMTP_URL ({reason}): expected smtp://host:port, smtp://host:port?tls=required or \
             smtps://user:password@host"
        ))
    })?;
    Ok(SecretString::from(url))
}

/// Why lettre would refuse `url`, if it would.
fn smtp_url_problem(url: &str) -> Option<String> {
    use lettre::{AsyncSmtpTransport, Tokio1Executor};
    let has_host = url.split_once("://").is_some_and(|(_, rest)| !rest.is_empty());
    if !(url.starts_with("smtp://") || url.starts_with("smtps://")) || !has_host {
        return Some("it must start with smtp:// or smtps:// and name a host".into());
    }
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url).err().map(|e| e.to_string())
}

fn trusted_proxies(raw: &str) -> Result<Vec<IpNet>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<IpNet>().or_else(|_| part.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                ConfigError(format!(
                    "invalid TRUSTED_PROXIES entry {part:?}: expected an IP address or CIDR range"
                ))
            })
        })
        .collect()
}

impl Settings {
    pub fn secret_bytes(&self) -> &[u8] {
        self.secret_key.expose_secret().as_bytes()
    }
}

#[cfg(test)]
mod tests;

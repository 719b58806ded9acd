//! Settings from the environment: typed, validated, and failing fast with one line.

use crate::accounts::throttle::{Limits, Policy};
use crate::db::DatabaseUrl;
use ipnet::IpNet;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

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
const MIN_SECRET_BYTES: usize = 64;

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
        let bind_addr = bind_addr.parse().map_err(|_| {
            ConfigError(format!("invalid BIND_ADDR {bind_addr:?}: expected IP:PORT, like 0.0.0.0:8080"))
        })?;
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
            db_pool_size: 10,
            limits: limits(get)?,
            outbox: OutboxSettings::default(),
        })
    }
}

fn database_url(get: &dyn Fn(&str) -> Option<String>) -> Result<DatabaseUrl, ConfigError> {
    let raw = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
    DatabaseUrl::parse(&raw).map_err(|e| ConfigError(format!("invalid DATABASE_URL: {e}")))
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
    crate::mail::Mailer::check_url(&url).map_err(|reason| {
        ConfigError(format!(
            "invalid SMTP_URL ({reason}): expected smtp://host:port, smtp://host:port?tls=required or \
             smtps://user:password@host"
        ))
    })?;
    Ok(SecretString::from(url))
}

fn check_secret(key: String) -> Result<SecretString, ConfigError> {
    if key.len() < MIN_SECRET_BYTES {
        return Err(ConfigError(format!(
            "SECRET_KEY is too short: it must be at least {MIN_SECRET_BYTES} bytes (try `openssl rand -hex 64`)"
        )));
    }
    Ok(SecretString::from(key))
}

/// Reads the key kept beside the SQLite file, creating it on first run.
fn generated_secret_beside(db_path: &Path) -> Result<SecretString, ConfigError> {
    let path = db_path.with_extension("secret");
    let fail = |what: &str, e: std::io::Error| {
        ConfigError(format!("cannot {what} secret key file {}: {e}", path.display()))
    };
    match std::fs::read_to_string(&path) {
        Ok(existing) => return check_secret(existing.trim().to_owned()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(fail("read", e)),
        Err(_) => {}
    }
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    let key = hex::encode(bytes);
    let mut file = open_private(&path).map_err(|e| fail("create", e))?;
    file.write_all(key.as_bytes()).map_err(|e| fail("write", e))?;
    tracing::warn!(path = %path.display(), "SECRET_KEY is not set: generated one and saved it beside the database; set SECRET_KEY in production");
    Ok(SecretString::from(key))
}

fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
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
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(&|name| vars.get(name).cloned())
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn refuses_postgres_without_a_secret_key() {
        let err = settings(&[("DATABASE_URL", "postgres://localhost/x")]).err();
        assert!(err.is_some_and(|e| e.0.contains("SECRET_KEY is required")));
    }

    #[test]
    fn refuses_a_short_secret_key() {
        let err = settings(&[("DATABASE_URL", "postgres://localhost/x"), ("SECRET_KEY", "short")]).err();
        assert!(err.is_some_and(|e| e.0.contains("too short")));
    }

    #[test]
    fn validates_each_setting_with_a_one_line_reason() {
        let base = [("DATABASE_URL", "postgres://localhost/x"), ("SECRET_KEY", KEY)];
        for (name, value, expected) in [
            ("BCRYPT_COST", "3", "BCRYPT_COST"),
            ("BCRYPT_COST", "abc", "BCRYPT_COST"),
            ("BIND_ADDR", "localhost", "BIND_ADDR"),
            ("PUBLIC_URL", "example.com", "PUBLIC_URL"),
            ("TRUSTED_PROXIES", "10.0.0.0/8, nope", "TRUSTED_PROXIES"),
            ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
            ("MAIL_FROM", "not an address", "MAIL_FROM"),
            ("LIMIT_LOGIN_IP", "lots", "LIMIT_LOGIN_IP"),
            ("SMTP_URL", "http://user:hunter22@mail.example", "SMTP_URL"),
            ("SMTP_URL", "smtp://", "SMTP_URL"),
        ] {
            let mut vars = base.to_vec();
            vars.retain(|(k, _)| *k != name);
            vars.push((name, value));
            let err = settings(&vars).err().map(|e| e.0).unwrap_or_default();
            assert!(err.contains(expected) && !err.contains('\n'), "{name}={value}: {err:?}");
            assert!(!err.contains("hunter22"), "{name}: the password was echoed");
        }
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let vars = [
            ("DATABASE_URL", "postgres://app:db-password-1@db/x"),
            ("SECRET_KEY", KEY),
            ("SMTP_URL", "smtps://mailer:smtp-password-2@mail.example.com"),
        ];
        let printed = settings(&vars).map(|s| format!("{s:?}")).unwrap_or_default();
        assert!(printed.contains("PublicUrl"), "{printed}");
        for secret in [KEY, "db-password-1", "smtp-password-2"] {
            assert!(!printed.contains(secret), "{secret} printed in {printed}");
        }
    }

    #[test]
    fn reads_trusted_proxies_as_addresses_and_ranges() {
        let s = settings(&[
            ("DATABASE_URL", "postgres://x/y"),
            ("SECRET_KEY", KEY),
            ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,::1"),
        ]);
        let proxies = s.map(|s| s.trusted_proxies.len()).unwrap_or_default();
        assert_eq!(proxies, 3);
    }

    #[test]
    fn generates_and_then_reuses_a_key_beside_the_sqlite_file() {
        let dir = std::env::temp_dir().join(format!("gatehouse-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let url = format!("sqlite://{}/app.db", dir.display());
        let first = settings(&[("DATABASE_URL", &url)]).map(|s| s.secret_bytes().to_vec());
        let second = settings(&[("DATABASE_URL", &url)]).map(|s| s.secret_bytes().to_vec());
        std::fs::remove_dir_all(&dir).ok();
        assert!(first.as_ref().is_ok_and(|k| k.len() >= 64));
        assert_eq!(first, second);
    }
}

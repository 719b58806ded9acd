//! Settings: each variable's validation, defaults, the secret-key file, redaction.

use super::*;
use std::collections::HashMap;

fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
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
        ("METRICS_ADDR", "9100", "METRICS_ADDR"),
        ("SHUTDOWN_DRAIN", "five seconds", "SHUTDOWN_DRAIN"),
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

#[test]
fn metrics_addr_and_shutdown_drain_have_their_defaults_and_read_durations() {
    let base = [("DATABASE_URL", "postgres://localhost/x"), ("SECRET_KEY", KEY)];
    let read = |extra: &[(&'static str, &'static str)]| {
        let vars: Vec<_> = base.iter().chain(extra).copied().collect();
        settings(&vars).map(|s| (s.metrics_addr.map(|a| a.to_string()), s.shutdown_drain))
    };
    assert_eq!(read(&[]), Ok((None, Duration::from_secs(5))));
    let set = read(&[("METRICS_ADDR", "127.0.0.1:9100"), ("SHUTDOWN_DRAIN", "1500ms")]);
    assert_eq!(set, Ok((Some("127.0.0.1:9100".into()), Duration::from_millis(1500))));
    assert_eq!(read(&[("SHUTDOWN_DRAIN", "0")]), Ok((None, Duration::ZERO)));
}

#[test]
fn accepts_the_three_documented_smtp_url_forms() {
    for url in
        ["smtp://127.0.0.1:2525", "smtp://mail.example.com:587?tls=required", "smtps://u:p%40ss@mail.example"]
    {
        assert_eq!(super::smtp_url_problem(url), None, "{url}");
    }
}

#[test]
fn refuses_other_smtp_schemes_and_missing_hosts() {
    for url in ["http://mail.example", "smtp://", "mail.example:25", "smtp://h?tls=sometimes"] {
        assert!(super::smtp_url_problem(url).is_some(), "{url}");
    }
}

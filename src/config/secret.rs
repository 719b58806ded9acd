//! `SECRET_KEY`: checked when given; with SQLite and none given, generated once and kept
//! in a file beside the database, readable by its owner only.

use super::ConfigError;
use rand::RngCore;
use secrecy::SecretString;
use std::io::Write;
use std::path::Path;

pub const MIN_SECRET_BYTES: usize = 64;

pub fn check_secret(key: String) -> Result<SecretString, ConfigError> {
    if key.len() < MIN_SECRET_BYTES {
        return Err(ConfigError(format!(
            "SECRET_KEY is too short: it must be at least {MIN_SECRET_BYTES} bytes (try `openssl rand -hex 64`)"
        )));
    }
    Ok(SecretString::from(key))
}

/// Reads the key kept beside the SQLite file, creating it on first run.
pub fn generated_secret_beside(db_path: &Path) -> Result<SecretString, ConfigError> {
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

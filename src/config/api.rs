//! The JSON API's settings: token lifetimes and the origins allowed to call it from a browser.

use super::ConfigError;
use chrono::TimeDelta;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiSettings {
    /// `ACCESS_TOKEN_TTL` (10m): how long an access token is accepted.
    pub access_token_ttl: TimeDelta,
    /// `REFRESH_TOKEN_TTL` (30d): how long an API login lasts, from its login.
    pub refresh_token_ttl: TimeDelta,
    /// `CORS_ALLOWED_ORIGINS`: exact origins (`https://app.example.com`); empty, no CORS.
    pub cors_allowed_origins: Vec<String>,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            access_token_ttl: TimeDelta::minutes(10),
            refresh_token_ttl: TimeDelta::days(30),
            cors_allowed_origins: Vec::new(),
        }
    }
}

pub fn api_settings(get: &dyn Fn(&str) -> Option<String>) -> Result<ApiSettings, ConfigError> {
    let mut api = ApiSettings::default();
    for (name, slot) in
        [("ACCESS_TOKEN_TTL", &mut api.access_token_ttl), ("REFRESH_TOKEN_TTL", &mut api.refresh_token_ttl)]
    {
        if let Some(raw) = get(name) {
            *slot = parse_duration(&raw).ok_or_else(|| {
                ConfigError(format!("invalid {name} {raw:?}: expected a duration like 30s, 10m, 12h or 30d"))
            })?;
        }
    }
    if let Some(raw) = get("CORS_ALLOWED_ORIGINS") {
        api.cors_allowed_origins = origins(&raw)?;
    }
    Ok(api)
}

/// `30s`, `10m`, `12h`, `30d`: a positive whole number and a unit.
pub fn parse_duration(raw: &str) -> Option<TimeDelta> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit())?;
    let amount: i64 = raw[..split].parse().ok()?;
    let delta = match &raw[split..] {
        "s" => TimeDelta::try_seconds(amount),
        "m" => TimeDelta::try_minutes(amount),
        "h" => TimeDelta::try_hours(amount),
        "d" => TimeDelta::try_days(amount),
        _ => None,
    };
    delta.filter(|d| *d > TimeDelta::zero())
}

fn origins(raw: &str) -> Result<Vec<String>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains(['/', ' ', '*']) => Ok(origin.to_owned()),
                _ => Err(ConfigError(format!(
                    "invalid CORS_ALLOWED_ORIGINS entry {origin:?}: expected an origin like https://app.example.com"
                ))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lifetimes_and_origins() {
        let env = |name: &str| match name {
            "ACCESS_TOKEN_TTL" => Some("5m".to_owned()),
            "CORS_ALLOWED_ORIGINS" => Some("https://app.example.com, http://localhost:3000".to_owned()),
            _ => None,
        };
        let expected = ApiSettings {
            access_token_ttl: TimeDelta::minutes(5),
            refresh_token_ttl: TimeDelta::days(30),
            cors_allowed_origins: vec!["https://app.example.com".into(), "http://localhost:3000".into()],
        };
        assert_eq!(api_settings(&env), Ok(expected));
    }

    #[test]
    fn refuses_bad_values_with_the_variable_named() {
        for (name, value) in [
            ("ACCESS_TOKEN_TTL", "0m"),
            ("ACCESS_TOKEN_TTL", "10"),
            ("REFRESH_TOKEN_TTL", "30y"),
            ("CORS_ALLOWED_ORIGINS", "*"),
            ("CORS_ALLOWED_ORIGINS", "https://app.example.com/path"),
        ] {
            let env = |n: &str| (n == name).then(|| value.to_owned());
            let error = api_settings(&env).err().map(|e| e.0).unwrap_or_default();
            assert!(error.contains(name), "{name}={value}: {error:?}");
        }
    }
}

//! Rate-limit policies ("N per window") and the deployment's limits: configuration types,
//! read by `config`, enforced by `accounts::throttle`.

use chrono::TimeDelta;

/// At most `limit` events per `window`; past that, the wait after the latest event starts
/// at `accounts::throttle::FIRST_WAIT` and doubles with every further event, up to the whole window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub limit: u32,
    pub window: TimeDelta,
}

/// The limits of one deployment, each set by its own environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failed logins for one account from one IP (`LIMIT_LOGIN_ACCOUNT_IP`, 5/15m).
    pub login_account_ip: Policy,
    /// Failed logins from one IP, whatever the account (`LIMIT_LOGIN_IP`, 30/15m).
    pub login_ip: Policy,
    /// Failed logins for one account from anywhere (`LIMIT_LOGIN_ACCOUNT`, 100/1h).
    pub login_account: Policy,
    /// Registration attempts from one IP (`LIMIT_REGISTER_IP`, 10/1h).
    pub register_ip: Policy,
    /// Password-reset requests from one IP (`LIMIT_RESET_IP`, 10/1h).
    pub reset_ip: Policy,
    /// Provider callbacks from one IP that signed nobody in (`LIMIT_PROVIDER_IP`, 30/15m).
    pub provider_ip: Policy,
    /// Sign-ins through providers into one account, from anywhere (`LIMIT_PROVIDER_ACCOUNT`, 30/15m).
    pub provider_account: Policy,
}

impl Default for Limits {
    fn default() -> Self {
        let policy = |limit, window| Policy { limit, window };
        Self {
            login_account_ip: policy(5, TimeDelta::minutes(15)),
            login_ip: policy(30, TimeDelta::minutes(15)),
            login_account: policy(100, TimeDelta::hours(1)),
            register_ip: policy(10, TimeDelta::hours(1)),
            reset_ip: policy(10, TimeDelta::hours(1)),
            provider_ip: policy(30, TimeDelta::minutes(15)),
            provider_account: policy(30, TimeDelta::minutes(15)),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid rate limit {0:?}: expected COUNT/DURATION, like 5/15m, 20/1h or 3/30s")]
pub struct PolicyError(String);

impl Policy {
    /// Parses `5/15m`: a count, then a duration in s, m, h or d.
    pub fn parse(raw: &str) -> Result<Self, PolicyError> {
        let fail = || PolicyError(raw.to_owned());
        let (count, duration) = raw.trim().split_once('/').ok_or_else(fail)?;
        let limit: u32 = count.trim().parse().map_err(|_| fail())?;
        let duration = duration.trim();
        let split = duration.find(|c: char| !c.is_ascii_digit()).ok_or_else(fail)?;
        let amount: i64 = duration[..split].parse().map_err(|_| fail())?;
        let window = match &duration[split..] {
            "s" => TimeDelta::try_seconds(amount),
            "m" => TimeDelta::try_minutes(amount),
            "h" => TimeDelta::try_hours(amount),
            "d" => TimeDelta::try_days(amount),
            _ => None,
        }
        .filter(|w| *w > TimeDelta::zero())
        .ok_or_else(fail)?;
        if limit == 0 {
            return Err(fail());
        }
        Ok(Self { limit, window })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_counts_per_duration() {
        assert_eq!(Policy::parse("5/15m"), Ok(Policy { limit: 5, window: TimeDelta::minutes(15) }));
        assert_eq!(Policy::parse(" 20 / 1h "), Ok(Policy { limit: 20, window: TimeDelta::hours(1) }));
        assert_eq!(Policy::parse("3/30s").map(|p| p.window), Ok(TimeDelta::seconds(30)));
        for bad in ["", "5", "5/", "/15m", "0/15m", "5/0m", "5/15", "5/15y", "-1/1h", "x/1h", "5/m"] {
            assert!(Policy::parse(bad).is_err(), "{bad:?}");
        }
    }
}

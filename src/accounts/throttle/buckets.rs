//! The names of throttle buckets: the one place they are spelled. An IPv6 client counts
//! per /64, since one host owns a whole /64 and could otherwise rotate through it.

use crate::domain::UserId;
use std::net::{IpAddr, Ipv6Addr};

/// A throttle bucket's key in `throttle_events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket(String);

/// A login name that matches no account is throttled by what was typed, cut to this.
const NAME_CHARS: usize = 64;

impl Bucket {
    /// Failed logins (and wrong current passwords) from one address, any account.
    pub fn login_ip(ip: &str) -> Self {
        Self(format!("login-ip:{}", network(ip)))
    }

    /// Failed logins for one account (or one unknown name), from anywhere.
    pub fn login_account(account: Option<UserId>, typed: &str) -> Self {
        Self(account_part(account, typed))
    }

    /// Failed logins for one account (or unknown name) from one address.
    pub fn login_account_ip(account: Option<UserId>, typed: &str, ip: &str) -> Self {
        Self(format!("{}ip:{}", account_part(account, typed), network(ip)))
    }

    /// Wrong second-factor codes for one account, from anywhere: a stolen password gets
    /// a handful of guesses at the code, however many pending sign-ins it opens.
    pub fn second_factor(account: UserId) -> Self {
        Self(format!("second-factor:{account}"))
    }

    /// Failed passkey logins from one address: which account a refused passkey belongs
    /// to is unknown, so the address is what is counted.
    pub fn passkey_ip(ip: &str) -> Self {
        Self(format!("passkey-ip:{}", network(ip)))
    }

    pub fn register_ip(ip: &str) -> Self {
        Self(format!("register-ip:{}", network(ip)))
    }

    pub fn reset_ip(ip: &str) -> Self {
        Self(format!("reset-ip:{}", network(ip)))
    }

    /// Requests for a new email confirmation link from one address.
    pub fn verify_ip(ip: &str) -> Self {
        Self(format!("verify-ip:{}", network(ip)))
    }

    /// Callbacks from identity providers to one address, counted before the `state` is
    /// looked up or the provider asked anything; one that signs in is given back.
    pub fn provider_ip(ip: &str) -> Self {
        Self(format!("provider-ip:{}", network(ip)))
    }

    /// Sign-ins through any provider into one account, from anywhere, each one counted:
    /// a provider proves who, so what this bounds is how fast one identity mints sessions.
    pub fn provider_account(account: UserId) -> Self {
        Self(format!("{}provider", Bucket::account_prefix(account)))
    }

    /// What every bucket of one account's logins starts with, to clear them all at once.
    pub fn account_prefix(account: UserId) -> String {
        format!("login-account:{account}/")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn account_part(account: Option<UserId>, typed: &str) -> String {
    match account {
        Some(id) => Bucket::account_prefix(id),
        // Unknown names are throttled exactly like accounts, so throttling reveals nothing.
        None => format!(
            "login-name:{}/",
            typed.trim().to_lowercase().chars().take(NAME_CHARS).collect::<String>()
        ),
    }
}

/// The address as counted: IPv4 as it is, IPv6 as its /64 (IPv4-mapped ones as IPv4).
fn network(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", Ipv6Addr::from(prefix))
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_per_64() {
        let a = Bucket::login_ip("2001:db8:1:2:aaaa::1");
        let b = Bucket::login_ip("2001:db8:1:2:ffff:ffff:ffff:ffff");
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "login-ip:2001:db8:1:2::/64");
        assert_ne!(a, Bucket::login_ip("2001:db8:1:3::1"));
    }

    #[test]
    fn ipv4_and_mapped_ipv4_count_per_address() {
        assert_eq!(Bucket::login_ip("192.0.2.7").as_str(), "login-ip:192.0.2.7");
        assert_eq!(Bucket::login_ip("::ffff:192.0.2.7"), Bucket::login_ip("192.0.2.7"));
        assert_ne!(Bucket::login_ip("192.0.2.7"), Bucket::login_ip("192.0.2.8"));
    }

    #[test]
    fn an_accounts_buckets_share_its_prefix() {
        let account = UserId(42);
        let prefix = Bucket::account_prefix(account);
        assert!(Bucket::login_account(Some(account), "x").as_str().starts_with(&prefix));
        assert!(Bucket::login_account_ip(Some(account), "x", "::1").as_str().starts_with(&prefix));
        assert!(Bucket::provider_account(account).as_str().starts_with(&prefix));
        assert_ne!(Bucket::provider_account(account), Bucket::login_account(Some(account), ""));
        assert_eq!(Bucket::login_account(None, " Bob "), Bucket::login_account(None, "bob"));
    }
}

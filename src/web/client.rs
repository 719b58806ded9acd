//! Who the client is: its IP (trusting `X-Forwarded-For` only from configured proxies)
//! and its user agent.

use super::state::AppState;
use crate::accounts::ClientInfo;
use actix_web::{HttpRequest, http::header::USER_AGENT, web};
use ipnet::IpNet;
use std::net::IpAddr;

const MAX_USER_AGENT_CHARS: usize = 512;

pub fn client_info(req: &HttpRequest) -> ClientInfo {
    let proxies = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.trusted_proxies.as_slice())
        .unwrap_or_default();
    let ip = client_ip(req, proxies).map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".into());
    let user_agent = req
        .headers()
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().filter(|c| !c.is_control()).take(MAX_USER_AGENT_CHARS).collect())
        .unwrap_or_default();
    ClientInfo { ip, user_agent }
}

/// The socket peer, unless it is a trusted proxy: then the right-most address in
/// `X-Forwarded-For` that is not itself a trusted proxy (the left-most entries are
/// whatever the client chose to send, so they are never believed).
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    Some(forwarded.into_iter().rev().find(|ip| !is_trusted(ip)).unwrap_or(peer))
}

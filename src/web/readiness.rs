//! Whether this instance wants traffic: `/readyz` says no from the moment it is told to
//! stop, while it goes on serving, so a load balancer moves traffic away first.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Default)]
pub struct Readiness {
    draining: CancellationToken,
}

impl Readiness {
    /// From now on `/readyz` answers 503; everything else is served as before.
    pub fn start_draining(&self) {
        self.draining.cancel();
    }

    pub fn is_draining(&self) -> bool {
        self.draining.is_cancelled()
    }
}

/// While draining, every answer closes its connection: a proxy reusing an idle keep-alive
/// connection at the moment this instance stops would otherwise see it reset mid-request
/// (and cannot safely retry a POST), whereas a fresh connection to a stopped instance is
/// refused before anything is sent, and retried elsewhere.
pub async fn close_connections_while_draining(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let draining = req.app_data::<web::Data<Readiness>>().is_some_and(|r| r.is_draining());
    let mut res = next.call(req).await?;
    if draining {
        res.response_mut().head_mut().set_connection_type(ConnectionType::Close);
    }
    Ok(res)
}

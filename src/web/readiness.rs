//! Whether this instance wants traffic: `/readyz` says no from the moment it is told to
//! stop, while it goes on serving, so a load balancer moves traffic away first.

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

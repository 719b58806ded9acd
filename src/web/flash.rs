//! Flash messages, kept in the session cookie, which is written back only when they change.
//!
//! The framework's own session store clears its key on every response, even when no
//! message was ever there. Clearing marks the session changed, so every page, the
//! logged-in dashboard included, re-encrypted and re-sent the whole session cookie. This
//! store clears the key only when it is there.

use actix_session::SessionExt;
use actix_web::HttpRequest;
use actix_web::dev::ResponseHead;
use actix_web_flash_messages::FlashMessage;
use actix_web_flash_messages::storage::{FlashMessageStore, LoadError, SessionMessageStore, StoreError};

/// The session key; the framework's default, so cookies from before keep their messages.
const KEY: &str = "_flash";

pub struct FlashStore(SessionMessageStore);

impl Default for FlashStore {
    fn default() -> Self {
        Self(SessionMessageStore::new(KEY.into()))
    }
}

impl FlashMessageStore for FlashStore {
    fn load(&self, request: &HttpRequest) -> Result<Vec<FlashMessage>, LoadError> {
        self.0.load(request)
    }

    fn store(
        &self,
        messages: &[FlashMessage],
        request: HttpRequest,
        response: &mut ResponseHead,
    ) -> Result<(), StoreError> {
        if messages.is_empty() && !request.get_session().entries().contains_key(KEY) {
            return Ok(());
        }
        self.0.store(messages, request, response)
    }
}

//! The HTTP side's building blocks: extractors, the session cookie, CSRF, headers, logging.

pub mod api_json;
pub mod auth;
pub mod bearer;
pub mod client;
pub mod csrf;
pub mod csrf_json;
pub mod error;
pub mod flash;
pub mod headers;
pub mod page;
pub mod readiness;
pub mod request_log;
pub mod session;
pub mod state;

pub use auth::{CurrentUser, MaybeUser, RequireRole};
pub use csrf::{CsrfForm, NoFields};
pub use csrf_json::CsrfJson;
pub use error::AppError;
pub use page::{Page, render, render_status};
pub use state::AppState;

/// Whether `next` is a path on this site: one `/`, then neither `/` nor `\`, and no
/// control characters. Anything else could send the user to another origin.
pub fn is_local_path(next: &str) -> bool {
    let mut chars = next.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next.chars().any(char::is_control)
}

/// `303 See Other` to `location`: the answer to every successful POST.
pub fn see_other(location: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, location)).finish()
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn accepts_only_local_paths() {
        for ok in ["/", "/dashboard", "/admin?page=2", "/a/b#c", "/%2F%2Fevil.com"] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in ["", "dashboard", "//evil.com", "/\\evil.com", "https://evil.com", "/\tx", "/a\nb", " /x"]
        {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}

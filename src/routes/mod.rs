//! The route table, read top to bottom, with a 404 page for everything else.

mod account_connections;
mod account_email;
mod account_password;
mod account_sessions;
mod account_tokens;
mod admin;
mod admin_emails;
pub mod api;
mod assets;
mod auth_complete;
mod auth_pages;
mod auth_provider;
mod dashboard;
mod editor;
mod health;
mod home;
mod login;
mod login_2fa;
mod not_found;
mod password_reset;
mod register;
pub(crate) mod two_factor;
mod verify_email;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::show))
        .route("/healthz", web::get().to(health::alive))
        .route("/readyz", web::get().to(health::ready))
        .route("/static/{file}", web::get().to(assets::serve))
        .route("/favicon.ico", web::get().to(assets::favicon))
        .route("/register", web::get().to(register::form))
        .route("/register", web::post().to(register::submit))
        .route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::submit))
        .route("/login/2fa", web::get().to(login_2fa::form))
        .route("/login/2fa", web::post().to(login_2fa::submit))
        .route("/logout", web::post().to(login::logout))
        .route("/auth/complete", web::get().to(auth_complete::form))
        .route("/auth/complete", web::post().to(auth_complete::submit))
        .route("/auth/{name}", web::post().to(auth_provider::start))
        .route("/auth/{name}/callback", web::get().to(auth_provider::callback))
        .route("/dashboard", web::get().to(dashboard::show))
        .route("/editor", web::get().to(editor::show))
        .route("/admin", web::get().to(admin::users::list))
        .route("/admin/overview", web::get().to(admin::overview::show))
        .route("/admin/users/bulk", web::post().to(admin::bulk::apply))
        .route("/admin/users/{id}", web::get().to(admin::account::show))
        .route("/admin/users/{id}/toggle-active", web::post().to(admin::actions::toggle_active))
        .route("/admin/users/{id}/role", web::post().to(admin::actions::set_role))
        .route("/admin/users/{id}/revoke-sessions", web::post().to(admin::actions::revoke_sessions))
        .route("/admin/users/{id}/send-reset", web::post().to(admin::actions::send_reset))
        .route("/admin/users/{id}/reset-2fa", web::post().to(admin::actions::reset_two_factor))
        .route("/admin/users/{id}/delete", web::post().to(admin::actions::delete))
        .route("/admin/audit", web::get().to(admin::audit::show))
        .route("/admin/audit.csv", web::get().to(admin::audit_csv::export))
        .route("/admin/emails", web::get().to(admin_emails::show))
        .route("/admin/emails/{id}/retry", web::post().to(admin_emails::retry))
        .route("/account/connections", web::get().to(account_connections::show))
        .route("/account/connections/{name}/disconnect", web::post().to(account_connections::disconnect))
        .route("/account/password", web::get().to(account_password::form))
        .route("/account/password", web::post().to(account_password::submit))
        .route("/account/2fa", web::get().to(two_factor::show))
        .route("/account/2fa/totp/setup", web::post().to(two_factor::setup))
        .route("/account/2fa/totp/confirm", web::post().to(two_factor::confirm))
        .route("/account/2fa/recovery-codes", web::post().to(two_factor::regenerate))
        .route("/account/2fa/disable", web::post().to(two_factor::disable))
        .route("/account/email", web::get().to(account_email::form))
        .route("/account/email", web::post().to(account_email::submit))
        .route("/account/email/confirm/{token}", web::get().to(account_email::confirm_form))
        .route("/account/email/confirm/{token}", web::post().to(account_email::confirm))
        .route("/account/email/revert/{token}", web::get().to(account_email::revert_form))
        .route("/account/email/revert/{token}", web::post().to(account_email::revert))
        .route("/account/verify-email", web::post().to(verify_email::resend_from_dashboard))
        .route("/account/sessions", web::get().to(account_sessions::show))
        .route("/account/sessions/revoke-others", web::post().to(account_sessions::revoke_others))
        .route("/account/sessions/{id}/revoke", web::post().to(account_sessions::revoke))
        .route("/account/tokens", web::get().to(account_tokens::show))
        .route("/account/tokens", web::post().to(account_tokens::create))
        .route("/account/tokens/{id}/revoke", web::post().to(account_tokens::revoke))
        .route("/password-reset", web::get().to(password_reset::request_form))
        .route("/password-reset", web::post().to(password_reset::request))
        .route("/password-reset/{token}", web::get().to(password_reset::link_form))
        .route("/password-reset/{token}", web::post().to(password_reset::reset))
        .route("/verify-email", web::get().to(verify_email::request_form))
        .route("/verify-email", web::post().to(verify_email::request))
        .route("/verify-email/{token}", web::get().to(verify_email::link_form))
        .route("/verify-email/{token}", web::post().to(verify_email::verify))
        .default_service(web::to(not_found::show));
}

//! The route table, read top to bottom, with a 404 page for everything else.

mod admin;
mod assets;
mod dashboard;
mod editor;
mod health;
mod home;
mod login;
mod not_found;
mod register;

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
        .route("/logout", web::post().to(login::logout))
        .route("/dashboard", web::get().to(dashboard::show))
        .route("/editor", web::get().to(editor::show))
        .route("/admin", web::get().to(admin::users::list))
        .route("/admin/users/{id}/toggle-active", web::post().to(admin::actions::toggle_active))
        .route("/admin/users/{id}/role", web::post().to(admin::actions::set_role))
        .route("/admin/users/{id}/revoke-sessions", web::post().to(admin::actions::revoke_sessions))
        .route("/admin/users/{id}/delete", web::post().to(admin::actions::delete))
        .route("/admin/audit", web::get().to(admin::audit::show))
        .default_service(web::to(not_found::show));
}

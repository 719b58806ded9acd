//! `/api/v1`: the JSON API's route table (from which its OpenAPI document is generated),
//! its CORS policy and body limits; and `/.well-known/jwks.json`.

mod admin;
mod auth;
mod jwks;
mod me;
pub mod schemas;

use crate::config::ApiSettings;
use crate::web::AppError;
use crate::web::api_json::MAX_BODY_BYTES;
use actix_cors::Cors;
use actix_web::dev::ResourceDef;
use actix_web::middleware::Condition;
use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_actix_web::{AppExt, scope};

/// The `/api/v1` routes, for the app and for the document alike: one list, so the
/// document cannot name a route that is not served, or miss one that is.
fn routes<T>(scope: utoipa_actix_web::scope::Scope<T>) -> utoipa_actix_web::scope::Scope<T>
where
    T: actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Error = actix_web::Error,
            InitError = (),
        >,
{
    scope
        .service(auth::login)
        .service(auth::mfa)
        .service(auth::refresh)
        .service(auth::logout)
        .service(me::me)
        .service(admin::list)
        .service(admin::show)
        .service(admin::set_role)
        .service(admin::deactivate)
        .service(admin::activate)
        .service(admin::revoke_sessions)
        .service(admin::delete)
        .service(openapi)
}

/// The OpenAPI 3.1 document, built once at start-up, and the routes it lists (path
/// pattern and methods), so a known path asked with another method gets a 405.
pub struct Document {
    json: String,
    routes: Vec<(ResourceDef, Vec<String>)>,
}

impl Document {
    pub fn build() -> anyhow::Result<Self> {
        let value = serde_json::to_value(document())?;
        let paths = value["paths"].as_object().cloned().unwrap_or_default();
        let routes = paths
            .into_iter()
            .map(|(path, item)| {
                let methods = item.as_object().map(|ops| ops.keys().map(|m| m.to_uppercase()).collect());
                (ResourceDef::new(path), methods.unwrap_or_default())
            })
            .collect();
        Ok(Self { json: serde_json::to_string(&value)?, routes })
    }
}

/// Anything under `/api/v1` that no route took: 405 on a known path, else 404.
async fn unmatched(req: HttpRequest, document: web::Data<Document>) -> Result<HttpResponse, AppError> {
    let known = document.routes.iter().find(|(def, _)| def.is_match(req.path()));
    match known {
        Some((_, methods)) => Err(AppError::MethodNotAllowed { allow: methods.join(", ") }),
        None => Err(AppError::NotFound),
    }
}

pub fn document() -> OpenApi {
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(base_document())
        .service(routes(scope("/api/v1")))
        .split_for_parts();
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT access token or gatehouse_pat_ personal access token")
                .build(),
        ),
    );
    api
}

fn base_document() -> OpenApi {
    let mut api = OpenApi::new(
        utoipa::openapi::InfoBuilder::new()
            .title("gatehouse API")
            .version(env!("CARGO_PKG_VERSION"))
            .description(Some(
                "User accounts over JSON. Every error is {\"error\", \"message\"}, plus \"fields\" on 422.",
            ))
            .build(),
        utoipa::openapi::Paths::new(),
    );
    api.openapi = utoipa::openapi::OpenApiVersion::Version31;
    api
}

pub fn configure(cfg: &mut web::ServiceConfig, settings: &ApiSettings, document: &web::Data<Document>) {
    let cors = !settings.cors_allowed_origins.is_empty();
    let api = routes(scope("/api/v1"))
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(document.clone())
        .default_service(web::to(unmatched))
        .wrap(Condition::new(cors, cors_policy(settings)));
    cfg.service(api).service(jwks::jwks);
}

/// Exactly the listed origins, with the headers and methods the API uses; no cookies.
fn cors_policy(settings: &ApiSettings) -> Cors {
    let policy = Cors::default()
        .allowed_methods(["GET", "POST", "DELETE"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::WWW_AUTHENTICATE, header::RETRY_AFTER])
        .max_age(600);
    settings.cors_allowed_origins.iter().fold(policy, |policy, origin| policy.allowed_origin(origin))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta", responses((status = 200, description = "The OpenAPI 3.1 document")))]
#[get("/openapi.json")]
async fn openapi(document: web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(document.json.clone())
}

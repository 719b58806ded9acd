//! End to end in headless Chromium: a person presses "Continue with …" on /register,
//! agrees at the mock provider on another site, confirms a username on /auth/complete
//! and lands on the dashboard. The redirect back from the provider's page is a cross-site
//! top-level GET: it only carries the app's cookie (and with it the browser binding of
//! the `state`) because that cookie is SameSite=Lax (with Strict it fails at the callback).

use crate::browser::{Driver, click, element, wait_for_path};
use crate::helpers::TestApp;
use crate::sign_in_flow::providers;
use crate::support::mock_idp::MockIdp;
use fantoccini::Locator;
use gatehouse::config::PublicUrl;

/// An app whose `PUBLIC_URL` is its real address, so the provider sends Chromium back to it.
pub async fn spawn_at_public_url(idp: &MockIdp) -> TestApp {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let providers = providers(idp, false);
    TestApp::spawn_with(move |s| {
        s.bind_addr = ([127, 0, 0, 1], port).into();
        s.public_url = PublicUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        s.auth_providers = providers;
    })
    .await
}

#[tokio::test]
async fn a_person_signs_up_through_a_provider_by_pressing_its_button_in_chromium() {
    // The app on 127.0.0.1 and the provider on 127.0.0.2 are different sites.
    let idp = MockIdp::start_at("127.0.0.2").await;
    idp.set(|b| {
        b.username = "ada_browser".into();
        b.consent_page = true;
    });
    let app = spawn_at_public_url(&idp).await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    browser.goto(&format!("{}/register", app.base)).await.unwrap();
    click(&browser, "form[action='/auth/mock'] button[type=submit]").await;
    // At the provider: the person agrees there, so the way back is a cross-site navigation.
    click(&browser, "a#approve").await;
    wait_for_path(&browser, "/auth/complete").await;
    assert!(browser.current_url().await.unwrap().as_str().starts_with(&app.base));

    let username = element(&browser, Locator::Id("username")).await;
    assert_eq!(username.prop("value").await.unwrap().as_deref(), Some("ada_browser"));
    let session = browser.get_named_cookie(gatehouse::web::session::COOKIE_NAME).await.unwrap();
    assert_eq!(format!("{:?}", session.same_site()), "Some(Lax)");
    click(&browser, "form[action='/auth/complete'] button[type=submit]").await;
    wait_for_path(&browser, "/dashboard").await;
    let shown = element(&browser, Locator::Css("dd.username")).await.text().await.unwrap();
    assert_eq!(shown, "ada_browser");
    assert_eq!(element(&browser, Locator::Css("dd.email")).await.text().await.unwrap(), "ada@example.com");
    browser.close().await.unwrap();
}

//! `GET /admin/overview`: the admin home's first tab: totals, the last 30 days as bar
//! charts drawn on the server (SVG in the page: no script, no inline style), the outbox.

use crate::accounts::overview::{self, DAYS, Series};
use crate::web::AppError;
use crate::web::auth::{Admin, RequireRole};
use crate::web::page::Chrome;
use crate::web::{AppState, Page, render};
use actix_web::{HttpResponse, web};
use askama::Template;

/// The chart's drawing box, in SVG user units; CSS scales it to the column's width.
const WIDTH: f64 = 320.0;
const LEFT: f64 = 40.0;
const TOP: f64 = 8.0;
const PLOT_HEIGHT: f64 = 96.0;
const SLOT: f64 = (WIDTH - LEFT - 2.0) / DAYS as f64;

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    accounts: String,
    active: String,
    emails_queued: String,
    emails_failed: String,
    failed_emails: i64,
    charts: Vec<Chart>,
}

/// One bar chart: a figure per day, its axis labels, and a sentence saying what it shows.
struct Chart {
    id: &'static str,
    title: &'static str,
    total: String,
    summary: String,
    max: String,
    bars: Vec<Bar>,
    first_day: String,
    last_day: String,
    baseline: String,
    width: String,
}

struct Bar {
    x: String,
    y: String,
    width: String,
    height: String,
    label: String,
}

pub async fn show(
    _admin: RequireRole<Admin>,
    Page(chrome): Page,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let o = overview::overview(&state.db).await?;
    render(&OverviewPage {
        chrome,
        accounts: thousands(o.accounts),
        active: thousands(o.active),
        emails_queued: thousands(o.emails_queued),
        emails_failed: thousands(o.emails_failed),
        failed_emails: o.emails_failed,
        charts: vec![
            chart("new-accounts", "New accounts", &o.new_accounts),
            chart("logins", "Logins", &o.logins),
            chart("failed-logins", "Failed logins", &o.failed_logins),
            chart("throttled", "Throttled login attempts", &o.throttled),
        ],
    })
}

fn chart(id: &'static str, title: &'static str, series: &Series) -> Chart {
    let max = series.max();
    let scale = if max > 0 { PLOT_HEIGHT / max as f64 } else { 0.0 };
    let bars = series
        .days
        .iter()
        .enumerate()
        .map(|(i, (day, n))| {
            // A day with any count gets at least a sliver, so it never looks like zero.
            let height = if *n > 0 { (*n as f64 * scale).max(1.5) } else { 0.0 };
            Bar {
                x: svg(LEFT + i as f64 * SLOT + 1.0),
                y: svg(TOP + PLOT_HEIGHT - height),
                width: svg(SLOT - 2.0),
                height: svg(height),
                label: format!("{}: {}", day.format("%Y-%m-%d"), thousands(*n)),
            }
        })
        .collect();
    let summary = summary(title, series);
    let day = |i: usize| series.days.get(i).map(|(d, _)| d.format("%b %-d").to_string()).unwrap_or_default();
    Chart {
        id,
        title,
        total: thousands(series.total()),
        summary,
        max: compact(max),
        bars,
        first_day: day(0),
        last_day: day(series.days.len().saturating_sub(1)),
        baseline: svg(TOP + PLOT_HEIGHT),
        width: svg(WIDTH),
    }
}

/// What a chart shows, said in a sentence: its accessible name for screen readers.
fn summary(title: &str, series: &Series) -> String {
    let busiest = series.days.iter().max_by_key(|(_, n)| *n).filter(|(_, n)| *n > 0);
    match busiest {
        Some((day, n)) => format!(
            "{title} per day over the last {DAYS} days: {} in all, most on {} ({}).",
            thousands(series.total()),
            day.format("%b %-d"),
            thousands(*n)
        ),
        None => format!("{title} per day over the last {DAYS} days: none."),
    }
}

/// A coordinate with one decimal: enough for a 320-unit drawing, and short markup.
fn svg(value: f64) -> String {
    format!("{value:.1}")
}

/// An axis label that fits beside the chart: `9,999`, `12k`, `1.2M`.
fn compact(n: i64) -> String {
    match n {
        ..10_000 => thousands(n),
        10_000..1_000_000 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::{compact, thousands};

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(-1_234_567), "-1,234,567");
        assert_eq!(
            (compact(9_999), compact(100_000), compact(1_250_000)),
            ("9,999".into(), "100k".into(), "1.2M".into())
        );
    }
}

//! The command line: `serve` (the default), `migrate` and `create-admin`.

use crate::accounts::registration::create_account;
use crate::config::{self, Settings};
use crate::db::{self, DbError};
use crate::domain::{Email, Password, Role, Username};
use crate::startup::Application;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use std::io::BufRead;

#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about = "User accounts for a server-rendered web app")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve on BIND_ADDR (the default command).
    Serve,
    /// Apply pending migrations to DATABASE_URL and exit.
    Migrate,
    /// Create an admin account, or make an existing one an active admin. Reads the
    /// password from the first line of standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Migrate => migrate().await,
        Command::CreateAdmin { username, email } => {
            create_admin(&username, &email, std::io::stdin().lock()).await
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let bind = settings.bind_addr;
    let app = Application::build(settings).await?;
    tracing::info!(address = %bind, port = app.port(), "gatehouse is serving");
    app.run_until_stopped().await.context("serving")
}

async fn migrate() -> anyhow::Result<()> {
    let url = config::database_url_from_env()?;
    let applied = actix_web::web::block(move || {
        let mut conn = url.connect().with_context(|| format!("connecting to {url:?}"))?;
        db::run_pending(&mut conn)
    })
    .await??;
    if applied.is_empty() {
        println!("no pending migrations");
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(())
}

/// What `create-admin` did, for its one line of output.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminOutcome {
    Created,
    Promoted,
}

pub async fn create_admin(username: &str, email: &str, stdin: impl BufRead) -> anyhow::Result<()> {
    let username = Username::parse(username).map_err(|e| anyhow::anyhow!("invalid --username: {e}"))?;
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("invalid --email: {e}"))?;
    let password = read_password(stdin)?;
    let url = config::database_url_from_env()?;
    let cost = config::bcrypt_cost_from_env()?;
    let name = username.clone();
    let outcome = actix_web::web::block(move || -> anyhow::Result<AdminOutcome> {
        let mut conn = url.connect().with_context(|| format!("connecting to {url:?}"))?;
        db::run_pending(&mut conn)?;
        promote_or_create(&mut conn, &username, &email, &password, cost)
    })
    .await??;
    match outcome {
        AdminOutcome::Created => println!("created admin account {name}"),
        AdminOutcome::Promoted => {
            println!("{name} already existed: it is now an active admin (password unchanged)")
        }
    }
    Ok(())
}

fn read_password(stdin: impl BufRead) -> anyhow::Result<String> {
    let line = stdin.lines().next().transpose().context("reading the password from standard input")?;
    let line = line.unwrap_or_default();
    if line.is_empty() {
        bail!("no password given: write it as the first line of standard input");
    }
    Ok(line)
}

fn promote_or_create(
    conn: &mut db::Conn,
    username: &Username,
    email: &Email,
    password: &str,
    cost: u32,
) -> anyhow::Result<AdminOutcome> {
    use diesel::Connection;
    if let Some(id) = db::users::find_id_by_username(conn, &username.folded())? {
        conn.transaction::<_, DbError, _>(|conn| {
            db::users::set_role(conn, id, Role::Admin)?;
            db::users::set_active(conn, id, true, db::now())?;
            Ok(())
        })?;
        return Ok(AdminOutcome::Promoted);
    }
    let password = Password::parse(password, username.as_str(), email.as_str())
        .map_err(|e| anyhow::anyhow!("refused password: {e}"))?;
    if db::users::email_taken(conn, email.as_str())? {
        bail!("another account already uses the email {email}");
    }
    let hash = bcrypt::hash(password.plain().as_bytes(), cost).context("hashing the password")?;
    conn.transaction::<_, DbError, _>(|conn| {
        create_account(conn, username, email, &hash, Role::Admin, true)
    })?;
    Ok(AdminOutcome::Created)
}

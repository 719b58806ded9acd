//! The command line: `serve` (the default), `migrate`, `create-admin`, `seed-users` and
//! `rotate-signing-key`;
//! parsing arguments and printing outcomes, the use cases live in `accounts`.

use crate::accounts::create_admin::{self, AdminOutcome};
use crate::accounts::signing_keys::Keyring;
use crate::accounts::{seeding, token::SecretToken};
use crate::config::{self, Settings};
use crate::db;
use crate::domain::{Email, Username};
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
    /// Add N fake accounts (seed_000001...) to see how the admin panel copes with many.
    /// Their password is random and thrown away: nobody can log in as them.
    SeedUsers {
        #[arg(long)]
        count: u32,
    },
    /// Make a new access-token signing key the signing one. The old key stays published
    /// and keeps verifying until the tokens it signed have expired.
    RotateSigningKey,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Migrate => migrate().await,
        Command::CreateAdmin { username, email } => {
            create_admin(&username, &email, std::io::stdin().lock()).await
        }
        Command::SeedUsers { count } => seed_users(count).await,
        Command::RotateSigningKey => rotate_signing_key().await,
    }
}

async fn serve() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let bind = settings.bind_addr;
    let app = Application::build(settings).await?;
    tracing::info!(address = %bind, port = app.port(), "gatehouse is serving");
    app.run_until(crate::startup::terminated()).await.context("serving")
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
        create_admin::promote_or_create(&mut conn, &username, &email, &password, cost)
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

async fn seed_users(count: u32) -> anyhow::Result<()> {
    let url = config::database_url_from_env()?;
    let cost = config::bcrypt_cost_from_env()?;
    let (first, last) = actix_web::web::block(move || -> anyhow::Result<(String, String)> {
        // One hash for all of them, of a password nobody knows.
        let hash = bcrypt::hash(SecretToken::generate().expose(), cost).context("hashing a password")?;
        let mut conn = url.connect().with_context(|| format!("connecting to {url:?}"))?;
        db::run_pending(&mut conn)?;
        seeding::seed(&mut conn, count, &hash)
    })
    .await??;
    println!("seeded {count} accounts: {first} to {last}");
    Ok(())
}

async fn rotate_signing_key() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let db = db::Db::connect(&settings.database_url, 1, std::time::Duration::from_secs(10))?;
    db.run::<_, anyhow::Error>(db::run_pending).await.context("migrating the database")?;
    let keyring = Keyring::new(settings.secret_bytes(), settings.api.access_token_ttl);
    let kid = keyring.rotate(&db).await?;
    println!("new signing key {kid}; the previous one verifies until its tokens expire");
    Ok(())
}

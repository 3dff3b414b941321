//! The `reelshare` binary: parse the command line, load settings, and hand over to the
//! library. `serve` (the default) runs the server; `migrate` only brings the schema up to date.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::clock::SystemClock;
use server::settings::{CommandLineOverrides, LogFormat, Settings};

#[derive(Parser)]
#[command(
    name = "reelshare",
    version,
    about = "A self-hostable short-video platform server"
)]
struct Cli {
    /// Configuration file (TOML). Default: ./reelshare.toml if present.
    #[arg(long, global = true, env = "REELSHARE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long)]
        bind: Option<String>,
        /// Directory for the SQLite database and media.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve {
        bind: None,
        data_dir: None,
    });
    let overrides = match &command {
        Command::Serve { bind, data_dir } => CommandLineOverrides {
            bind: bind.clone(),
            data_dir: data_dir.clone(),
        },
        Command::Migrate { data_dir } => CommandLineOverrides {
            bind: None,
            data_dir: data_dir.clone(),
        },
    };
    let settings = Settings::load(cli.config.as_deref(), &overrides)?;
    init_logging(settings.log_format);
    match command {
        Command::Serve { .. } => {
            let bind = settings.bind;
            let state = server::build_state(settings, Arc::new(SystemClock)).await?;
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("binding {bind}"))?;
            server::run(listener, state, shutdown_signal()).await
        }
        Command::Migrate { .. } => {
            let db = store::Database::connect(&settings.database_url).await?;
            db.migrate().await?;
            println!("database is up to date");
            Ok(())
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutting down");
}

//! The `reelshare` binary: parse the command line, load settings, and hand over to the
//! library. `serve` (the default) runs the server; `worker` only processes queued uploads;
//! `migrate` only brings the schema up to date; `token` prints a bearer token for a creator.

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
        /// Serve HTTP without processing uploads (as `processing_workers = 0`); run
        /// `reelshare worker` processes beside it.
        #[arg(long)]
        no_workers: bool,
    },
    /// Process queued uploads without serving HTTP (scale-out: API nodes then run with
    /// `serve --no-workers`).
    Worker {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Also serve `/metrics` and `/health_check` (nothing else) on this address, e.g.
        /// 127.0.0.1:9101, so the worker's job series can be scraped. Default: no HTTP.
        #[arg(long, env = "REELSHARE_WORKER_METRICS_BIND")]
        metrics_bind: Option<std::net::SocketAddr>,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Issue a bearer token for an existing creator (e.g. 1, the seeded default creator) and
    /// print it once, on standard output.
    Token {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The creator (account) the token signs in as.
        #[arg(long)]
        creator_id: i64,
    },
    /// The revenue split: simulate, recompute the projection, close a period.
    Payout {
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        action: PayoutAction,
    },
    /// Compare the media store with the database: print objects with no video row and ready
    /// videos with no original; remove them only with `--apply`.
    Gc {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Delete the orphaned objects and mark videos missing their original failed.
        #[arg(long)]
        apply: bool,
    },
    /// Fill the instance with labelled synthetic creators, videos and engagement.
    Demo {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Seed of the random process (same seed, same data).
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 3)]
        creators: u32,
        #[arg(long, default_value_t = 3)]
        videos_per_creator: u32,
        /// Signed-in demo viewers (as many anonymous viewer ids are used too).
        #[arg(long, default_value_t = 20)]
        viewers: u32,
        /// Watches to generate.
        #[arg(long, default_value_t = 5000)]
        events: u32,
        /// Spread the watches over this many past days (within the open period).
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// Use the sample clips clip-a.mp4, clip-b.mp4 and clip-c.mp4 from this directory
        /// instead of making labelled test videos.
        #[arg(long, env = "REELSHARE_SAMPLE_MEDIA")]
        clips: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum PayoutAction {
    /// Score and split per-video records (a JSON array; `-` for standard input).
    Simulate { file: String },
    /// Solve the open period from the stored aggregates now and print it.
    Recompute {
        /// First recompute the open period's aggregates from the event log (a repair and
        /// audit: the output lists videos whose stored numbers differed). Blocks event
        /// writes while it runs.
        #[arg(long)]
        rebuild_aggregates: bool,
    },
    /// Freeze an ended period (YYYY-MM) into the ledger.
    Close {
        #[arg(long)]
        period: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve {
        bind: None,
        data_dir: None,
        no_workers: false,
    });
    let overrides = match &command {
        Command::Serve { bind, data_dir, .. } => CommandLineOverrides {
            bind: bind.clone(),
            data_dir: data_dir.clone(),
        },
        Command::Migrate { data_dir }
        | Command::Worker { data_dir, .. }
        | Command::Token { data_dir, .. }
        | Command::Payout { data_dir, .. }
        | Command::Gc { data_dir, .. }
        | Command::Demo { data_dir, .. } => CommandLineOverrides {
            bind: None,
            data_dir: data_dir.clone(),
        },
    };
    let mut settings = Settings::load(cli.config.as_deref(), &overrides)?;
    if let Command::Payout { action, .. } = command {
        // No logging: standard output is the JSON result.
        return payout(action, &settings).await;
    }
    if let Command::Token { creator_id, .. } = command {
        // No logging: standard output is the token.
        return token(&settings, creator_id).await;
    }
    if let Command::Gc { apply, .. } = command {
        // No logging: standard output is the report.
        return gc(settings, apply).await;
    }
    init_logging(settings.log_format);
    match command {
        Command::Serve { no_workers, .. } => {
            if no_workers {
                settings.processing_workers = 0;
            }
            let bind = settings.bind;
            let state = server::build_state(settings, Arc::new(SystemClock)).await?;
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("binding {bind}"))?;
            server::run(listener, state, shutdown_signal()).await
        }
        Command::Worker { metrics_bind, .. } => {
            settings.processing_workers = settings.processing_workers.max(1);
            let state = server::build_state(settings, Arc::new(SystemClock)).await?;
            if let Some(address) = metrics_bind {
                let listener = tokio::net::TcpListener::bind(address)
                    .await
                    .with_context(|| format!("binding {address}"))?;
                tokio::spawn(server::http::metrics::serve_alone(listener, state.clone()));
            }
            server::run_workers(state, shutdown_signal()).await
        }
        Command::Migrate { .. } => {
            let db = store::Database::connect(&settings.database_url).await?;
            db.migrate().await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Payout { .. } | Command::Token { .. } | Command::Gc { .. } => {
            unreachable!("handled above")
        }
        Command::Demo {
            seed,
            creators,
            videos_per_creator,
            viewers,
            events,
            days,
            clips,
            ..
        } => {
            let state = server::build_state(settings, Arc::new(SystemClock)).await?;
            let plan = server::demo::DemoPlan {
                seed,
                creators,
                videos_per_creator,
                viewers,
                events,
                days,
                clips,
            };
            let summary = server::demo::run(&state, &plan).await?;
            if summary == server::demo::DemoSummary::default() {
                println!("this seed's demo is already complete: nothing new was made");
            } else {
                println!("demo data made (every record is labelled demo): {summary:?}");
            }
            state.db.close().await;
            Ok(())
        }
    }
}

/// `reelshare gc [--apply]`: prints what is out of step; exit status 0 either way.
async fn gc(settings: Settings, apply: bool) -> anyhow::Result<()> {
    let db = store::Database::connect(&settings.database_url)
        .await
        .context("connecting to the database")?;
    db.migrate().await.context("migrating the database")?;
    let media = server::startup::open_media(&settings)?;
    let now = {
        use server::clock::Clock;
        SystemClock.now().as_micros()
    };
    let findings = server::gc::find(&db, &media, settings.orphan_grace, now).await?;
    println!("{findings}");
    if apply && !findings.is_clean() {
        server::gc::apply(&db, &media, &findings).await?;
        println!("removed: orphaned objects deleted, videos missing their original marked failed");
    } else if !findings.is_clean() {
        println!("nothing removed (run with --apply to remove)");
    }
    db.close().await;
    Ok(())
}

/// Runs a `payout` subcommand; errors print to standard error with exit status 2 for input
/// the user can fix, 1 otherwise.
async fn payout(action: PayoutAction, settings: &Settings) -> anyhow::Result<()> {
    use server::clock::Clock;
    use server::payout::cli;
    let now = SystemClock.now();
    let result = match action {
        PayoutAction::Simulate { file } => cli::run_simulate(&file, &settings.payout),
        PayoutAction::Recompute { rebuild_aggregates } => {
            cli::run_recompute(settings, now, rebuild_aggregates).await
        }
        PayoutAction::Close { period } => cli::run_close(settings, &period, now).await,
    };
    match result {
        Ok(json) => {
            println!("{json}");
            Ok(())
        }
        Err(error) => {
            eprintln!("reelshare payout: {error}");
            std::process::exit(error.exit_code());
        }
    }
}

/// Runs `token`: the token alone on standard output (for `TOKEN=$(reelshare token …)`), what
/// it is for on standard error; exit status 2 for an unknown creator.
async fn token(settings: &Settings, creator_id: i64) -> anyhow::Result<()> {
    match server::token_cli::issue(settings, creator_id, &SystemClock).await {
        Ok(issued) => {
            println!("{}", issued.token);
            eprintln!(
                "reelshare token: a bearer token for creator {} ({}), valid until {}; it is \
                 shown only this once. Send it as `Authorization: Bearer <token>`.",
                issued.creator_id,
                issued.name,
                server::http::timefmt::iso8601(issued.expires_at),
            );
            Ok(())
        }
        Err(error) => {
            eprintln!("reelshare token: {error}");
            std::process::exit(error.exit_code());
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

//! The keyfob binary: parses the command line, sets up logging, and opens the window.

use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context as _;
use clap::Parser;

use keyfob::app::KeyfobApp;
use keyfob::aws::AwsEnv;
use keyfob::clipboard::{ClipboardAccess, SystemClipboard};

/// Sign in to AWS with MFA and use the session at once.
///
/// With no arguments keyfob opens its window. It honours the AWS CLI's environment:
/// AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL.
/// Logs go to stderr; set KEYFOB_LOG (e.g. `debug`) for more. Secrets are never logged.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Print the milliseconds to the first painted frame and quit (startup benchmark).
    #[arg(long, hide = true)]
    exit_after_first_frame: bool,
}

fn main() -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    init_logging();
    run_gui(cli.exit_after_first_frame.then_some(started))
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KEYFOB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,winit=error,keyfob=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run_gui(startup_probe: Option<std::time::Instant>) -> anyhow::Result<()> {
    let icon =
        eframe::icon_data::from_png_bytes(keyfob::ICON_PNG).context("decoding the app icon")?;
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("keyfob")
            .with_app_id(keyfob::APP_ID)
            .with_inner_size([1000.0, 700.0])
            .with_min_inner_size([560.0, 420.0])
            .with_icon(icon),
        // No gradients to band; without dithering a software-rendered frame costs ~15 % less.
        dithering: false,
        ..Default::default()
    };
    eframe::run_native(
        "keyfob",
        options,
        Box::new(|cc| {
            let ctx = cc.egui_ctx.clone();
            let channels = keyfob::worker::spawn(
                AwsEnv::default(),
                Arc::new(move || ctx.request_repaint()),
                Arc::new(|| Box::new(SystemClipboard) as Box<dyn ClipboardAccess>),
            )?;
            let app = KeyfobApp::new(cc, channels, Arc::new(SystemTime::now));
            Ok(Box::new(match startup_probe {
                Some(started) => app.with_startup_probe(started),
                None => app,
            }))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the window could not be opened: {e}"))
}

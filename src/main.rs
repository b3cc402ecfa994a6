//! The keyfob binary: parses the command line, sets up logging, and opens the window.
#![warn(clippy::too_many_lines)] // as in src/lib.rs

use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

use keyfob::cli::{self, Format};
use keyfob::keystore::Keystore;

use keyfob::app::KeyfobApp;
use keyfob::aws::AwsEnv;
use keyfob::worker::Ports;

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
    #[command(subcommand)]
    command: Option<Cmd>,
}

/// Headless commands; they use the same sessions as the window (kept in the OS keyring).
#[derive(Debug, Subcommand)]
enum Cmd {
    /// Sign in with MFA from a terminal and keep the session in the OS keyring.
    ///
    /// The profile's settings (mfa_serial, role_arn, source_profile, external_id,
    /// role_session_name, duration_seconds, region) choose the flow, as in the window. A role is
    /// chained from a live cached MFA session of the same source without a new code.
    Signin {
        /// The profile in your AWS config.
        #[arg(long, env = "AWS_PROFILE")]
        profile: String,
        /// The six-digit code; asked for on the terminal when needed and not given.
        #[arg(long)]
        code: Option<String>,
    },
    /// Sign in through IAM Identity Center (AWS SSO) and keep the role's session in the OS keyring.
    ///
    /// The profile's sso_session (or legacy sso_start_url and sso_region), sso_account_id and
    /// sso_role_name say where. The sign-in is cached where `aws sso login` caches it
    /// (~/.aws/sso/cache), so the AWS CLI and SDKs use it as well; while it lasts (refreshed when
    /// it can be) no browser is needed. Without an account or role, lists those you may use.
    Sso {
        /// The profile in your AWS config.
        #[arg(long, env = "AWS_PROFILE")]
        profile: String,
        /// The account, instead of the profile's sso_account_id.
        #[arg(long)]
        account_id: Option<String>,
        /// The role, instead of the profile's sso_role_name.
        #[arg(long)]
        role_name: Option<String>,
        /// Print the approval page instead of opening it in the browser (for another device).
        #[arg(long)]
        no_browser: bool,
        /// Sign in again in the browser even when the cached sign-in is good.
        #[arg(long)]
        force: bool,
        /// Approve a code on any device instead of the browser coming back to this machine (a
        /// legacy profile, without sso_session, always does).
        #[arg(long)]
        use_device_code: bool,
    },
    /// Sign in with AWS Sign-In (as `aws login` does): the console sign-in in your browser, with
    /// your password and passkey, security key or authenticator code.
    ///
    /// The browser comes back to keyfob on 127.0.0.1; with --remote, open the page on any device
    /// and paste the code it shows. The sign-in is cached where the AWS CLI caches it
    /// (~/.aws/login/cache) and the profile gets `login_session`, so the AWS CLI and SDKs use it
    /// too. Its credentials last 15 minutes and are renewed for up to 12 hours.
    Login {
        /// The profile in your AWS config (made when missing).
        #[arg(long, env = "AWS_PROFILE", default_value = "default")]
        profile: String,
        /// The region to sign in to (written into the profile when it has none).
        #[arg(long)]
        region: Option<String>,
        /// No browser on this machine: show the page to open elsewhere and read its code.
        #[arg(long)]
        remote: bool,
        /// Print the page instead of opening it in the browser.
        #[arg(long)]
        no_browser: bool,
        /// How many minutes to wait for the browser.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60))]
        wait_minutes: u64,
    },
    /// Print the cached session's export lines (eval them in a shell), or write it into
    /// ~/.aws/credentials.
    Export {
        /// The session's name (the profile it was signed in with).
        #[arg(long, env = "AWS_PROFILE")]
        profile: String,
        /// The shell or file format.
        #[arg(long, value_enum, default_value = "bash")]
        format: Format,
        /// Write the session into the credentials file as this profile instead (a backup of the
        /// file is kept; other profiles are untouched).
        #[arg(long, value_name = "NAME")]
        write_profile: Option<String>,
        /// With --write-profile: allow replacing a profile that holds long-term keys.
        #[arg(long, requires = "write_profile")]
        replace_long_term_keys: bool,
    },
    /// Print the AWS credential_process JSON of the cached session.
    ///
    /// Put `credential_process = keyfob credential-process --profile P` in a profile of
    /// ~/.aws/config and the AWS CLI and SDKs use the MFA session. With no live session on a
    /// desktop, the keyfob window comes forward to ask for the code (or a small prompt opens when
    /// the window is not running); without a display (or with KEYFOB_PROMPT=0) it fails and says
    /// to sign in.
    CredentialProcess {
        /// The session's name (the profile it was signed in with).
        #[arg(long)]
        profile: String,
    },
    /// Run a command with the cached session.
    ///
    /// The session's variables go into the command's environment (as `export` prints them), and
    /// keyfob exits with the command's exit code. With --server the command gets a credential
    /// endpoint on 127.0.0.1 instead (the container-credentials protocol the AWS SDKs and CLI read),
    /// which always serves the session the keyring holds now: a long-running process keeps working
    /// across renewals.
    Exec {
        /// The session's name (the profile it was signed in with).
        #[arg(long, env = "AWS_PROFILE")]
        profile: String,
        /// Serve the credentials from a local endpoint instead of putting them in the environment.
        #[arg(long)]
        server: bool,
        /// The command and its arguments, after `--`.
        #[arg(last = true, value_name = "COMMAND")]
        command: Vec<std::ffi::OsString>,
    },
    /// Sign in to the AWS Management Console with the cached session, in your browser.
    ///
    /// A role session signs in with its own credentials; an MFA session token asks AWS for a
    /// federated console session with the long-term keys it was made from (GetFederationToken).
    /// The browser is BROWSER when set, else xdg-open (open on macOS).
    Console {
        /// The session's name (the profile it was signed in with).
        #[arg(long, env = "AWS_PROFILE")]
        profile: String,
        /// Print the sign-in URL instead of opening it. It is a secret: it signs whoever holds it
        /// in to the console for 15 minutes.
        #[arg(long)]
        print: bool,
    },
    /// List the cached sessions and their time left.
    Sessions,
    /// Work with S3 using a cached session.
    S3 {
        #[command(subcommand)]
        command: S3Cmd,
    },
    /// The small window a tool's credential-process opens to ask for a code (exit code 0: signed
    /// in and kept in the keyring; 1: cancelled).
    #[command(hide = true)]
    Prompt {
        /// The profile to sign in.
        #[arg(long)]
        profile: String,
        /// Who asks, as shown to the user.
        #[arg(long, default_value = "A program")]
        asker: String,
    },
    /// Forget a cached session.
    Signout {
        /// The session's name.
        #[arg(long, env = "AWS_PROFILE")]
        profile: String,
    },
    /// Print a completion script for your shell.
    ///
    /// For example `keyfob completions bash > ~/.local/share/bash-completion/completions/keyfob`;
    /// the .deb and .rpm packages install them for bash, zsh and fish.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (keyfob.1 and one per command, e.g. keyfob-signin.1) into a
    /// directory, as the packages install them (`man keyfob`).
    #[command(hide = true)]
    Man {
        /// The directory to write them into.
        dir: std::path::PathBuf,
    },
}

/// The S3 commands.
#[derive(Debug, Subcommand)]
enum S3Cmd {
    /// Make an S3 folder match a local one, or a local folder match an S3 one.
    ///
    /// One end is a folder, the other an S3 location (s3://bucket/folder/); files go from SRC to
    /// DST. Both are compared first (size and modification time, or with --checksum the content)
    /// and the plan is printed: new, changed, and only at the destination. Nothing is deleted
    /// unless --delete is given. Then keyfob asks before it starts (or goes ahead with --yes).
    /// Uploads and downloads are conditional (If-None-Match / If-Match on the ETag compared, and
    /// the local file checked before it is replaced), and a deletion checks first: a file changed
    /// meanwhile by someone else is reported and left as it is. Symbolic links are not followed,
    /// and what is under one in S3 is left alone.
    Sync {
        /// Where the files come from: a folder, or s3://bucket/folder/.
        src: String,
        /// Where they go: s3://bucket/folder/, or a folder.
        dst: String,
        /// The session's name (the profile it was signed in with).
        #[arg(long, env = "AWS_PROFILE")]
        profile: String,
        /// Compare files of the same size by content (the object's checksum or ETag against the
        /// file's) instead of by modification time.
        #[arg(long)]
        checksum: bool,
        /// Delete what is only at the destination.
        #[arg(long)]
        delete: bool,
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Run the plan without asking.
        #[arg(long, short)]
        yes: bool,
    },
}

/// `keyfob s3 …` on a runtime with a thread per core: files are hashed and moved in parallel.
fn run_s3(ctx: &cli::Ctx, cmd: S3Cmd) -> anyhow::Result<u8> {
    let S3Cmd::Sync {
        src,
        dst,
        profile,
        checksum,
        delete,
        dry_run,
        yes,
    } = cmd;
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let ask: Option<&mut dyn std::io::BufRead> =
        std::io::IsTerminal::is_terminal(&stdin).then_some(&mut input);
    Ok(runtime.block_on(cli::s3_sync(
        ctx,
        &profile,
        (&src, &dst),
        cli::SyncOptions {
            checksum,
            delete,
            dry_run,
            yes,
        },
        ask,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr(),
    )))
}

fn main() -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    init_logging();
    tracing::debug!(version = env!("CARGO_PKG_VERSION"), "keyfob starting");
    match cli.command {
        None => run_gui(cli.exit_after_first_frame.then_some(started)).map(|()| ExitCode::SUCCESS),
        Some(cmd) => Ok(ExitCode::from(run_command(cmd)?)),
    }
}

/// The sign-ins that happen in the browser: IAM Identity Center and AWS Sign-In.
async fn browser_sign_in(
    ctx: &cli::Ctx,
    cmd: Cmd,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> u8 {
    match cmd {
        Cmd::Sso {
            profile,
            account_id,
            role_name,
            no_browser,
            force,
            use_device_code,
        } => {
            cli::sso(
                ctx,
                &profile,
                cli::SsoOptions {
                    account_id: account_id.as_deref(),
                    role_name: role_name.as_deref(),
                    open_browser: !no_browser,
                    force,
                    use_device_code,
                },
                out,
                err,
            )
            .await
        }
        Cmd::Login {
            profile,
            region,
            remote,
            no_browser,
            wait_minutes,
        } => {
            cli::login(
                ctx,
                &profile,
                cli::LoginOptions {
                    region: region.as_deref(),
                    remote,
                    open_browser: !no_browser,
                    wait: std::time::Duration::from_secs(wait_minutes * 60),
                },
                &mut std::io::stdin().lock(),
                out,
                err,
            )
            .await
        }
        _ => unreachable!("only browser sign-ins are sent here"),
    }
}

fn run_command(cmd: Cmd) -> anyhow::Result<u8> {
    // These two touch neither the keyring nor AWS.
    let cmd = match cmd {
        Cmd::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "keyfob", &mut std::io::stdout());
            return Ok(0);
        }
        Cmd::Man { dir } => {
            let command = <Cli as clap::CommandFactory>::command().name("keyfob");
            clap_mangen::generate_to(command, &dir)
                .with_context(|| format!("writing the manual pages into {}", dir.display()))?;
            return Ok(0);
        }
        cmd => cmd,
    };
    let ctx = cli::Ctx {
        env: AwsEnv::default(),
        keystore: Keystore::platform(),
    };
    let mut out = std::io::stdout().lock();
    // Not locked for the whole command: the log writes to stderr too, from other threads (zbus's
    // executor logs at trace level while the keyring call here waits for it), and would wait for
    // the lock forever. Each message locks it for its own write.
    let mut err = std::io::stderr();
    Ok(match cmd {
        Cmd::Signin { profile, code } => runtime()?.block_on(cli::signin(
            &ctx,
            &profile,
            code.as_deref(),
            &mut out,
            &mut err,
        )),
        cmd @ (Cmd::Sso { .. } | Cmd::Login { .. }) => {
            runtime()?.block_on(browser_sign_in(&ctx, cmd, &mut out, &mut err))
        }
        Cmd::Export {
            profile,
            format,
            write_profile,
            replace_long_term_keys,
        } => cli::export(
            &ctx,
            &profile,
            format,
            write_profile.as_deref(),
            replace_long_term_keys,
            &mut out,
            &mut err,
        ),
        Cmd::CredentialProcess { profile } => {
            runtime()?.block_on(cli::credential_process(&ctx, &profile, &mut out, &mut err))
        }
        Cmd::Exec {
            profile,
            server,
            command,
        } => runtime()?.block_on(cli::exec(&ctx, &profile, &command, server, &mut err)),
        Cmd::Console { profile, print } => {
            runtime()?.block_on(cli::console(&ctx, &profile, print, &mut out, &mut err))
        }
        Cmd::Sessions => cli::sessions(&ctx, &mut out, &mut err),
        Cmd::S3 { command } => {
            drop(out);
            run_s3(&ctx, command)?
        }
        Cmd::Prompt { profile, asker } => run_prompt(ctx, profile, asker)?,
        Cmd::Signout { profile } => cli::signout(&ctx, &profile, &mut out, &mut err),
        Cmd::Completions { .. } | Cmd::Man { .. } => 0, // answered above
    })
}

/// The commands' runtime: one thread is enough for one STS call at a time.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// The log filter when KEYFOB_LOG is unset.
const DEFAULT_LOG: &str = "warn,winit=error,keyfob=info";

fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    // KEYFOB_LOG is a level, or targets with levels: `debug`, `warn,keyfob=debug`. (The filter
    // without regular expressions: a regex engine took 300 KB of the binary for this one knob.)
    let asked = std::env::var("KEYFOB_LOG").ok().filter(|v| !v.is_empty());
    let parsed = asked
        .as_deref()
        .map(str::parse::<tracing_subscriber::filter::Targets>);
    let (targets, bad) = match parsed {
        Some(Ok(targets)) => (targets, None),
        Some(Err(e)) => (default_targets(), Some(e)),
        None => (default_targets(), None),
    };
    tracing_subscriber::fmt()
        // Every level reaches the targets filter, which decides (the builder alone stops at info).
        .with_max_level(tracing::level_filters::LevelFilter::TRACE)
        .with_writer(std::io::stderr)
        // Colours for a terminal only: a log piped to a file or a tool stays plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .finish()
        .with(targets)
        .init();
    if let Some(e) = bad {
        tracing::warn!("KEYFOB_LOG is not a log filter ({e}); logging with {DEFAULT_LOG}");
    }
}

fn default_targets() -> tracing_subscriber::filter::Targets {
    DEFAULT_LOG.parse().unwrap_or_default()
}

/// `keyfob prompt`: the code window; its exit code is the outcome.
fn run_prompt(ctx: cli::Ctx, profile: String, asker: String) -> anyhow::Result<u8> {
    let outcome = Arc::new(std::sync::atomic::AtomicU8::new(
        cli::prompt::PROMPT_CANCELLED,
    ));
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(format!("keyfob — code for {profile}"))
            .with_app_id(keyfob::APP_ID)
            .with_inner_size([460.0, 230.0])
            .with_resizable(false)
            .with_active(true),
        persist_window: false,
        dithering: false,
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    let shared = Arc::clone(&outcome);
    eframe::run_native(
        "keyfob-prompt",
        options,
        Box::new(move |cc| {
            let app = keyfob::prompt::PromptApp::new(&cc.egui_ctx, ctx, profile, asker, shared);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the prompt window could not be opened: {e}"))?;
    Ok(outcome.load(std::sync::atomic::Ordering::SeqCst))
}

/// Where this window listens for tools, unless another keyfob window already does: then that one
/// is brought forward and this start ends (`None`).
fn claim_tool_socket() -> Option<Option<std::path::PathBuf>> {
    let dir = match keyfob::ipc::runtime_dir() {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("tools cannot ask this window for codes: {e}");
            return Some(None);
        }
    };
    let wait = std::time::Duration::from_secs(5);
    match keyfob::ipc::ask_window(&dir, &keyfob::ipc::Request::Show, wait) {
        Ok(_) => None,
        Err(_) => Some(Some(keyfob::ipc::window_socket(&dir))),
    }
}

fn run_gui(startup_probe: Option<std::time::Instant>) -> anyhow::Result<()> {
    let Some(tool_socket) = claim_tool_socket() else {
        tracing::info!("keyfob is already running: its window was brought forward");
        return Ok(());
    };
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
        // glow, also in a build where the tests' snapshot renderer (wgpu) is compiled in.
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    // Set once the window exists: an error after that is a lost display connection, not a window
    // that never opened.
    let opened = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let opened_in_app = Arc::clone(&opened);
    eframe::run_native(
        "keyfob",
        options,
        Box::new(move |cc| {
            opened_in_app.store(true, std::sync::atomic::Ordering::SeqCst);
            let ctx = cc.egui_ctx.clone();
            let mut ports = Ports::desktop(Arc::new(move || ctx.request_repaint()));
            ports.tool_socket = tool_socket;
            let clock = Arc::clone(&ports.clock);
            // The keystore is opened on the worker's keyring thread (D-Bus, the Secret Service):
            // the first frame waits for neither.
            let open = Box::new(Keystore::platform);
            let channels = keyfob::worker::spawn_opening(AwsEnv::default(), open, ports)?;
            let (tray_tx, tray_rx) = std::sync::mpsc::channel();
            let ctx = cc.egui_ctx.clone();
            let wake = Arc::new(move || ctx.request_repaint());
            let tray = keyfob::tray::start(tray_tx, wake, Arc::clone(&clock));
            let app = KeyfobApp::new(cc, channels, clock);
            let app = match tray {
                Some(tray) => app.with_tray(tray, tray_rx),
                None => app,
            };
            Ok(Box::new(match startup_probe {
                Some(started) => app.with_startup_probe(started),
                None => app,
            }))
        }),
    )
    .map_err(|e| window_error(opened.load(std::sync::atomic::Ordering::SeqCst), &e))
}

/// What the user reads when the window's event loop ends in an error: before the window opened it
/// could not be opened; after, the window system dropped the connection (on Wayland a protocol
/// error is fatal to the whole connection; see the README's Wayland section). Sessions are
/// written to the keyring when they are made (unless it is unavailable), so the next start
/// restores them.
fn window_error(opened: bool, e: &eframe::Error) -> anyhow::Error {
    if opened {
        anyhow::anyhow!(
            "the connection to the window system was lost ({e}); sessions saved in the \
             keyring come back when keyfob starts again"
        )
    } else {
        anyhow::anyhow!("the window could not be opened: {e}")
    }
}

#[cfg(test)]
mod tests {
    use super::window_error;

    #[test]
    fn an_error_after_the_window_opened_is_a_lost_connection() {
        let e = || eframe::Error::AppCreation("Exit Failure: 1".into());
        let after = window_error(true, &e()).to_string();
        assert!(
            after.starts_with("the connection to the window system was lost"),
            "{after}"
        );
        assert!(
            after.contains("Exit Failure: 1") && after.contains("keyring"),
            "{after}"
        );
        let before = window_error(false, &e()).to_string();
        assert!(
            before.starts_with("the window could not be opened"),
            "{before}"
        );
    }
}

//! keyfob: sign in to AWS with MFA and use the session at once.
//!
//! Data flows one way: UI → [`message::Command`] → [`worker`] → [`message::Event`] →
//! [`state::AppState::apply`] → UI. The UI never waits on the network; time is always passed in.

// A function that does not fit on a screen is split by meaning (see README, "How the code is
// laid out"); clippy.toml sets the bound at 79 lines. Only keyfob's own code: a test may read
// top to bottom.
#![warn(clippy::too_many_lines)]

pub mod app;
pub mod aws;
pub mod cli;
pub mod clipboard;
pub mod clock;
pub mod credfile;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(unix)]
pub mod ipc;
pub mod keystore;
pub mod listing;
pub mod message;
pub mod notice;
pub mod oath;
pub mod opener;
pub mod os;
#[cfg(unix)]
pub mod prompt;
pub mod secret;
pub mod session;
pub mod signin;
pub mod state;
pub mod tray;
pub mod ui;
pub mod validate;
pub mod worker;

/// The application id: window class on X11/Wayland, the .desktop file's name, the AppStream id.
pub const APP_ID: &str = "io.github.keyfob.Keyfob";

/// The app icon (256 px PNG), used as the window icon.
pub const ICON_PNG: &[u8] = include_bytes!("../assets/icon-256.png");

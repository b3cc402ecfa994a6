//! The window driven through egui_kittest by AccessKit role and label: profiles fill the form,
//! every bad input shows its message and sends nothing, sign-in, the countdown at injected times,
//! export copying and clipboard clearing, failures, stale answers, sign-out, the keyring, the S3
//! browser, and no secret in the accessibility tree, `Debug` output or the persistence file.
//!
//! The worker is replaced by channels here (the test plays the worker, see `rig`), except in
//! `sign_in::the_ui_stays_responsive_while_a_server_hangs`, which runs the real worker.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;

mod rig;

mod browser;
mod browser_sign_in;
mod bucket;
mod console;
mod keyring;
mod props;
mod reach;
mod renewal;
mod sessions;
mod sign_in;
mod snapshots;
mod sync;
mod tools;
mod window;
mod yubikey;

//! Drawing: one file per panel, each `fn …_ui(ui, &mut state, now)` returning what the user asked
//! for. No I/O and no waiting here.

pub mod browser;
pub mod keys;
pub mod session;
pub mod sign_in;

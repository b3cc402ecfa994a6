//! The worker's console sign-in: the session's sign-in URL (GetFederationToken first for an MFA
//! session token, its keyring keys read on the keyring's thread), opened in the browser on a
//! blocking thread, once the browser is known to exist. The URL never leaves this task: the window
//! hears only that it was opened.

use std::sync::Arc;

use tokio::runtime::Runtime;

use super::context::Ctx;
use super::ports::Send_;
use crate::aws::SourceCredentials;
use crate::aws::console::{self, ConsoleError, Route};
use crate::aws::errors::{AwsError, ErrorKind};
use crate::keystore;
use crate::message::Event;
use crate::session::Session;

/// Opens the AWS console for `session`; refused once the session has ended (before any request,
/// and again before the browser opens) and, before any request, when there is no browser.
pub(super) fn open(rt: &Runtime, ctx: &Ctx, send: &Send_, session: Box<Session>) {
    let (env, send, lane) = (Arc::clone(&ctx.env), Arc::clone(send), ctx.lane.clone());
    let (clock, browser) = (Arc::clone(&ctx.clock), Arc::clone(&ctx.browser));
    // A sign-out while the URL is made ends the lease: the URL is then never opened.
    let lease = ctx.leases.take(&session.creds());
    rt.spawn(async move {
        let result = async {
            if session.is_expired(clock()) {
                return Err(ConsoleError::Expired);
            }
            let mut route = console::route(&session, clock())?;
            // The sign-in URL is a secret: not made when no browser could take it.
            browser.check()?;
            if let Route::Federation { keys } = &mut route
                && matches!(keys, SourceCredentials::Keyring(_))
            {
                let source = keys.clone();
                *keys = lane
                    .call(move |k| keystore::resolve_source(k.ok(), &source))
                    .await
                    .ok_or_else(|| {
                        AwsError::new(ErrorKind::Other, "the keyring thread stopped")
                    })??;
            }
            let url = console::signin_url(&env, &session, route, clock()).await?;
            if session.is_expired(clock()) {
                return Err(ConsoleError::Expired);
            }
            if lease.ended().is_some() {
                let stopped = crate::session::signed_out_sentence(&session.name);
                return Err(AwsError::new(ErrorKind::Other, stopped).into());
            }
            tokio::task::spawn_blocking(move || browser.open(&url))
                .await
                .map_err(|_| AwsError::new(ErrorKind::Other, "the browser's thread failed"))??;
            Ok(())
        }
        .await;
        send(Event::ConsoleOpened(result));
    });
}

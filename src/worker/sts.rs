//! The worker's STS side: profiles, sign-in (with keyring keys read first) and MFA detection, as
//! jobs where a newer request replaces the running one.

use std::sync::Arc;

use tokio::runtime::Runtime;

use super::context::Ctx;
use super::jobs::JobKind;
use super::ports::Send_;
use crate::aws::errors::{AwsError, ErrorKind};
use crate::aws::sts::{Flow, SignInRequest};
use crate::aws::{SourceCredentials, cached_sign_in, profiles, sts};
use crate::keystore;
use crate::message::{Event, RequestId};
use crate::session::Session;

pub(super) fn load_profiles(rt: &Runtime, ctx: &Ctx, send: &Send_) {
    let (env, send) = (Arc::clone(&ctx.env), Arc::clone(send));
    rt.spawn(async move {
        send(Event::Profiles(profiles::load(&env.profile_files).await));
    });
}

/// Signs in; keys kept in the keyring are read (on the keyring's thread) just before the call. A
/// role chained from an MFA session that has ended by the worker's clock is refused unsent.
pub(super) fn sign_in(
    rt: &Runtime,
    ctx: &Ctx,
    send: &Send_,
    id: RequestId,
    mut request: Box<SignInRequest>,
) {
    let (env, send, lane) = (Arc::clone(&ctx.env), Arc::clone(send), ctx.lane.clone());
    let parent = parent_live(&request, (ctx.clock)());
    let task = async move {
        let result = async {
            parent?;
            if matches!(request.source, SourceCredentials::Keyring(_)) {
                let source = request.source.clone();
                request.source = lane
                    .call(move |k| keystore::resolve_source(k.ok(), &source))
                    .await
                    .ok_or_else(|| {
                        AwsError::new(ErrorKind::Other, "the keyring thread stopped")
                    })??;
            }
            sts::sign_in(&env, &request).await.map(Box::new)
        }
        .await;
        send(Event::SignedIn { id, result });
    };
    ctx.jobs
        .spawn(rt.handle(), id, JobKind::SignIn, None, task, |_| {});
}

/// What a browser sign-in is handed for when it needs the browser (see [`waiting`]).
type Waiter = Box<dyn FnOnce(cached_sign_in::Waiting) + Send>;

/// Runs work that may need the browser (a sign-in, a listing through IAM Identity Center) as the
/// sign-in job: a new sign-in or Cancel stops it (and closes its loopback listener). `work` gets
/// the AWS settings and the [`Waiter`], and makes the event that answers.
fn browser_job<F, Fut>(rt: &Runtime, ctx: &Ctx, send: &Send_, id: RequestId, work: F)
where
    F: FnOnce(Arc<crate::aws::AwsEnv>, Waiter) -> Fut + Send + 'static,
    Fut: Future<Output = Event> + Send + 'static,
{
    let env = Arc::clone(&ctx.env);
    let waiter: Waiter = Box::new(waiting(send, &ctx.browser, id));
    let send = Arc::clone(send);
    let task = async move {
        let event = work(env, waiter).await;
        send(event);
    };
    ctx.jobs
        .spawn(rt.handle(), id, JobKind::SignIn, None, task, |_| {});
}

/// What a browser sign-in does when it needs the browser: tells the window the page (and code),
/// and opens the page with the worker's browser (on a thread of its own: the opener waits a moment
/// to see the browser start). A browser that will not start is only logged: the page is on screen.
fn waiting(
    send: &Send_,
    browser: &Arc<dyn super::ports::UrlOpener>,
    id: RequestId,
) -> impl FnOnce(cached_sign_in::Waiting) + Send + use<> {
    let (send, browser) = (Arc::clone(send), Arc::clone(browser));
    move |w| {
        let url = crate::secret::Secret::new(w.url.clone());
        send(Event::BrowserWaiting { id, waiting: w });
        std::thread::spawn(move || {
            if let Err(e) = browser.open(&url) {
                tracing::warn!("could not open the browser: {e}");
            }
        });
    }
}

/// Signs `profile` in through the browser (or from its cached sign-in).
pub(super) fn browser_sign_in(
    rt: &Runtime,
    ctx: &Ctx,
    send: &Send_,
    id: RequestId,
    profile: String,
) {
    browser_job(rt, ctx, send, id, move |env, waiting| async move {
        let result = cached_sign_in::sign_in_in_browser(&env, &profile, waiting)
            .await
            .map(Box::new);
        Event::SignedIn { id, result }
    });
}

/// Signs in with AWS Sign-In as a profile (made when missing).
pub(super) fn login_as_profile(
    rt: &Runtime,
    ctx: &Ctx,
    send: &Send_,
    id: RequestId,
    profile: String,
    region: String,
) {
    browser_job(rt, ctx, send, id, move |env, waiting| async move {
        let result = cached_sign_in::login_as_profile(&env, &profile, &region, waiting)
            .await
            .map(Box::new);
        Event::SignedIn { id, result }
    });
}

/// Lists the accounts (or an account's roles) of an IAM Identity Center profile.
pub(super) fn sso_choices(
    rt: &Runtime,
    ctx: &Ctx,
    send: &Send_,
    id: RequestId,
    profile: String,
    account_id: Option<String>,
) {
    browser_job(rt, ctx, send, id, move |env, waiting| async move {
        let result =
            cached_sign_in::sso_choices(&env, &profile, account_id.as_deref(), waiting).await;
        Event::SsoChoices { id, result }
    });
}

/// Signs in as a chosen role through an IAM Identity Center profile.
pub(super) fn sso_role(
    rt: &Runtime,
    ctx: &Ctx,
    send: &Send_,
    id: RequestId,
    profile: String,
    (account_id, role): (String, String),
) {
    browser_job(rt, ctx, send, id, move |env, waiting| async move {
        let result = cached_sign_in::sso_role(&env, &profile, (&account_id, &role), waiting)
            .await
            .map(Box::new);
        Event::SignedIn { id, result }
    });
}

/// Writes a chosen account and role as a profile of their own.
pub(super) fn save_sso_profile(
    rt: &Runtime,
    ctx: &Ctx,
    send: &Send_,
    id: RequestId,
    (from, name): (String, String),
    (account_id, role): (String, String),
) {
    let (env, send) = (Arc::clone(&ctx.env), Arc::clone(send));
    rt.spawn(async move {
        let result = cached_sign_in::save_sso_profile(&env, &from, &name, (&account_id, &role))
            .await
            .map(|()| name);
        send(Event::SsoProfileSaved { id, result });
    });
}

/// Chains a fresh role session from the request's MFA session, unless that session has ended by
/// the worker's clock (expiry is enforced where credentials are used).
pub(super) fn renew(rt: &Runtime, ctx: &Ctx, send: &Send_, request: Box<SignInRequest>) {
    let (env, send) = (Arc::clone(&ctx.env), Arc::clone(send));
    let name = request.name.clone();
    let result = match &request.flow {
        Flow::Chained { .. } => parent_live(&request, (ctx.clock)()),
        _ => Err(AwsError::new(
            ErrorKind::Other,
            "Only a role chained from an MFA session renews itself",
        )),
    };
    if let Err(e) = result {
        send(Event::Renewed {
            name,
            result: Err(e),
        });
        return;
    }
    rt.spawn(async move {
        let result = sts::sign_in(&env, &request).await.map(Box::new);
        send(Event::Renewed { name, result });
    });
}

/// A fresh session from a browser sign-in's cache (AWS Sign-In, IAM Identity Center), in the
/// place of `session`.
pub(super) fn renew_from_cache(rt: &Runtime, ctx: &Ctx, send: &Send_, session: Session) {
    let (env, send) = (Arc::clone(&ctx.env), Arc::clone(send));
    rt.spawn(async move {
        let result = cached_sign_in::renew(&env, &session).await.map(Box::new);
        send(Event::Renewed {
            name: session.name,
            result,
        });
    });
}

/// Whether the MFA session a chained request is signed by is still live at `now` (any other
/// request has none to check).
fn parent_live(request: &SignInRequest, now: std::time::SystemTime) -> Result<(), AwsError> {
    match &request.flow {
        Flow::Chained { parent, .. } if parent.is_expired(now) => {
            let message =
                "The MFA session behind it has ended: sign in with a new code to renew it";
            Err(AwsError::new(ErrorKind::Expired, message))
        }
        _ => Ok(()),
    }
}

/// Asks the YubiKey for a code on a blocking thread (`ykman` waits for a touch). A cancelled
/// request's answer is dropped; ykman itself stops at its touch timeout.
pub(super) fn key_code(rt: &Runtime, ctx: &Ctx, send: &Send_, id: RequestId, account: String) {
    let send = Arc::clone(send);
    let task = async move {
        let timeout = crate::oath::touch_timeout();
        let asked = tokio::task::spawn_blocking(move || crate::oath::code(&account, timeout));
        let result = asked.await.unwrap_or_else(|e| {
            Err(crate::oath::OathError::Failed(format!(
                "the key's thread stopped: {e}"
            )))
        });
        send(Event::KeyCode { id, result });
    };
    ctx.jobs
        .spawn(rt.handle(), id, JobKind::KeyCode, None, task, |_| {});
}

pub(super) fn detect_mfa(
    rt: &Runtime,
    ctx: &Ctx,
    send: &Send_,
    id: RequestId,
    source: SourceCredentials,
    region: Option<String>,
) {
    let (env, send) = (Arc::clone(&ctx.env), Arc::clone(send));
    let task = async move {
        let result = sts::detect_mfa(&env, &source, region.as_deref()).await;
        send(Event::MfaDetected { id, result });
    };
    ctx.jobs
        .spawn(rt.handle(), id, JobKind::Detect, None, task, |_| {});
}

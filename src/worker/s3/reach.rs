//! The bucket list a page at a time: waits out the filter's typing on the runtime (a newer query
//! cancels the waiting one), says where the calls go, then asks for one page.

use std::sync::Arc;
use std::time::Duration;

use super::Task;
use crate::aws::s3::{self, BucketQuery};
use crate::message::{BrowseEvent, Event, RequestId};
use crate::session::SessionCreds;

pub(super) async fn bucket_page(
    t: Task,
    id: RequestId,
    creds: SessionCreds,
    query: BucketQuery,
    delay: Duration,
) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let send = Arc::clone(&t.send);
    let profile = creds.profile.as_deref();
    if query.token.is_none() {
        let (settings, _) = s3::endpoint::settings(&t.env, profile).await;
        send(Event::Browse(BrowseEvent::Endpoint(
            settings.custom_endpoint,
        )));
    }
    let result = match creds.live_at((t.clock)()) {
        Some(c) => {
            let client = t.s3.get_in(&t.env, c, None, profile).await;
            s3::list_bucket_page(&client, &query).await
        }
        None => Err(super::expired()),
    };
    send(Event::Browse(BrowseEvent::BucketPage { id, result }));
}

//! The network dropping in the middle of a folder's listing, through the browser's state and the
//! real worker against a real moto_server: the first page arrives, the connection carrying the
//! second page's answer is cut after a few hundred bytes (every retry too), and the browser keeps
//! the rows it had with the token to continue from, shows one readable sentence, and Continue
//! picks up where it stopped once the network is back (every key once, in S3's order).
//!
//! A loopback proxy in front of moto cuts the connection: moto cannot drop one mid-answer. The
//! proxy passes every other request through untouched (one request per connection).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use common::Moto;
use keyfob::aws::AwsEnv;
use keyfob::aws::errors::ErrorKind;
use keyfob::keystore::KeystoreError;
use keyfob::message::{Event, Outbox};
use keyfob::secret::Secret;
use keyfob::session::{Credentials, SessionKind};
use keyfob::state::browser::Browser;
use keyfob::worker::{Channels, Ports};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use common::fixtures;

/// A proxy on 127.0.0.1 in front of `upstream` that, while `cutting` is set, answers a listing's
/// later pages (a ListObjectsV2 with a continuation token) with only the first `keep` bytes of
/// moto's answer and then closes the connection. It counts the answers it cut.
struct CuttingProxy {
    url: String,
    cutting: Arc<AtomicBool>,
    cut: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The request's head and body (Content-Length), as read from the client.
async fn read_request(sock: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Some(buf);
            }
        }
    }
}

/// The request with `Connection: close` in place of any connection header: one request per
/// connection, so the answer ends where moto closes.
fn one_shot(request: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(request);
    let end = text.find("\r\n\r\n").unwrap();
    let mut head: Vec<&str> = text[..end]
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    head.push("Connection: close");
    let mut out = head.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(&request[end + 4..]);
    out
}

impl CuttingProxy {
    async fn start(upstream: u16, keep: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let cutting = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(AtomicUsize::new(0));
        let (cutting2, cut2) = (Arc::clone(&cutting), Arc::clone(&cut));
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                let (cutting, cut) = (Arc::clone(&cutting2), Arc::clone(&cut2));
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut client).await else {
                        return;
                    };
                    let line = String::from_utf8_lossy(&request)
                        .lines()
                        .next()
                        .unwrap_or("")
                        .to_owned();
                    let later_page =
                        line.contains("list-type=2") && line.contains("continuation-token=");
                    let cut_this = later_page && cutting.load(Ordering::SeqCst);
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                        return;
                    };
                    if server.write_all(&one_shot(&request)).await.is_err() {
                        return;
                    }
                    let mut answer = Vec::new();
                    let _ = server.read_to_end(&mut answer).await;
                    if cut_this {
                        assert!(answer.len() > keep, "the page is longer than the cut");
                        cut.fetch_add(1, Ordering::SeqCst);
                        let _ = client.write_all(&answer[..keep]).await;
                        // Closed mid-answer: what a dropped connection looks like to the client.
                        drop(client);
                    } else {
                        let _ = client.write_all(&answer).await;
                        let _ = client.shutdown().await;
                    }
                });
            }
        });
        Self {
            url,
            cutting,
            cut,
            task,
        }
    }
}

/// Sends the browser's commands to the worker and hands it the worker's browsing events until
/// its listing has ended (all pages, or a failure).
fn run_listing(browser: &mut Browser, out: &mut Outbox, ch: &Channels) {
    loop {
        for command in out.take().0 {
            ch.commands.send(command).unwrap();
        }
        if browser.list_id.is_none() && browser.buckets_id.is_none() {
            return;
        }
        match ch.events.recv_timeout(Duration::from_secs(60)) {
            Ok(Event::Browse(e)) => browser.apply(e, out),
            Ok(_) => {}
            Err(e) => panic!("no event from the worker in 60 s: {e}"),
        }
    }
}

#[test]
fn the_network_dropping_mid_listing_keeps_the_rows_listed_and_continue_resumes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let moto = Moto::start();
    let creds = Credentials {
        access_key_id: "AKIANETWORKDROP00001".into(),
        secret_access_key: Secret::new("network-drop-secret"),
        session_token: None,
    };
    // 250 keys: pages of 100, 100 and 50.
    let keys: Vec<String> = (0..250).map(|i| format!("logs/{i:04}.txt")).collect();
    rt.block_on(async {
        let client = keyfob::aws::s3::client(&moto.env(), &creds, Some("us-east-1")).await;
        client.create_bucket().bucket("drop").send().await.unwrap();
        for k in &keys {
            client
                .put_object()
                .bucket("drop")
                .key(k)
                .body(b"x".to_vec().into())
                .send()
                .await
                .unwrap();
        }
    });
    let proxy = rt.block_on(CuttingProxy::start(moto.port, 600));
    let env = AwsEnv {
        endpoint_url: Some(proxy.url.clone()),
        ..moto.env()
    };
    let ch = keyfob::worker::spawn(
        env,
        Err(KeystoreError::Unavailable("not used here".into())),
        Ports::headless(),
    )
    .unwrap();

    let now = SystemTime::now();
    let mut session = fixtures::session(
        "drop",
        SessionKind::SessionToken { mfa: true },
        now,
        now + Duration::from_secs(3600),
    );
    session.credentials = creds;
    let mut browser = Browser::new();
    browser.page_size = Some(100);
    let mut out = Outbox::default();
    browser.sync(Some(&session), &mut out);
    browser.open_bucket(&mut out, "drop");
    browser.open_prefix(&mut out, "logs/");
    run_listing(&mut browser, &mut out, &ch);

    // The first page is kept, with the token to go on from, and the failure is one sentence.
    assert!(
        proxy.cut.load(Ordering::SeqCst) >= 1,
        "no answer was cut: the fault did not happen"
    );
    assert_eq!(browser.listing.len(), 100, "the rows of the first page");
    assert_eq!(browser.view.len(), 100, "and they are shown");
    assert!(!browser.complete);
    assert!(browser.next_token.is_some(), "Continue has a token");
    let error = browser.error.clone().expect("the failure is shown");
    assert_eq!(error.kind, ErrorKind::Unreachable, "{error:?}");
    assert!(!error.message.is_empty() && !error.message.contains('\n'));
    assert!(
        !error.message.contains("dispatch") && !error.message.contains("hyper"),
        "a sentence, not the SDK's chain: {}",
        error.message
    );
    assert!(
        !error.message.contains("network-drop-secret") && !error.detail.contains("network-drop"),
        "no secret in the error"
    );

    // The network is back: Continue lists the rest, every key once and in order.
    proxy.cutting.store(false, Ordering::SeqCst);
    browser.continue_listing(&mut out);
    run_listing(&mut browser, &mut out, &ch);
    assert!(browser.error.is_none(), "{:?}", browser.error);
    assert!(browser.complete);
    let listed: Vec<String> = (0..browser.listing.len())
        .map(|i| browser.listing.key(u32::try_from(i).unwrap()).to_owned())
        .collect();
    assert_eq!(listed, keys);
}

/// The sentence for an answer cut short says the connection broke (a 200 whose body broke off,
/// hyper's `IncompleteBody`), not that the server sent an error keyfob could not read.
#[test]
fn a_page_cut_short_is_said_to_be_a_lost_connection() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let moto = Moto::start();
    let creds = Credentials {
        access_key_id: "AKIANETWORKDROP00002".into(),
        secret_access_key: Secret::new("network-drop-secret"),
        session_token: None,
    };
    let proxy = rt.block_on(CuttingProxy::start(moto.port, 600));
    let error = rt.block_on(async {
        let direct = keyfob::aws::s3::client(&moto.env(), &creds, Some("us-east-1")).await;
        direct.create_bucket().bucket("drop").send().await.unwrap();
        for i in 0..30 {
            direct
                .put_object()
                .bucket("drop")
                .key(format!("k/{i:03}"))
                .body(b"x".to_vec().into())
                .send()
                .await
                .unwrap();
        }
        let env = AwsEnv {
            endpoint_url: Some(proxy.url.clone()),
            ..moto.env()
        };
        let client = keyfob::aws::s3::client(&env, &creds, Some("us-east-1")).await;
        let first = keyfob::aws::s3::list_page(&client, "drop", "k/", true, None, Some(10))
            .await
            .unwrap();
        keyfob::aws::s3::list_page(&client, "drop", "k/", true, first.next, Some(10))
            .await
            .expect_err("the answer was cut")
    });
    assert!(proxy.cut.load(Ordering::SeqCst) >= 1);
    assert_eq!(error.kind, ErrorKind::Unreachable, "{error:?}");
    assert!(!error.message.contains("HTTP 200"), "{}", error.message);
}

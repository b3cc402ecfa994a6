//! Benchmark helper: the browser with 1,000,000 objects loaded, driven headless through egui (no
//! GPU). Prints the CPU time per frame for layout and tessellation only (median and p99 over 300
//! frames that scroll through the table; no rasterisation), the time of one keystroke in the
//! folder's filter (`Browser::refilter`: filter and sort of all 1M rows, as the UI calls it), the
//! cost of each page as 1M rows stream in, and the bytes held per object beyond the key's own bytes.
#![allow(clippy::print_stdout, clippy::cast_precision_loss)]

use std::time::{Duration, Instant, SystemTime};

use keyfob::aws::s3::Page;
use keyfob::listing::Listing;
use keyfob::message::BrowseEvent;
use keyfob::session::{Credentials, Session, SessionKind, SignInFields};
use keyfob::state::AppState;

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}

/// A state with `session` shown and the browser open on the bucket "bench".
fn on_bucket(session: &Session, now: SystemTime) -> AppState {
    let mut state = AppState::default();
    state.sessions.upsert(session.clone());
    state.open_browser(now);
    state.browser.open_bucket(&mut state.outbox, "bench");
    state
}

fn main() {
    const N: usize = 1_000_000;
    let now = SystemTime::now();
    let session = Session {
        name: "bench".into(),
        origin: SignInFields::default(),
        credentials: Credentials {
            access_key_id: "ASIABENCHBENCHBENCH1".into(),
            secret_access_key: keyfob::secret::Secret::new("x"),
            session_token: None,
        },
        issued_at: now,
        expires_at: now + Duration::from_secs(3600),
        identity: None,
        source_identity: None,
        kind: SessionKind::SessionToken { mfa: true },
        region: None,
    };
    let mut state = on_bucket(&session, now);
    let id = state.browser.list_id.unwrap_or_default();
    let mut page = Page::default();
    let mut key_bytes = 0;
    for i in 0..N {
        let key = format!("logs/2026/11/22/host-{i:07}.json.gz");
        key_bytes += key.len();
        page.objects.push(keyfob::aws::s3::ObjectEntry {
            key,
            size: i as u64,
            modified: 1_795_000_000,
            class: 1,
        });
    }
    // Streaming: the same rows as 1,000 pages of 1,000 (S3's page size), each applied on the UI
    // thread as it arrives. Once in S3's order (name, ascending: pages append) and once sorted by
    // size, largest first (sizes grow with the keys here, so every page lands in front of all the
    // rows before it: the merge's worst case).
    let mut stream = Vec::new();
    for (label, sort) in [
        ("name", None),
        ("size-descending", Some(keyfob::listing::SortKey::Size)),
    ] {
        let mut st = on_bucket(&session, now);
        if let Some(k) = sort {
            st.browser.sort_by(k);
            st.browser.sort_by(k); // again: descending
        }
        let sid = st.browser.list_id.unwrap_or_default();
        let mut per_page = Vec::new();
        for chunk in page.objects.chunks(1000) {
            let p = Page {
                objects: chunk.to_vec(),
                next: Some("more".into()),
                ..Page::default()
            };
            let t = Instant::now();
            st.browser
                .apply(BrowseEvent::Page { id: sid, page: p }, &mut st.outbox);
            per_page.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let total: f64 = per_page.iter().sum();
        per_page.sort_by(f64::total_cmp);
        stream.push((
            label,
            total,
            pct(&per_page, 0.5),
            pct(&per_page, 0.99),
            st.browser.view.len(),
        ));
    }

    let t = Instant::now();
    state
        .browser
        .apply(BrowseEvent::Page { id, page }, &mut state.outbox);
    let add_ms = t.elapsed().as_secs_f64() * 1000.0;
    // What every page used to cost at the end of such a stream: filtering and sorting all rows.
    let t = Instant::now();
    state.browser.refilter();
    let refilter_ms = t.elapsed().as_secs_f64() * 1000.0;

    // Memory per object beyond the key bytes: rows + view + spare capacity.
    let listing: &Listing = &state.browser.listing;
    let overhead = listing.overhead_bytes() + state.browser.view.capacity() * 4;
    let per_object = overhead as f64 / N as f64;

    // A keystroke in the folder's filter: the UI sets `browser.filter` and calls
    // `Browser::refilter`, which filters all loaded rows and sorts what passes. Typed a character
    // at a time, then cleared (every row back, all sorted again), under the default order (name,
    // ascending) and under size, largest first (the rows arrive in the opposite order).
    let mut keystrokes = Vec::new();
    for (label, sort) in [
        ("name-ascending", (keyfob::listing::SortKey::Name, true)),
        ("size-descending", (keyfob::listing::SortKey::Size, false)),
    ] {
        state.browser.filter.clear();
        state.browser.sort = sort;
        state.browser.refilter();
        let mut ms = Vec::new();
        let mut worst = (0.0_f64, String::new(), 0);
        for needle in ["host-0999999", "JSON"] {
            let typed: Vec<String> = (1..=needle.len())
                .map(|n| needle.get(..n).unwrap_or(needle).to_owned())
                .chain([String::new()])
                .collect();
            for text in typed {
                state.browser.filter.clone_from(&text);
                let t = Instant::now();
                state.browser.refilter();
                let took = t.elapsed().as_secs_f64() * 1000.0;
                if took > worst.0 {
                    worst = (took, text, state.browser.view.len());
                }
                ms.push(took);
            }
        }
        ms.sort_by(f64::total_cmp);
        keystrokes.push((label, ms, worst));
    }
    state.browser.filter.clear();
    state.browser.sort = (keyfob::listing::SortKey::Name, true);
    state.browser.refilter();

    // Frames: scroll through the table; each frame's CPU time (egui layout + tessellation).
    let ctx = egui::Context::default();
    let mut times = Vec::new();
    for frame in 0..300 {
        let scroll = if frame % 50 == 0 { -4000.0 } else { -300.0 };
        let raw = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1000.0, 700.0),
            )),
            events: if frame > 2 {
                vec![
                    egui::Event::PointerMoved(egui::pos2(500.0, 300.0)),
                    egui::Event::MouseWheel {
                        unit: egui::MouseWheelUnit::Point,
                        delta: egui::vec2(0.0, scroll),
                        modifiers: egui::Modifiers::NONE,
                        phase: egui::TouchPhase::Move,
                        source: egui::MouseWheelSource::Wheel,
                    },
                ]
            } else {
                Vec::new()
            },
            ..Default::default()
        };
        let t = Instant::now();
        let out = ctx.run_ui(raw, |ui| {
            keyfob::ui::browser::browser_ui(ui, &mut state, now);
        });
        let prims = ctx.tessellate(out.shapes, out.pixels_per_point);
        std::hint::black_box(prims);
        if frame >= 5 {
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    println!("objects {N}");
    println!("add_page_ms {add_ms:.1}");
    println!("full_refilter_ms {refilter_ms:.1}");
    for (label, total, median, p99, shown) in stream {
        println!(
            "stream_sorted_by {label} pages 1000 total_ms {total:.0} page_ms_median {median:.2} page_ms_p99 {p99:.2} rows {shown}"
        );
    }
    println!("frame_ms_median {:.2}", pct(&times, 0.5));
    println!("frame_ms_p99 {:.2}", pct(&times, 0.99));
    for (label, ms, (worst_ms, worst_text, worst_rows)) in keystrokes {
        println!(
            "keystroke_sorted_by {label} keystrokes {} median_ms {:.1} min_ms {:.1} max_ms {:.1} worst_filter {worst_text:?} worst_rows {worst_rows} worst_ms {worst_ms:.1}",
            ms.len(),
            pct(&ms, 0.5),
            ms.first().copied().unwrap_or(0.0),
            ms.last().copied().unwrap_or(0.0),
        );
    }
    println!("bytes_per_object_beyond_key {per_object:.1} (key bytes {key_bytes})");
}

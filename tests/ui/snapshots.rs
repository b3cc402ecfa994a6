//! Screenshots of the three views in the light and the dark theme, rendered with wgpu (lavapipe
//! or llvmpipe here) and compared with the PNGs in `tests/snapshots/` (kittest's per-pixel
//! threshold). A deliberate change of the look: run with `UPDATE_SNAPSHOTS=1` and review the PNGs.
//! The clock is the rig's, so the countdown and the relative dates are the same every run.

use egui::Theme;

use crate::browser::obj;
use crate::rig::*;

fn sign_in_view(theme: Theme, name: &str) {
    let mut rig = Rig::rendered(theme).given_profiles();
    rig.h.run();
    rig.h.snapshot(format!("sign_in_{name}"));
}

fn signed_in_view(theme: Theme, name: &str) {
    let mut rig = Rig::rendered(theme)
        .given_profiles()
        .now_signed_in(MFA_TOKEN);
    rig.set_now(t(20 * 60));
    rig.h.snapshot(format!("signed_in_{name}"));
}

fn browser_view(theme: Theme, name: &str) {
    let rig = Rig::rendered(theme)
        .given_profiles()
        .now_signed_in(MFA_TOKEN);
    let mut rig = rig.now_browsing();
    let list = rig.open("reports");
    let objects = vec![
        obj("summary.pdf", 48_213),
        obj("details.csv", 1_204_112),
        obj("README.txt", 1536),
        obj("chart.png", 88_000),
    ];
    rig.page(list.id, &["2026/", "archive/"], objects, None);
    rig.h.get_by_label("details.csv").click();
    rig.settle();
    rig.h.snapshot(format!("browser_{name}"));
}

#[test]
fn sign_in_light() {
    sign_in_view(Theme::Light, "light");
}

#[test]
fn sign_in_dark() {
    sign_in_view(Theme::Dark, "dark");
}

#[test]
fn signed_in_light() {
    signed_in_view(Theme::Light, "light");
}

#[test]
fn signed_in_dark() {
    signed_in_view(Theme::Dark, "dark");
}

#[test]
fn browser_light() {
    browser_view(Theme::Light, "light");
}

#[test]
fn browser_dark() {
    browser_view(Theme::Dark, "dark");
}

/// The sync dialog with a compared plan over the browser (light theme).
#[test]
fn sync_dialog_light() {
    use keyfob::aws::s3::sync::{Action, Compare, SyncPlan};
    let rig = Rig::rendered(Theme::Light)
        .given_profiles()
        .now_signed_in(MFA_TOKEN);
    let mut rig = rig.now_browsing();
    let list = rig.open("reports");
    rig.page(list.id, &["2026/"], vec![obj("summary.pdf", 48_213)], None);
    rig.click("Sync…");
    rig.type_into("Local folder", "/home/me/site");
    rig.click("Compare");
    let (id, _) = crate::bucket::take_job(&mut rig);
    let plan = SyncPlan {
        spec: crate::sync::spec(Compare::SizeAndTime, false),
        items: vec![
            crate::sync::item("index.html", Action::Changed, "newer on disk"),
            crate::sync::item("css/site.css", Action::New, "not at the destination"),
            crate::sync::item(
                "old/notes.txt",
                Action::OnlyThere,
                "only at the destination",
            ),
        ],
        same: 1_204,
        by_content: 0,
        skipped: Vec::new(),
    };
    rig.reply(Event::Browse(BrowseEvent::SyncPlanned {
        id,
        result: Ok(plan),
    }));
    rig.h.snapshot("sync_dialog_light");
}

//! The window as a whole: its accessible name is the title, countdown included (issue 13: the
//! root node was unnamed, so a screen reader announced an empty window).

use crate::rig::*;

fn window_name(rig: &Rig) -> String {
    rig.h.root().accesskit_node().label().unwrap_or_default()
}

#[test]
fn the_window_is_named_after_its_title_and_follows_the_countdown() {
    let mut rig = Rig::signed_in(MFA_TOKEN);
    assert_eq!(window_name(&rig), "keyfob — 1 h left");
    rig.set_now(t(3600 - 4 * 60));
    assert_eq!(window_name(&rig), "keyfob — 4 min left");
    rig.set_now(t(3600));
    assert_eq!(window_name(&rig), "keyfob — session expired");
}

//! The window as a whole: its accessible name is the title, with the session's end or its minutes
//! (an unnamed root node makes a screen reader announce an empty window).

use keyfob::session::local_clock;

use crate::rig::*;

fn window_name(rig: &Rig) -> String {
    rig.h.root().accesskit_node().label().unwrap_or_default()
}

#[test]
fn the_window_is_named_after_its_title_and_follows_the_countdown() {
    let mut rig = Rig::signed_in(MFA_TOKEN);
    let until = format!("keyfob — signed in until {}", local_clock(t(3600)));
    assert_eq!(window_name(&rig), until);
    rig.set_now(t(3600 - 4 * 60));
    assert_eq!(window_name(&rig), "keyfob — 4 min left");
    rig.set_now(t(3600));
    assert_eq!(window_name(&rig), "keyfob — session expired");
}

/// A node's accessibility data by role and label.
fn node<'a>(rig: &'a Rig, role: Role, label: &'a str) -> egui_kittest::Node<'a> {
    rig.h.get_by_role_and_label(role, label)
}

#[test]
fn headings_panels_and_cards_are_named() {
    let rig = Rig::signed_in(MFA_TOKEN);
    for heading in ["Sign in", "Session", "Use the session"] {
        let n = node(&rig, Role::Heading, heading);
        assert_eq!(n.accesskit_node().level(), Some(2), "{heading}");
    }
    for region in ["Sign in", "Session", "Use the session"] {
        node(&rig, Role::Region, region);
    }
    for pane in ["Sign in and sessions", "Status"] {
        node(&rig, Role::Pane, pane);
    }
}

#[test]
fn a_bad_field_is_invalid_and_described_by_its_message() {
    let mut rig = Rig::with_profiles();
    rig.type_into("MFA device", "arn:aws:iam::123456789012:mfa/");
    let message = "The device name after mfa/ is not valid";
    let field = node(&rig, Role::TextInput, "MFA device");
    let field = field.accesskit_node();
    assert_eq!(field.data().invalid(), Some(egui::accesskit::Invalid::True));
    assert_eq!(field.description().as_deref(), Some(message));
    let shown = rig.h.get_by_label(message);
    let described_by: Vec<_> = field.data().described_by().to_vec();
    assert_eq!(
        described_by,
        vec![shown.accesskit_node().locate().0],
        "tied to the message shown"
    );
    // Sign in is off, and says why in its description (not its tooltip).
    assert!(rig.button_disabled("Sign in"));
    let why = rig.button("Sign in").accesskit_node().description();
    assert_eq!(
        why.as_deref(),
        Some(format!("MFA device: {message}").as_str())
    );
    // Fixed: valid again, and nothing described.
    rig.type_into("MFA device", "arn:aws:iam::123456789012:mfa/alice");
    let field = node(&rig, Role::TextInput, "MFA device");
    assert_eq!(field.accesskit_node().data().invalid(), None);
    let description = field.accesskit_node().description();
    assert!(description.as_deref() != Some(message), "{description:?}");
    let why = rig.button("Sign in").accesskit_node().description();
    assert_eq!(
        why.as_deref(),
        Some("Enter the 6-digit code"),
        "only the code is missing"
    );
}

#[test]
fn the_countdown_band_is_a_live_region_announcing_each_change() {
    let mut rig = Rig::signed_in(MFA_TOKEN);
    let badge = |rig: &Rig, text: &str| {
        let n = rig.h.get_by_label(text);
        n.accesskit_node().data().live()
    };
    use egui::accesskit::Live;
    assert_eq!(badge(&rig, "Active"), Some(Live::Polite));
    rig.set_now(t(3600 - 14 * 60));
    assert_eq!(
        badge(&rig, "Ends soon: under 15 minutes left"),
        Some(Live::Polite)
    );
    rig.set_now(t(3600 - 4 * 60));
    assert_eq!(
        badge(&rig, "Ends very soon: under 5 minutes left"),
        Some(Live::Assertive)
    );
    rig.set_now(t(3600));
    assert_eq!(badge(&rig, "Expired"), Some(Live::Assertive));
}

#[test]
fn the_object_list_is_a_table_of_rows_and_cells_with_the_selection() {
    use crate::browser::obj;
    let mut rig = Rig::browsing();
    let list = rig.open("logs");
    rig.page(list.id, &["app/"], vec![obj("README.txt", 1536)], None);
    let table = node(&rig, Role::Table, "Objects");
    assert_eq!(
        table.accesskit_node().data().row_count(),
        Some(3),
        "a header row and two rows"
    );
    let headers: Vec<_> = table.get_all_by_role(Role::ColumnHeader).collect();
    assert_eq!(headers.len(), 4);
    let folder = table.get_by_role_and_label(Role::Row, "app/, Folder");
    let file = table.get_by_role_and_label(Role::Row, "README.txt, Text");
    assert_eq!(folder.get_all_by_role(Role::Cell).count(), 4);
    assert_eq!(file.get_all_by_role(Role::Cell).count(), 4);
    assert_eq!(file.accesskit_node().is_selected(), Some(false));
    // A click selects: the row says so.
    rig.h.get_by_label("README.txt").click();
    rig.settle();
    let table = node(&rig, Role::Table, "Objects");
    let file = table.get_by_role_and_label(Role::Row, "README.txt, Text");
    assert_eq!(file.accesskit_node().is_selected(), Some(true));
    // Human size and date, the exact ones on hover.
    rig.shows("1.5 KiB");
    rig.shows("yesterday");
}

#[test]
fn the_font_atlas_is_at_most_2048_pixels_wide_whatever_the_driver_allows() {
    let mut rig = Rig::signed_in(MFA_TOKEN);
    #[allow(clippy::redundant_closure_for_method_calls)] // (the method is not general enough)
    let atlas_width = |rig: &Rig| rig.h.ctx.fonts(|f| f.font_image_size())[0];
    // What eframe passes on llvmpipe, before keyfob's hook and after it.
    let mut raw = egui::RawInput {
        max_texture_side: Some(16_384),
        ..Default::default()
    };
    rig.h.input_mut().max_texture_side = raw.max_texture_side;
    rig.h.run();
    assert_eq!(
        atlas_width(&rig),
        16_384,
        "egui's own choice on such a driver"
    );
    let ctx = rig.h.ctx.clone();
    eframe::App::raw_input_hook(rig.h.state_mut(), &ctx, &mut raw);
    assert_eq!(raw.max_texture_side, Some(keyfob::app::MAX_TEXTURE_SIDE));
    rig.h.input_mut().max_texture_side = raw.max_texture_side;
    rig.h.run();
    assert_eq!(atlas_width(&rig), 2048);
    rig.shows("1 h left"); // and the text is still drawn from it
}

#[test]
fn the_cut_down_icon_font_has_every_icon_keyfob_draws() {
    let rig = Rig::signed_in(MFA_TOKEN);
    for icon in keyfob::ui::icons::ALL {
        let font = egui::FontId::new(16.0, icon.font_family());
        let has = rig.h.ctx.fonts_mut(|f| f.has_glyphs(&font, icon.codepoint));
        assert!(
            has,
            "no glyph for {:?} in assets/fonts/material-symbols-keyfob.ttf: run assets/fonts/subset-icons",
            icon.codepoint
        );
    }
    // And the font is the cut-down one: a Material Symbol keyfob does not draw is not in it.
    let font = egui::FontId::new(16.0, keyfob::ui::icons::ICON_FOLDER.font_family());
    let other = egui_material_icons::icons::ICON_ROCKET_LAUNCH.codepoint;
    assert!(!rig.h.ctx.fonts_mut(|f| f.has_glyphs(&font, other)));
}

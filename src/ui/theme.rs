//! The look, in one place: a palette for the light and the dark theme, one spacing scale, the
//! icon font, and the drawing helpers every panel shares — headings, cards, icon buttons, notices
//! and field errors — with what a screen reader needs from them (a heading is a heading, an error
//! describes its field and marks it invalid, a named card is a named region).

use egui::accesskit::{Invalid, Live, Role};
use egui::{Color32, CornerRadius, FontFamily, FontId, Margin, RichText, Stroke, TextStyle, Theme};

pub use crate::ui::icons::{self as icon, Icon};

use crate::notice::{Level, Notice};
use crate::session::Urgency;

/// The spacing scale: every gap and margin is one of these.
pub mod space {
    /// Between the parts of one control.
    pub const XS: f32 = 4.0;
    /// Between controls in a group.
    pub const S: f32 = 8.0;
    /// Between groups.
    pub const M: f32 = 12.0;
    /// Inside a card.
    pub const L: f32 = 16.0;
    /// Between cards and sections.
    pub const XL: f32 = 24.0;
}

/// The colours of one theme.
#[derive(Clone, Copy, Debug)]
pub struct Palette {
    /// The primary action, links, the shown session's outline.
    pub accent: Color32,
    /// Text on the accent.
    pub on_accent: Color32,
    /// Under 15 minutes left, warnings, guesses to check.
    pub amber: Color32,
    /// Under 5 minutes left, expired, errors.
    pub red: Color32,
    /// Success, a calm countdown's bar.
    pub green: Color32,
    /// A card's background and outline.
    pub card: Color32,
    pub card_stroke: Color32,
    /// The window behind the cards.
    pub background: Color32,
}

/// The dark theme's palette (each colour checked against its background for 4.5:1 or more,
/// but the card outline).
pub const DARK: Palette = Palette {
    accent: Color32::from_rgb(0x4C, 0x9A, 0xFF),
    on_accent: Color32::from_rgb(0x0B, 0x14, 0x24),
    amber: Color32::from_rgb(0xF0, 0xA8, 0x2C),
    red: Color32::from_rgb(0xFF, 0x6B, 0x5E),
    green: Color32::from_rgb(0x4F, 0xC2, 0x7C),
    card: Color32::from_rgb(0x24, 0x27, 0x2C),
    card_stroke: Color32::from_rgb(0x36, 0x3A, 0x41),
    background: Color32::from_rgb(0x18, 0x1A, 0x1E),
};

/// The light theme's palette.
pub const LIGHT: Palette = Palette {
    accent: Color32::from_rgb(0x1A, 0x5F, 0xC8),
    on_accent: Color32::WHITE,
    amber: Color32::from_rgb(0x9A, 0x58, 0x00),
    red: Color32::from_rgb(0xC0, 0x25, 0x1B),
    green: Color32::from_rgb(0x1E, 0x7A, 0x3E),
    card: Color32::WHITE,
    card_stroke: Color32::from_rgb(0xD6, 0xDA, 0xE0),
    background: Color32::from_rgb(0xF2, 0xF4, 0xF7),
};

/// The palette of the theme `ui` is drawn in.
#[must_use]
pub fn palette(ui: &egui::Ui) -> Palette {
    palette_of(ui.visuals().dark_mode)
}

#[must_use]
pub const fn palette_of(dark: bool) -> Palette {
    if dark { DARK } else { LIGHT }
}

/// Installs the icon font and both themes' styles (the system's theme is followed unless the
/// user picked one in the status bar).
pub fn install(ctx: &egui::Context) {
    crate::ui::icons::install(ctx);
    ctx.style_mut_of(Theme::Dark, |s| style(s, &DARK));
    ctx.style_mut_of(Theme::Light, |s| style(s, &LIGHT));
}

fn style(s: &mut egui::Style, p: &Palette) {
    use TextStyle::{Body, Button, Heading, Monospace, Small};
    let sizes = [
        (Heading, 19.0),
        (Body, 14.0),
        (Button, 14.0),
        (Monospace, 13.0),
        (Small, 11.5),
    ];
    for (style, size) in sizes {
        let family = if style == Monospace {
            FontFamily::Monospace
        } else {
            FontFamily::Proportional
        };
        s.text_styles.insert(style, FontId::new(size, family));
    }
    s.spacing.item_spacing = egui::vec2(space::S, 6.0);
    s.spacing.button_padding = egui::vec2(10.0, 5.0);
    s.spacing.interact_size.y = 26.0;
    let v = &mut s.visuals;
    v.warn_fg_color = p.amber;
    v.error_fg_color = p.red;
    v.hyperlink_color = p.accent;
    v.panel_fill = p.background;
    // Fields sit darker (dark) or tinted (light) inside a card, with a visible outline.
    v.text_edit_bg_color = Some(p.background);
    v.extreme_bg_color = p.background;
    v.widgets.inactive.bg_stroke = Stroke::new(1.0, p.card_stroke);
    v.window_fill = p.card;
    v.selection.bg_fill = p.accent.gamma_multiply(0.45);
    v.selection.stroke = Stroke::new(1.0, p.accent);
    let radius = CornerRadius::same(6);
    for w in [
        &mut v.widgets.noninteractive,
        &mut v.widgets.inactive,
        &mut v.widgets.hovered,
        &mut v.widgets.active,
        &mut v.widgets.open,
    ] {
        w.corner_radius = radius;
    }
}

/// A level's colour; `None` for the theme's text colour.
#[must_use]
pub fn level_color(visuals: &egui::Visuals, level: Level) -> Option<Color32> {
    match level {
        Level::Info => None,
        Level::Success => Some(palette_of(visuals.dark_mode).green),
        Level::Warning => Some(visuals.warn_fg_color),
        Level::Error => Some(visuals.error_fg_color),
    }
}

/// The countdown's colour at an urgency; `None` for the theme's text colour.
#[must_use]
pub fn urgency_color(visuals: &egui::Visuals, urgency: Urgency) -> Option<Color32> {
    match urgency {
        Urgency::Calm => None,
        Urgency::Soon => Some(visuals.warn_fg_color),
        Urgency::Urgent | Urgency::Expired => Some(visuals.error_fg_color),
    }
}

/// `text` in `color`, or as it is.
#[must_use]
pub fn tinted(text: RichText, color: Option<Color32>) -> RichText {
    match color {
        Some(c) => text.color(c),
        None => text,
    }
}

/// A heading that screen readers list as one.
pub fn heading_ui(ui: &mut egui::Ui, text: &str) -> egui::Response {
    let r = ui.heading(text);
    ui.ctx().accesskit_node_builder(r.id, |n| {
        n.set_role(Role::Heading);
        n.set_label(text.to_owned());
        n.set_level(2);
    });
    r
}

/// Names a panel for screen readers (egui leaves panels unnamed).
pub fn name_panel(ui: &egui::Ui, name: &str) {
    ui.ctx().accesskit_node_builder(ui.unique_id(), |n| {
        n.set_role(Role::Pane);
        n.set_label(name.to_owned());
    });
}

/// A card: a framed, padded region named `name` for screen readers; `highlight` outlines it in
/// the accent colour (the shown session).
pub fn card_ui<R>(
    ui: &mut egui::Ui,
    name: &str,
    highlight: bool,
    add: impl FnOnce(&mut egui::Ui) -> R,
) -> R {
    let p = palette(ui);
    let stroke = if highlight {
        Stroke::new(1.5, p.accent)
    } else {
        Stroke::new(1.0, p.card_stroke)
    };
    let frame = egui::Frame::new()
        .fill(p.card)
        .stroke(stroke)
        .corner_radius(CornerRadius::same(10))
        .inner_margin(Margin::same(space::L as i8));
    let builder = egui::UiBuilder::new()
        .accessibility_role(Role::Region)
        .accessibility_label(name);
    ui.scope_builder(builder, |ui| frame.show(ui, add).inner)
        .inner
}

/// An icon and a text: for a button or a label. The accessible name is the text alone (see
/// [`name`]).
#[must_use]
pub fn with_icon(icon: Icon, text: &str) -> (RichText, RichText) {
    (icon.rich_text(), RichText::new(text))
}

/// Gives a widget its accessible name (an icon's glyph is not part of it).
pub fn name(r: &egui::Response, name: &str) {
    r.ctx
        .accesskit_node_builder(r.id, |n| n.set_label(name.to_owned()));
}

/// A button with an icon before its text, named by the text.
pub fn icon_button(ui: &mut egui::Ui, enabled: bool, icon: Icon, text: &str) -> egui::Response {
    let r = ui.add_enabled(enabled, egui::Button::new(with_icon(icon, text)));
    name(&r, text);
    r
}

/// The primary action: accent-filled, larger.
pub fn primary_button(ui: &mut egui::Ui, enabled: bool, icon: Icon, text: &str) -> egui::Response {
    let p = palette(ui);
    let (glyph, label) = with_icon(icon, text);
    let button = egui::Button::new((glyph.color(p.on_accent), label.strong().color(p.on_accent)))
        .fill(p.accent)
        .min_size(egui::vec2(120.0, 34.0));
    let r = ui.add_enabled(enabled, button);
    name(&r, text);
    r
}

/// Says why a widget is as it is, to screen readers (its description) and on hover.
pub fn describe(r: &egui::Response, text: &str) {
    r.ctx
        .accesskit_node_builder(r.id, |n| n.set_description(text.to_owned()));
}

/// Marks a field invalid, described by its error message (the message's own widget).
pub fn invalid(field: &egui::Response, message: &egui::Response, text: &str) {
    field.ctx.accesskit_node_builder(field.id, |n| {
        n.set_invalid(Invalid::True);
        n.set_description(text.to_owned());
        n.push_described_by(message.id.accesskit_id());
    });
}

/// Makes a widget a live region: a change of its name is announced (assertively for `urgent`).
pub fn live(r: &egui::Response, urgent: bool) {
    r.ctx.accesskit_node_builder(r.id, |n| {
        n.set_live(if urgent {
            Live::Assertive
        } else {
            Live::Polite
        });
    });
}

/// Follow the system, light or dark: three small icon buttons, each named for screen readers.
pub fn theme_switch_ui(ui: &mut egui::Ui) {
    let mut pref = ui.options(|o| o.theme_preference);
    let choices = [
        (
            egui::ThemePreference::Dark,
            icon::ICON_DARK_MODE,
            "Dark theme",
        ),
        (
            egui::ThemePreference::Light,
            icon::ICON_LIGHT_MODE,
            "Light theme",
        ),
        (
            egui::ThemePreference::System,
            icon::ICON_BRIGHTNESS_AUTO,
            "Follow the system theme",
        ),
    ];
    for (choice, glyph, text) in choices {
        let r = ui
            .selectable_label(pref == choice, glyph.rich_text())
            .on_hover_text(text);
        name(&r, text);
        if r.clicked() {
            pref = choice;
        }
    }
    ui.ctx().set_theme(pref);
}

/// How much room a notice takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// In a line of its own.
    Normal,
    /// Under a field, in the status bar.
    Small,
    /// Framed, above the form, with its detail behind "Show details".
    Boxed,
}

/// Draws a notice; the response is its text's (to tie it to a field).
pub fn notice_ui(ui: &mut egui::Ui, notice: &Notice, size: Size) -> egui::Response {
    let color = level_color(ui.visuals(), notice.level);
    let text = tinted(RichText::new(&notice.text), color);
    match size {
        Size::Normal => ui.label(text),
        Size::Small => ui.label(text.small()),
        Size::Boxed => {
            let stroke = color.unwrap_or_else(|| ui.visuals().warn_fg_color);
            egui::Frame::new()
                .fill(stroke.gamma_multiply(0.12))
                .stroke(Stroke::new(1.0, stroke))
                .corner_radius(CornerRadius::same(8))
                .inner_margin(Margin::same(space::M as i8))
                .show(ui, |ui| {
                    let r = ui.label(text.strong());
                    if let Some(detail) = &notice.detail {
                        detail_ui(ui, notice, detail);
                    }
                    r
                })
                .inner
        }
    }
}

/// "Show details" / "Hide details", remembered per notice for the window's life.
fn detail_ui(ui: &mut egui::Ui, notice: &Notice, detail: &str) {
    let id = ui.make_persistent_id(("notice_detail", &notice.text, detail));
    let mut open = ui.data(|d| d.get_temp::<bool>(id).unwrap_or(false));
    let label = if open { "Hide details" } else { "Show details" };
    if ui
        .small_button(label)
        .on_hover_text("The error code and the SDK's message")
        .clicked()
    {
        open = !open;
        ui.data_mut(|d| d.insert_temp(id, open));
    }
    if open {
        ui.label(RichText::new(detail).monospace().small());
    }
}

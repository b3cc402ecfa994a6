//! The tray on Linux: a StatusNotifierItem with a dbusmenu (ksni, over the session bus with
//! zbus). Shown by KDE, by GNOME with the AppIndicator extension, and by wlroots bars such as
//! waybar; where no StatusNotifierWatcher runs, there is no tray and closing the window quits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ksni::menu::{StandardItem, SubMenu};
use ksni::{MenuItem, TrayMethods as _};

use super::{TrayAction, TraySession, band, left_text, live, nearest_band, title, tooltip};
use crate::session::Urgency;

/// How often the text is redrawn (it shows minutes).
const TICK: Duration = Duration::from_secs(20);

struct Item {
    sessions: Vec<TraySession>,
    clock: crate::clock::Clock,
    actions: Sender<TrayAction>,
    wake: Arc<dyn Fn() + Send + Sync>,
    hosted: Arc<AtomicBool>,
}

impl Item {
    fn ask(&self, action: TrayAction) {
        if self.actions.send(action).is_ok() {
            (self.wake)();
        }
    }
}

impl ksni::Tray for Item {
    const MENU_ON_ACTIVATE: bool = false;

    fn id(&self) -> String {
        "keyfob".to_owned()
    }

    fn title(&self) -> String {
        title(&self.sessions, (self.clock)())
    }

    fn icon_name(&self) -> String {
        crate::APP_ID.to_owned()
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        let urgency = nearest_band(&self.sessions, (self.clock)());
        icon(urgency).into_iter().collect()
    }

    fn status(&self) -> ksni::Status {
        match nearest_band(&self.sessions, (self.clock)()) {
            Urgency::Urgent => ksni::Status::NeedsAttention,
            _ => ksni::Status::Active,
        }
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        let now = (self.clock)();
        ksni::ToolTip {
            title: title(&self.sessions, now),
            description: tooltip(&self.sessions, now),
            icon_name: crate::APP_ID.to_owned(),
            icon_pixmap: Vec::new(),
        }
    }

    fn activate(&mut self, _x: i32, _y: i32) {
        self.ask(TrayAction::Open);
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        let now = (self.clock)();
        let mut items: Vec<MenuItem<Self>> = Vec::new();
        for s in live(&self.sessions, now) {
            let words = match band(s.expires_at, now) {
                Urgency::Soon | Urgency::Urgent => ", ends soon",
                _ => "",
            };
            let label = format!("{} — {} left{words}", s.name, left_text(s.expires_at, now));
            let (copy, renew, out) = (s.name.clone(), s.name.clone(), s.name.clone());
            let submenu: Vec<MenuItem<Self>> = vec![
                standard("Copy export lines", move |t| {
                    t.ask(TrayAction::Copy(copy.clone()));
                }),
                standard("Renew…", move |t| t.ask(TrayAction::Renew(renew.clone()))),
                standard("Sign out", move |t| t.ask(TrayAction::SignOut(out.clone()))),
            ];
            items.push(
                SubMenu {
                    label,
                    submenu,
                    ..Default::default()
                }
                .into(),
            );
        }
        if items.is_empty() {
            items.push(
                StandardItem {
                    label: "No live session".to_owned(),
                    enabled: false,
                    ..Default::default()
                }
                .into(),
            );
        }
        items.push(MenuItem::Separator);
        items.push(standard("Open window", |t| t.ask(TrayAction::Open)));
        items.push(standard("Quit", |t| t.ask(TrayAction::Quit)));
        items
    }

    fn watcher_online(&self) {
        self.hosted.store(true, Ordering::SeqCst);
    }

    fn watcher_offline(&self, reason: ksni::OfflineReason) -> bool {
        tracing::info!("the tray host went away ({reason:?}): closing the window will quit");
        self.hosted.store(false, Ordering::SeqCst);
        true // keep the item, for when a host comes back
    }
}

fn standard(label: &str, activate: impl Fn(&mut Item) + Send + 'static) -> MenuItem<Item> {
    StandardItem {
        label: label.to_owned(),
        activate: Box::new(activate),
        ..Default::default()
    }
    .into()
}

/// The app icon as ARGB32 (32 px), tinted amber or red in those bands.
fn icon(urgency: Urgency) -> Option<ksni::Icon> {
    static BASE: OnceLock<Option<image::RgbaImage>> = OnceLock::new();
    let base = BASE
        .get_or_init(|| {
            image::load_from_memory_with_format(
                include_bytes!("../../assets/icon-32.png"),
                image::ImageFormat::Png,
            )
            .ok()
            .map(|i| i.to_rgba8())
        })
        .as_ref()?;
    let tint = match urgency {
        Urgency::Calm => None,
        Urgency::Soon => Some(crate::ui::theme::DARK.amber),
        Urgency::Urgent | Urgency::Expired => Some(crate::ui::theme::DARK.red),
    };
    Some(ksni::Icon {
        width: i32::try_from(base.width()).ok()?,
        height: i32::try_from(base.height()).ok()?,
        data: argb(base, tint.map(|c| [c.r(), c.g(), c.b()])),
    })
}

/// RGBA pixels as the ARGB32 (network order) that StatusNotifierItem wants, each opaque pixel
/// replaced by `tint` when there is one (the shape stays, the colour says the band).
fn argb(image: &image::RgbaImage, tint: Option<[u8; 3]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(image.as_raw().len());
    for p in image.pixels() {
        let [r, g, b, a] = p.0;
        let [r, g, b] = tint.unwrap_or([r, g, b]);
        out.extend_from_slice(&[a, r, g, b]);
    }
    out
}

/// Runs the tray on a thread of its own: the item on the session bus, redrawn every [`TICK`] and
/// whenever the app hands over new sessions. Without a session bus or a StatusNotifierWatcher it
/// logs one line and ends (there is no tray; closing the window quits).
pub(super) fn spawn(
    mut sessions: tokio::sync::watch::Receiver<Vec<TraySession>>,
    actions: Sender<TrayAction>,
    wake: Arc<dyn Fn() + Send + Sync>,
    clock: crate::clock::Clock,
    hosted: Arc<AtomicBool>,
) {
    let thread = std::thread::Builder::new()
        .name("keyfob-tray".to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!("no tray: its runtime could not start: {e}");
                    return;
                }
            };
            runtime.block_on(async move {
                let item = Item {
                    sessions: sessions.borrow().clone(),
                    clock,
                    actions,
                    wake,
                    hosted: Arc::clone(&hosted),
                };
                let handle = match item.spawn().await {
                    Ok(h) => h,
                    Err(e) => {
                        tracing::info!("no tray: {e}");
                        return;
                    }
                };
                hosted.store(true, Ordering::SeqCst);
                let mut tick = tokio::time::interval(TICK);
                loop {
                    tokio::select! {
                        _ = tick.tick() => {}
                        changed = sessions.changed() => if changed.is_err() { break },
                    }
                    let now = sessions.borrow().clone();
                    if handle.update(|t| t.sessions = now).await.is_none() {
                        break;
                    }
                }
            });
        });
    if let Err(e) = thread {
        tracing::warn!("no tray: its thread could not start: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_is_argb_and_takes_the_band_colour() {
        let calm = icon(Urgency::Calm).expect("the icon decodes");
        let soon = icon(Urgency::Soon).expect("the icon decodes");
        assert_eq!((calm.width, calm.height), (32, 32));
        assert_eq!(calm.data.len(), 32 * 32 * 4);
        let amber = crate::ui::theme::DARK.amber;
        // Every opaque pixel of the amber icon is amber; the alpha (first byte) is kept.
        let opaque: Vec<&[u8]> = soon.data.chunks(4).filter(|p| p[0] == 255).collect();
        assert!(!opaque.is_empty());
        assert!(
            opaque
                .iter()
                .all(|p| p[1..] == [amber.r(), amber.g(), amber.b()])
        );
        let alphas = |i: &ksni::Icon| i.data.chunks(4).map(|p| p[0]).collect::<Vec<_>>();
        assert_eq!(alphas(&calm), alphas(&soon), "the same shape");
        assert_ne!(calm.data, soon.data);
    }
}

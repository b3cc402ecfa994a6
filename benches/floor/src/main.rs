//! An empty eframe window built like keyfob's: its start-up time and memory are the floor under
//! keyfob's (what the toolkit and the GL driver take before any of keyfob's own work).
//!
//! `keyfob-floor [--exit-after-first-frame] [--renderer glow|wgpu]`

use std::io::Write as _;
use std::time::Instant;

struct Floor {
    started: Instant,
    exit_after_first_frame: bool,
}

impl eframe::App for Floor {
    fn ui(&mut self, ui: &mut eframe::egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        eframe::egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("keyfob");
            ui.label("An empty window: the floor under keyfob's start and memory.");
        });
        if self.exit_after_first_frame && ctx.cumulative_frame_nr() >= 1 {
            // Frame 0 has been painted: report and close, as keyfob does.
            self.exit_after_first_frame = false;
            let ms = self.started.elapsed().as_secs_f64() * 1000.0;
            let _ = writeln!(std::io::stdout(), "first-frame-ms {ms:.1}");
            ctx.send_viewport_cmd(eframe::egui::ViewportCommand::Close);
        }
    }
}

fn main() -> eframe::Result {
    let started = Instant::now();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let exit_after_first_frame = args.iter().any(|a| a == "--exit-after-first-frame");
    let wgpu = args.windows(2).any(|w| w[0] == "--renderer" && w[1] == "wgpu");
    #[cfg(feature = "wgpu")]
    let renderer = if wgpu {
        eframe::Renderer::Wgpu
    } else {
        eframe::Renderer::Glow
    };
    #[cfg(not(feature = "wgpu"))]
    let renderer = if wgpu {
        eprintln!("keyfob-floor: built without the wgpu feature");
        std::process::exit(2);
    } else {
        eframe::Renderer::Glow
    };
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("keyfob floor")
            .with_app_id("keyfob-floor")
            .with_inner_size([1000.0, 700.0]),
        dithering: false,
        renderer,
        ..Default::default()
    };
    eframe::run_native(
        "keyfob-floor",
        options,
        Box::new(move |_cc| {
            Ok(Box::new(Floor {
                started,
                exit_after_first_frame,
            }))
        }),
    )
}

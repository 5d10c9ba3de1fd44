//! Webcam scan of a partner's invite QR code (the off-by-default `camera` feature).
//!
//! The camera runs on its own thread, because reading a frame blocks until the
//! camera delivers one; the UI only ever looks at the latest state. Frames stay in
//! memory: nothing the camera sees is written anywhere, and the thread closes the
//! camera as soon as a code is read or the scan is stopped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use image::GrayImage;
use kintsugi_device::{Invite, qr};
use nokhwa::Camera;
use nokhwa::utils::{ApiBackend, CameraFormat, FrameFormat, RequestedFormat, RequestedFormatType};

/// What the UI shows while a scan runs.
#[derive(Default)]
pub struct ScanState {
    /// Name of the camera once it is open.
    pub camera: Option<String>,
    /// The newest preview frame, taken by the UI when it uploads a texture.
    pub preview: Option<egui::ColorImage>,
    /// A hint about the last code seen that was not a Kintsugi invite.
    pub hint: Option<String>,
    /// The invite text, once read.
    pub found: Option<String>,
    /// Why the scan ended without an invite.
    pub failed: Option<String>,
}

/// A running scan. Dropping it stops the camera thread after its current frame, so
/// leaving the page or locking never waits on the camera.
pub struct Scanner {
    state: Arc<Mutex<ScanState>>,
    stop: Arc<AtomicBool>,
}

impl Scanner {
    pub fn start(ctx: egui::Context) -> Self {
        let state = Arc::new(Mutex::new(ScanState::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        let spawned = std::thread::Builder::new()
            .name("kintsugi-camera".into())
            .spawn(move || run(&s, &st, &ctx));
        if let Err(e) = spawned {
            lock(&state).failed = Some(format!("could not start the camera: {e}"));
        }
        Self { state, stop }
    }

    /// Runs `f` on the current state (under its lock, so keep it short).
    pub fn with_state<R>(&self, f: impl FnOnce(&mut ScanState) -> R) -> R {
        f(&mut lock(&self.state))
    }
}

impl Drop for Scanner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn lock(state: &Mutex<ScanState>) -> std::sync::MutexGuard<'_, ScanState> {
    // The state holds no invariant a panic could break halfway.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn run(state: &Mutex<ScanState>, stop: &AtomicBool, ctx: &egui::Context) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scan(state, stop, ctx)));
    let failed = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(_) => Some("the camera stopped unexpectedly".to_string()),
    };
    if let Some(e) = failed {
        lock(state).failed = Some(e);
    }
    ctx.request_repaint();
}

/// Every frame format we can turn into grey, so any camera's list has a match.
const FORMATS: [FrameFormat; 6] = [
    FrameFormat::YUYV,
    FrameFormat::GRAY,
    FrameFormat::NV12,
    FrameFormat::MJPEG,
    FrameFormat::RAWRGB,
    FrameFormat::RAWBGR,
];

fn scan(state: &Mutex<ScanState>, stop: &AtomicBool, ctx: &egui::Context) -> Result<(), String> {
    let mut camera = open_camera()?;
    lock(state).camera = Some(camera.info().human_name());
    let mut last_preview = Instant::now() - Duration::from_secs(1);
    let mut misses = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let frame = match camera.frame() {
            Ok(f) => f,
            Err(e) => {
                // A camera drops the odd frame; one that keeps failing is gone.
                misses += 1;
                if misses > 30 {
                    return Err(format!("the camera stopped sending pictures ({e})"));
                }
                std::thread::sleep(Duration::from_millis(30));
                continue;
            }
        };
        misses = 0;
        let res = frame.resolution();
        let Ok(gray) = to_gray(
            frame.source_frame_format(),
            res.width(),
            res.height(),
            frame.buffer(),
        ) else {
            continue;
        };
        if last_preview.elapsed() >= Duration::from_millis(66) {
            last_preview = Instant::now();
            lock(state).preview = Some(preview(&gray, 480));
            ctx.request_repaint();
        }
        // No code in view (an error here) is the normal case while the person lines
        // it up; only a code that reads is worth a word.
        if let Ok(text) = qr::decode_gray(&shrink(gray, 1280)) {
            match Invite::from_text(&text) {
                Ok(_) => {
                    lock(state).found = Some(text);
                    ctx.request_repaint();
                    return Ok(());
                }
                Err(e) => lock(state).hint = Some(format!("That code is not an invite: {e}")),
            }
        }
    }
    Ok(())
}

fn open_camera() -> Result<Camera, String> {
    // macOS asks the person once; everywhere else this is a no-op.
    #[cfg(target_os = "macos")]
    if !nokhwa::nokhwa_check() {
        let (tx, rx) = std::sync::mpsc::channel();
        nokhwa::nokhwa_initialize(move |granted| {
            let _ = tx.send(granted);
        });
        if rx.recv_timeout(Duration::from_secs(120)) != Ok(true) {
            return Err(
                "Kintsugi may not use the camera. Allow it in System Settings → \
                        Privacy & Security → Camera, then try again."
                    .into(),
            );
        }
    }
    let cameras =
        nokhwa::query(ApiBackend::Auto).map_err(|e| format!("could not look for cameras: {e}"))?;
    let first = cameras
        .first()
        .ok_or_else(|| "no camera was found on this device".to_string())?;
    let request =
        RequestedFormat::with_formats(RequestedFormatType::AbsoluteHighestFrameRate, &FORMATS);
    let mut camera = Camera::new(first.index().clone(), request)
        .map_err(|e| format!("could not open {}: {e}", first.human_name()))?;
    // The library's pick favours frame rate; a QR code wants a sharp, modest frame.
    if let Ok(formats) = camera.compatible_camera_formats()
        && let Some(best) = choose_format(&formats)
        && best != camera.camera_format()
    {
        // If the camera refuses, the library's pick still works.
        let _ = camera.set_camera_requset(RequestedFormat::with_formats(
            RequestedFormatType::Exact(best),
            &FORMATS,
        ));
    }
    camera
        .open_stream()
        .map_err(|e| format!("could not start {}: {e}", first.human_name()))?;
    Ok(camera)
}

/// Picks the format to scan with: about 1280×720 (sharp enough for a code held at
/// arm's length, small enough to search 15 times a second), uncompressed where the
/// camera offers it, and the highest frame rate among equals.
pub(crate) fn choose_format(formats: &[CameraFormat]) -> Option<CameraFormat> {
    let rank = |f: FrameFormat| match f {
        FrameFormat::YUYV | FrameFormat::GRAY | FrameFormat::NV12 => 0,
        FrameFormat::MJPEG => 1,
        FrameFormat::RAWRGB | FrameFormat::RAWBGR => 2,
    };
    formats
        .iter()
        .filter(|f| f.frame_rate() >= 5 && f.width() >= 320 && f.height() >= 240)
        .min_by_key(|f| {
            let pixels = i64::from(f.width()) * i64::from(f.height());
            (
                (pixels - 1280 * 720).abs() / 100_000,
                rank(f.format()),
                std::cmp::Reverse(f.frame_rate()),
            )
        })
        .copied()
}

/// Turns a camera frame into grey. Only brightness matters for finding a QR code, so
/// the YUV formats give it for free; a short or damaged frame is an error, never a
/// panic.
pub(crate) fn to_gray(
    format: FrameFormat,
    width: u32,
    height: u32,
    data: &[u8],
) -> Result<GrayImage, String> {
    let pixels = (width as usize)
        .checked_mul(height as usize)
        .filter(|&n| n > 0 && n <= 8192 * 8192)
        .ok_or("the camera reported an impossible frame size")?;
    let need = |bytes_per_pixel: usize| {
        if data.len() < pixels * bytes_per_pixel {
            Err(format!(
                "the camera sent a short frame ({} of {} bytes)",
                data.len(),
                pixels * bytes_per_pixel
            ))
        } else {
            Ok(())
        }
    };
    let luma: Vec<u8> = match format {
        FrameFormat::YUYV => {
            need(2)?;
            data.iter().step_by(2).take(pixels).copied().collect()
        }
        FrameFormat::GRAY | FrameFormat::NV12 => {
            need(1)?;
            data[..pixels].to_vec()
        }
        FrameFormat::RAWRGB | FrameFormat::RAWBGR => {
            need(3)?;
            let (r, b) = if format == FrameFormat::RAWRGB {
                (0, 2)
            } else {
                (2, 0)
            };
            data.chunks_exact(3)
                .take(pixels)
                .map(|p| {
                    ((u32::from(p[r]) * 77 + u32::from(p[1]) * 150 + u32::from(p[b]) * 29) >> 8)
                        as u8
                })
                .collect()
        }
        FrameFormat::MJPEG => {
            return image::load_from_memory_with_format(data, image::ImageFormat::Jpeg)
                .map(|i| i.to_luma8())
                .map_err(|e| format!("the camera sent a frame that is not a JPEG: {e}"));
        }
    };
    GrayImage::from_raw(width, height, luma).ok_or_else(|| "bad frame size".to_string())
}

/// Halves the picture until it is at most `max_width` wide: a big frame costs the QR
/// search time without making a code at arm's length any easier to read.
fn shrink(mut img: GrayImage, max_width: u32) -> GrayImage {
    while img.width() > max_width && img.height() >= 2 {
        let (w, h) = (img.width() / 2, img.height() / 2);
        img = GrayImage::from_fn(w, h, |x, y| {
            let sum: u32 = [(0, 0), (1, 0), (0, 1), (1, 1)]
                .iter()
                .map(|(dx, dy)| u32::from(img.get_pixel(2 * x + dx, 2 * y + dy).0[0]))
                .sum();
            image::Luma([(sum / 4) as u8])
        });
    }
    img
}

/// A small greyscale copy for the preview, mirrored like a selfie view so moving the
/// paper left moves the picture left.
fn preview(img: &GrayImage, max_width: u32) -> egui::ColorImage {
    let step = img.width().div_ceil(max_width).max(1);
    let (w, h) = (img.width() / step, img.height() / step);
    let mut pixels = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        for x in (0..w).rev() {
            pixels.push(img.get_pixel(x * step, y * step).0[0]);
        }
    }
    egui::ColorImage::from_gray([w as usize, h as usize], &pixels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nokhwa::utils::Resolution;

    const TEXT: &str = "KINTSUGI:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// The code as a camera at 640×480 might see it: grey paper, not pure white.
    fn scene() -> GrayImage {
        let code = image::load_from_memory(&qr::png(TEXT).unwrap())
            .unwrap()
            .to_luma8();
        let mut frame = GrayImage::from_pixel(640, 480, image::Luma([200]));
        let (ox, oy) = ((640 - code.width()) / 2, (480 - code.height().min(480)) / 2);
        for (x, y, p) in code.enumerate_pixels() {
            if ox + x < 640 && oy + y < 480 {
                let v = if p.0[0] < 128 { 30 } else { 210 };
                frame.put_pixel(ox + x, oy + y, image::Luma([v]));
            }
        }
        frame
    }

    fn decode(format: FrameFormat, w: u32, h: u32, data: &[u8]) -> String {
        qr::decode_gray(&shrink(to_gray(format, w, h, data).unwrap(), 1280)).unwrap()
    }

    #[test]
    fn camera_frames_in_every_format_decode_to_the_invite() {
        let g = scene();
        let (w, h) = g.dimensions();
        let gray = g.as_raw().clone();

        let yuyv: Vec<u8> = gray.iter().flat_map(|&y| [y, 128]).collect();
        assert_eq!(decode(FrameFormat::YUYV, w, h, &yuyv), TEXT);

        let mut nv12 = gray.clone();
        nv12.extend(std::iter::repeat_n(128, (w * h / 2) as usize));
        assert_eq!(decode(FrameFormat::NV12, w, h, &nv12), TEXT);
        assert_eq!(decode(FrameFormat::GRAY, w, h, &gray), TEXT);

        let rgb: Vec<u8> = gray.iter().flat_map(|&y| [y, y, y]).collect();
        assert_eq!(decode(FrameFormat::RAWRGB, w, h, &rgb), TEXT);
        assert_eq!(decode(FrameFormat::RAWBGR, w, h, &rgb), TEXT);

        let mut jpeg = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageLuma8(g.clone())
            .to_rgb8()
            .write_to(&mut jpeg, image::ImageFormat::Jpeg)
            .unwrap();
        assert_eq!(decode(FrameFormat::MJPEG, w, h, jpeg.get_ref()), TEXT);

        // A 4K frame is shrunk before the search and still reads.
        let big = GrayImage::from_fn(2560, 1920, |x, y| *g.get_pixel(x / 4, y / 4));
        assert_eq!(decode(FrameFormat::GRAY, 2560, 1920, big.as_raw()), TEXT);
    }

    #[test]
    fn camera_frames_that_are_short_or_garbage_are_errors_not_panics() {
        for format in FORMATS {
            assert!(to_gray(format, 640, 480, &[0; 100]).is_err(), "{format:?}");
            assert!(to_gray(format, 0, 480, &[0; 100]).is_err(), "{format:?}");
            assert!(
                to_gray(format, u32::MAX, u32::MAX, &[]).is_err(),
                "{format:?}"
            );
        }
        // A blank frame is simply "no code yet".
        let blank = to_gray(FrameFormat::GRAY, 64, 48, &[255; 64 * 48]).unwrap();
        assert!(qr::decode_gray(&blank).is_err());
        let p = preview(&scene(), 480);
        assert_eq!(p.size, [320, 240]);
    }

    #[test]
    fn camera_format_choice_prefers_a_modest_uncompressed_frame() {
        let f = |w, h, fmt, fps| CameraFormat::new(Resolution::new(w, h), fmt, fps);
        let offered = [
            f(1920, 1080, FrameFormat::MJPEG, 30),
            f(1280, 720, FrameFormat::MJPEG, 30),
            f(1280, 720, FrameFormat::YUYV, 10),
            f(640, 480, FrameFormat::YUYV, 30),
            f(160, 120, FrameFormat::YUYV, 30),
        ];
        assert_eq!(
            choose_format(&offered),
            Some(f(1280, 720, FrameFormat::YUYV, 10))
        );
        assert_eq!(
            choose_format(&offered[3..]),
            Some(f(640, 480, FrameFormat::YUYV, 30))
        );
        assert_eq!(choose_format(&offered[4..]), None);
        assert_eq!(choose_format(&[]), None);
    }
}

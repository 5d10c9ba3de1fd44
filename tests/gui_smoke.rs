//! The release binary in a real X window (Xvfb, Mesa's software OpenGL): it opens,
//! draws the unlock screen, a screenshot taken from outside is not blank, and it
//! exits cleanly.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

struct Xvfb(Child);

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn release_binary() -> PathBuf {
    let debug = PathBuf::from(env!("CARGO_BIN_EXE_kintsugi"));
    let release = debug
        .parent()
        .and_then(|d| d.parent())
        .map(|t| t.join("release").join("kintsugi"))
        .unwrap();
    assert!(
        release.exists(),
        "{} is missing: build it with `cargo build --release` (scripts/test-all does)",
        release.display()
    );
    release
}

#[test]
fn the_release_binary_opens_a_real_window_and_exits_cleanly() {
    let bin = release_binary();
    let p = Profile::init("Ari");
    p.id(&["boundary", "add", "window test"]);

    let display = format!(":{}", 100 + std::process::id() % 400);
    let xvfb = Xvfb(
        tool("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let socket = format!("/tmp/.X11-unix/X{}", &display[1..]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::path::Path::new(&socket).exists() {
        assert!(Instant::now() < deadline, "Xvfb did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    let mut app = Command::new(&bin)
        .env("DISPLAY", &display)
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .env_remove("WAYLAND_DISPLAY")
        .env("KINTSUGI_PROFILE", p.path())
        .args(["--exit-after", "10"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Wait for the window to draw, then photograph the whole screen from outside.
    let shot = p.dir.path().join("screen.png");
    let mut colours = 0;
    let deadline = Instant::now() + Duration::from_secs(9);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(700));
        let ok = tool("import")
            .args(["-display", display.as_str(), "-window", "root"])
            .arg(&shot)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            continue;
        }
        let img = image::open(&shot).unwrap().to_rgb8();
        let mut seen = std::collections::HashSet::new();
        for px in img.pixels() {
            seen.insert(px.0);
            if seen.len() > 64 {
                break;
            }
        }
        colours = seen.len();
        // Text and the gold title make many distinct colours; a blank or
        // single-colour screen has one or two.
        if colours > 32 {
            break;
        }
    }
    assert!(
        colours > 32,
        "the screenshot looks blank ({colours} colours)"
    );

    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = app.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the app did not exit");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    use std::io::Read;
    app.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "the app exited with {status}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    drop(xvfb);
}

//! The release binary in a real X window (Xvfb, Mesa's software OpenGL): it opens,
//! draws the unlock screen, a screenshot taken from outside is not blank, and it
//! closes cleanly when told to by SIGTERM, as at logout.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

struct Xvfb(Child);

impl Drop for Xvfb {
    /// SIGTERM first, so Xvfb removes its socket and lock file; a killed server
    /// leaves them behind for the next run on this machine to trip over.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The release binary, whichever build this test runs on (scripts/test-all runs it
/// on the release build; a plain `cargo test` needs `cargo build --release` first).
fn release_binary() -> PathBuf {
    let this_build = PathBuf::from(env!("CARGO_BIN_EXE_kintsugi"));
    let release = this_build
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

/// The app under test; killed if the test fails before it exits.
struct App(Child);

impl Drop for App {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl App {
    /// What the app printed, once it has ended.
    fn stderr(&mut self) -> String {
        let mut err = String::new();
        if let Some(mut pipe) = self.0.stderr.take() {
            use std::io::Read;
            let _ = pipe.read_to_string(&mut err);
        }
        err
    }
}

/// Starts Xvfb on a display it picks itself and waits until it accepts clients:
/// `-displayfd` writes the number only once the server is ready, so neither a
/// taken display nor a half-started server can make the app miss it.
fn start_xvfb() -> (Xvfb, String) {
    let mut child = tool("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let xvfb = Xvfb(child);
    let mut line = String::new();
    use std::io::BufRead;
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let number = line.trim();
    assert!(
        !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()),
        "Xvfb did not start (it said {line:?})"
    );
    (xvfb, format!(":{number}"))
}

/// How many distinct colours a screenshot of the whole screen has (up to 65),
/// or `None` when `import` could not take one.
fn screen_colours(display: &str, shot: &std::path::Path) -> Option<usize> {
    let ok = tool("import")
        .args(["-display", display, "-window", "root"])
        .arg(shot)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        return None;
    }
    let img = image::open(shot).ok()?.to_rgb8();
    let mut seen = std::collections::HashSet::new();
    for px in img.pixels() {
        seen.insert(px.0);
        if seen.len() > 64 {
            break;
        }
    }
    Some(seen.len())
}

#[test]
fn the_release_binary_opens_a_real_window_and_exits_cleanly() {
    let bin = release_binary();
    let p = Profile::init("Ari");
    p.id(&["boundary", "add", "window test"]);
    let (xvfb, display) = start_xvfb();

    // `--exit-after` only keeps a stuck app from outliving the test; the test
    // itself closes the window the way a logout does, with SIGTERM.
    let mut app = App(Command::new(&bin)
        .env("DISPLAY", &display)
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .env_remove("WAYLAND_DISPLAY")
        .env("KINTSUGI_PROFILE", p.path())
        .env("RUST_LOG", "warn,kintsugi_ui=info")
        .args(["--exit-after", "300"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap());

    // Wait for the window to draw, then photograph the whole screen from outside.
    // Text and the gold title make many distinct colours; an empty screen has one.
    // A loaded machine can take a while to start software OpenGL, hence the
    // generous wait; it ends as soon as the window shows.
    let shot = p.dir.path().join("screen.png");
    let mut colours = None;
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        if let Some(status) = app.0.try_wait().unwrap() {
            panic!("the app ended before drawing ({status}): {}", app.stderr());
        }
        colours = screen_colours(&display, &shot);
        if colours.is_some_and(|c| c > 32) {
            break;
        }
    }
    if colours.is_none_or(|c| c <= 32) {
        let _ = app.0.kill();
        let _ = app.0.wait();
        panic!(
            "the screenshot looks blank ({colours:?} colours); the app said: {}",
            app.stderr()
        );
    }

    let term = tool("kill")
        .args(["-TERM", &app.0.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success(), "kill -TERM failed");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = app.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the app did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let err = app.stderr();
    assert!(status.success(), "the app exited with {status}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("asked to quit by a signal"),
        "the app did not close through its signal handler: {err}"
    );
    drop(xvfb);
}

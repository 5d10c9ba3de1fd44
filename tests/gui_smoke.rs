//! The release binary in a real X window (Xvfb, Mesa's software OpenGL): it opens,
//! draws the unlock screen with its icon set, a screenshot taken from outside is not
//! blank, and it closes cleanly when told to by SIGTERM, as at logout. The same for
//! the binary the Debian package installed (scripts/package), with the package's
//! menu entry and icons.

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

/// The window's `_NET_WM_ICON` as X clients (task bars, switchers) read it: the
/// first icon's width and height, or `None` while there is no such window yet.
fn window_icon_size(display: &str) -> Option<(u32, u32)> {
    let tree = tool("xwininfo")
        .args(["-display", display, "-root", "-tree"])
        .output()
        .ok()?;
    let tree = String::from_utf8_lossy(&tree.stdout);
    let id = tree
        .lines()
        .find(|l| l.contains("\"Kintsugi\""))?
        .split_whitespace()
        .next()?
        .to_string();
    let prop = tool("xprop")
        .args(["-display", display, "-id", &id])
        .args(["-f", "_NET_WM_ICON", "32c", "=$0,$1\n", "_NET_WM_ICON"])
        .output()
        .ok()?;
    // "_NET_WM_ICON(CARDINAL)=256,256": the first two cardinals, width and height.
    let prop = String::from_utf8_lossy(&prop.stdout);
    let mut numbers = prop
        .split_once('=')?
        .1
        .split(',')
        .map(|n| n.trim().parse().ok());
    Some((numbers.next()??, numbers.next()??))
}

#[test]
fn the_release_binary_opens_a_real_window_and_exits_cleanly() {
    opens_a_window_and_exits_cleanly(&release_binary());
}

/// The package scripts/test-all builds and installs (`scripts/package --install`):
/// what it put where, and that its binary is the one people run (no test switch)
/// and opens a window.
#[test]
fn the_installed_package_has_its_menu_entry_and_icons_and_opens_a_window() {
    let status = tool("dpkg-query")
        .args(["-W", "-f", "${Status} ${Version}", "kintsugi"])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    // cargo-deb adds the Debian revision: "0.1.0-1".
    assert!(
        status.starts_with(&format!(
            "install ok installed {}-",
            env!("CARGO_PKG_VERSION")
        )),
        "the kintsugi package of this version is not installed: run `scripts/package --install` \
         (scripts/test-all does); dpkg says {status:?}"
    );
    let files = tool("dpkg").args(["-L", "kintsugi"]).output().unwrap();
    let files = String::from_utf8_lossy(&files.stdout);
    let mut wanted = vec![
        "/usr/bin/kintsugi".to_string(),
        "/usr/share/applications/kintsugi.desktop".to_string(),
        "/usr/share/icons/hicolor/scalable/apps/kintsugi.svg".to_string(),
    ];
    for size in [16, 24, 32, 48, 64, 128, 256, 512] {
        wanted.push(format!(
            "/usr/share/icons/hicolor/{size}x{size}/apps/kintsugi.png"
        ));
    }
    for path in &wanted {
        assert!(
            files.lines().any(|l| l == path),
            "the package does not install {path}:\n{files}"
        );
    }
    for size in [16, 48, 256, 512] {
        let png = format!("/usr/share/icons/hicolor/{size}x{size}/apps/kintsugi.png");
        let img = image::open(&png).unwrap();
        assert_eq!((img.width(), img.height()), (size, size), "{png}");
    }
    let check = tool("desktop-file-validate")
        .arg("/usr/share/applications/kintsugi.desktop")
        .output()
        .unwrap();
    assert!(
        check.status.success() && check.stdout.is_empty(),
        "the menu entry is not valid: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let entry = std::fs::read_to_string("/usr/share/applications/kintsugi.desktop").unwrap();
    assert!(entry.lines().any(|l| l == "Exec=kintsugi"), "{entry}");
    assert!(entry.lines().any(|l| l == "Icon=kintsugi"), "{entry}");

    let bin = PathBuf::from("/usr/bin/kintsugi");
    let version = Command::new(&bin).arg("--version").output().unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("kintsugi {}", env!("CARGO_PKG_VERSION"))
    );
    let test_switch = Command::new(&bin)
        .args(["--insecure-fast-kdf", "--help"])
        .output()
        .unwrap();
    assert!(
        !test_switch.status.success(),
        "the installed binary is a test build: it accepts --insecure-fast-kdf"
    );
    opens_a_window_and_exits_cleanly(&bin);
}

fn opens_a_window_and_exits_cleanly(bin: &std::path::Path) {
    let p = Profile::init("Ari");
    p.id(&["boundary", "add", "window test"]);
    let (xvfb, display) = start_xvfb();

    // `--exit-after` only keeps a stuck app from outliving the test; the test
    // itself closes the window the way a logout does, with SIGTERM.
    let mut app = App(Command::new(bin)
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
    // The window carries the app's icon (crates/ui, `with_icon`), at full size.
    assert_eq!(
        window_icon_size(&display),
        Some((256, 256)),
        "the window has no icon (xwininfo/xprop)"
    );

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

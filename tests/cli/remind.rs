//! Reminders through the real binary, shown by a real notification daemon: `dunst`
//! on an X server (Xvfb) and a private D-Bus session bus that this test starts and
//! ends, so nothing reaches the desktop the tests run on. Two devices paired over
//! loopback; Ari's letter and promise arrive at Bea's, and her reminders say only
//! that something is waiting.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

const CANARY: &str = "REMINDER-CANARY-8c1e";

/// Ends the processes it holds, newest first, when the test ends (passing or not).
struct Desktop {
    children: Vec<Child>,
    bus: String,
    shown: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Desktop {
    fn drop(&mut self) {
        for c in self.children.iter_mut().rev() {
            // SIGTERM first, so Xvfb removes its socket and lock file.
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && !matches!(c.try_wait(), Ok(Some(_))) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The first line `child` prints, which Xvfb (`-displayfd`) and dbus-daemon
/// (`--print-address`) print only once they accept clients.
fn first_line(child: &mut Child, what: &str) -> String {
    let out = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(out).read_line(&mut line).unwrap();
    let line = line.trim().to_string();
    assert!(!line.is_empty(), "{what} did not start");
    line
}

/// Xvfb, a session bus with no services to start (only what this test runs is on
/// it), and dunst on both, with a rule that writes every notification it shows to
/// `shown`: application, summary, body.
fn desktop() -> Desktop {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Desktop {
        children: Vec::new(),
        bus: String::new(),
        shown: dir.path().join("shown.txt"),
        _dir: dir,
    };
    let dir = d._dir.path().to_owned();
    let mut xvfb = tool("Xvfb")
        .args(["-displayfd", "1", "-screen", "0", "800x600x24"])
        .args(["-nolisten", "tcp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let display = format!(":{}", first_line(&mut xvfb, "Xvfb"));
    d.children.push(xvfb);

    let config = dir.join("bus.conf");
    std::fs::write(
        &config,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            dir.join("bus").display()
        ),
    )
    .unwrap();
    let mut bus = tool("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .args(["--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    d.bus = first_line(&mut bus, "dbus-daemon");
    d.children.push(bus);

    let script = dir.join("shown.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\t%s\\t%s\\n' \"$1\" \"$2\" \"$3\" >> '{}'\n",
            d.shown.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
    let dunstrc = dir.join("dunstrc");
    std::fs::write(
        &dunstrc,
        format!(
            "[global]\n    font = Monospace 8\n\n[every]\n    summary = \"*\"\n    script = {}\n",
            script.display()
        ),
    )
    .unwrap();
    let dunst = tool("dunst")
        .arg("-config")
        .arg(&dunstrc)
        .env("DISPLAY", &display)
        .env("DBUS_SESSION_BUS_ADDRESS", &d.bus)
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    d.children.push(dunst);
    // dunst is the notification service once `dunstctl` reaches it (the bus starts
    // no service by itself, so nothing else can answer).
    let deadline = Instant::now() + Duration::from_secs(20);
    while d.dunstctl(&["count", "displayed"]).is_none() {
        assert!(
            Instant::now() < deadline,
            "dunst did not start on the private bus"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    d
}

impl Desktop {
    fn dunstctl(&self, args: &[&str]) -> Option<String> {
        let out = tool("dunstctl")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The notifications dunst showed so far, as `application\tsummary\tbody`.
    fn shown(&self) -> Vec<String> {
        std::fs::read_to_string(&self.shown)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Waits until dunst has shown `n` notifications in all.
    fn wait_shown(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let shown = self.shown();
            if shown.len() >= n {
                return shown;
            }
            assert!(
                Instant::now() < deadline,
                "dunst showed {shown:?}, expected {n}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `kintsugi remind` on this desktop's bus.
    fn remind(&self, p: &Profile, args: &[&str]) -> Output {
        remind_on(p, &self.bus, args)
    }
}

fn remind_on(p: &Profile, bus: &str, args: &[&str]) -> Output {
    p.cmd()
        .arg("remind")
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "remind failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn no_canary(what: &str, text: &str) {
    assert!(!text.contains(CANARY), "{what} holds entry text: {text}");
}

#[test]
fn reminders_are_shown_by_the_desktop_once_and_say_only_that_something_waits() {
    let desktop = desktop();
    let (ari, bea) = paired_profiles();

    // Off until turned on.
    let said = stdout(&desktop.remind(&bea, &[]));
    assert!(said.contains("Reminders are off"), "{said}");
    assert_eq!(bea.json(&["settings"])["reminders"]["enabled"], false);
    assert!(bea.ok(&["settings"]).contains("Reminders:      off"));
    bea.ok(&[
        "settings",
        "--reminders",
        "on",
        "--quiet-hours",
        "off",
        "--remind-about",
        "promise,letter,exercise",
    ]);
    let settings = bea.json(&["settings"])["reminders"].clone();
    assert_eq!(settings["enabled"], true);
    assert_eq!(settings["checkin"], false);
    assert!(settings["quiet_hours"].is_null(), "{settings}");
    let line = bea.ok(&["settings"]);
    assert!(
        line.contains("Reminders:      on — promise, letter, exercise; no quiet hours"),
        "{line}"
    );
    let said = stdout(&desktop.remind(&bea, &[]));
    assert!(said.contains("Nothing new to remind you of"), "{said}");

    // Ari writes; what he wrote reaches Bea's device.
    let draft = ari.id(&[
        "letter",
        "draft",
        "--title",
        &format!("{CANARY} title"),
        "--body",
        &format!("{CANARY} body"),
    ]);
    ari.id(&["letter", "send", &draft]);
    let tomorrow = (chrono::Local::now().date_naive() + chrono::Days::new(1)).to_string();
    ari.ok(&[
        "promise",
        "add",
        "--due",
        &tomorrow,
        &format!("{CANARY} promise"),
    ]);
    exchange(&ari, &bea);

    // A dry run shows nothing and marks nothing.
    let said = stdout(&desktop.remind(&bea, &["--dry-run"]));
    assert!(
        said.contains("Would show: Something from Ari is waiting"),
        "{said}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(desktop.shown(), Vec::<String>::new());

    let out = desktop.remind(&bea, &[]);
    no_canary(
        "remind's error output",
        &String::from_utf8_lossy(&out.stderr),
    );
    let said = stdout(&out);
    assert!(
        said.contains("Shown: A promise is due tomorrow")
            && said.contains("Shown: Something from Ari is waiting"),
        "{said}"
    );
    no_canary("remind's output", &said);
    let shown = desktop.wait_shown(2);
    assert_eq!(
        shown,
        [
            "Kintsugi\tKintsugi\tA promise is due tomorrow",
            "Kintsugi\tKintsugi\tSomething from Ari is waiting",
        ]
    );
    // Closed, as a person closes them (dunst would fold a repeat of one still on
    // screen into it): then they are in dunst's history, which holds no entry text.
    desktop.dunstctl(&["close-all"]).unwrap();
    let history = desktop.dunstctl(&["history"]).unwrap();
    assert!(
        history.contains("Something from Ari is waiting"),
        "{history}"
    );
    no_canary("dunst's history", &history);

    // Once: nothing new, nothing shown.
    let said = stdout(&desktop.remind(&bea, &[]));
    assert!(said.contains("Nothing new to remind you of"), "{said}");

    // Quiet hours now (as this machine's clock has it): held back, not lost.
    let draft = ari.id(&["letter", "draft", "--title", CANARY, "--body", CANARY]);
    ari.id(&["letter", "send", &draft]);
    exchange(&ari, &bea);
    use chrono::Timelike;
    let hour = chrono::Local::now().hour();
    let quiet = format!("{}-{}", (hour + 23) % 24, (hour + 2) % 24);
    bea.ok(&["settings", "--quiet-hours", &quiet]);
    let said = stdout(&desktop.remind(&bea, &[]));
    assert!(said.contains("Quiet hours ("), "{said}");

    // No notification service: an error, and the reminder is not lost either.
    bea.ok(&["settings", "--quiet-hours", "off"]);
    let nowhere = tempfile::tempdir().unwrap();
    let bus = format!("unix:path={}", nowhere.path().join("bus").display());
    let out = remind_on(&bea, &bus, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not show a notification"), "{err}");
    no_canary("the error", &err);

    let said = stdout(&desktop.remind(&bea, &[]));
    assert!(
        said.contains("Shown: Something from Ari is waiting"),
        "{said}"
    );
    let shown = desktop.wait_shown(3);
    assert_eq!(
        shown[2],
        "Kintsugi\tKintsugi\tSomething from Ari is waiting"
    );
    for s in &shown {
        no_canary("a notification", s);
    }
    let history = desktop.dunstctl(&["history"]).unwrap_or_default();
    no_canary("dunst's history", &history);

    // A bad setting changes nothing.
    for (flag, value, says) in [
        ("--quiet-hours", "8-8", "different hours"),
        ("--quiet-hours", "late", "like 22-08"),
        (
            "--remind-about",
            "letters",
            "expected checkin, promise, letter, exercise or agreement",
        ),
    ] {
        let err = bea.fails(&["settings", "--reminders", "off", flag, value]);
        assert!(err.contains(says), "{err}");
    }
    assert_eq!(bea.json(&["settings"])["reminders"]["enabled"], true);
    bea.ok(&["settings", "--reminders", "off"]);
    let said = stdout(&desktop.remind(&bea, &[]));
    assert!(said.contains("Reminders are off"), "{said}");
    assert_eq!(desktop.shown().len(), 3);
}

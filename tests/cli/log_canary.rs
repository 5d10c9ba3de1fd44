//! Logs (SECURITY.md, "Logs"): a whole scenario — two profiles, entries of every kind,
//! pairing, live and one-shot sync, a bundle, exports — run with `RUST_LOG=trace`, the
//! most verbose logging there is (ours and every library's). No process's log may
//! hold the content of any entry: a canary string is planted in every text field and
//! in the names, and searched for in every stderr, plainly and in the encodings a log
//! line might use (hex, a Rust byte list).

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::common::*;

const CANARY: &str = "QZXCANARY";

/// The canary as it could appear in a log line.
fn forms() -> Vec<String> {
    let b = CANARY.as_bytes();
    vec![
        CANARY.to_string(),
        CANARY.to_lowercase(),
        b.iter().map(|x| format!("{x:02x}")).collect(),
        b.iter().map(|x| format!("{x:02X}")).collect(),
        b.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        // Part of it, in case a line is truncated or split.
        CANARY[..6].to_string(),
    ]
}

/// Every stderr of the scenario, by command.
#[derive(Default)]
struct Logs(Vec<(String, Vec<u8>)>);

impl Logs {
    fn add(&mut self, what: &str, stderr: Vec<u8>) {
        self.0.push((what.to_string(), stderr));
    }

    fn check(&self) -> usize {
        let mut total = 0;
        for (what, err) in &self.0 {
            total += err.len();
            let text = String::from_utf8_lossy(err);
            for f in forms() {
                assert!(
                    !text.contains(&f),
                    "the log of `{what}` holds entry content ({f:?})"
                );
            }
        }
        total
    }
}

fn traced(p: &Profile, args: &[&str]) -> Command {
    let mut c = p.cmd();
    c.env("RUST_LOG", "trace").env("NO_COLOR", "1").args(args);
    c
}

/// Runs to the end, records stderr, returns stdout.
fn run(p: &Profile, logs: &mut Logs, args: &[&str]) -> String {
    let out = traced(p, args).output().unwrap();
    assert!(
        out.status.success(),
        "kintsugi {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.starts_with("kintsugi:"))
            .collect::<Vec<_>>()
            .join(" / ")
    );
    logs.add(&args.join(" "), out.stderr);
    String::from_utf8(out.stdout).unwrap()
}

fn net<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut a = NET.to_vec();
    a.extend_from_slice(args);
    a
}

/// A background process whose stdout and stderr are drained as they come (trace
/// logging is far more than a pipe holds).
struct Bg {
    child: std::process::Child,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
    what: String,
}

impl Bg {
    fn start(p: &Profile, args: &[&str]) -> Self {
        let mut child = traced(p, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Arc::new(Mutex::new(Vec::new()));
        let err = Arc::new(Mutex::new(Vec::new()));
        for (mut pipe, buf) in [
            (
                Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
                out.clone(),
            ),
            (Box::new(child.stderr.take().unwrap()), err.clone()),
        ] {
            std::thread::spawn(move || {
                let mut chunk = [0u8; 65536];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    buf.lock().unwrap().extend_from_slice(&chunk[..n]);
                }
            });
        }
        Self {
            child,
            out,
            err,
            what: args.join(" "),
        }
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    fn stderr_has(&self, s: &str) -> bool {
        String::from_utf8_lossy(&self.err.lock().unwrap()).contains(s)
    }

    /// Waits for it to end by itself (`kill` false) or kills it; records its log.
    fn finish(mut self, kill: bool, logs: &mut Logs) -> bool {
        if kill {
            let _ = self.child.kill();
        }
        let ok = self.child.wait().unwrap().success();
        std::thread::sleep(std::time::Duration::from_millis(100));
        logs.add(&self.what, std::mem::take(&mut *self.err.lock().unwrap()));
        ok
    }
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !f() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn trace_logs_of_a_whole_scenario_hold_no_entry_content() {
    // The check itself finds the canary in each form it looks for (quietly: the
    // expected panics are not failures).
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let found: Vec<bool> = forms()
        .into_iter()
        .map(|f| {
            let mut probe = Logs::default();
            probe.add("probe", format!("a log line with {f} in it").into_bytes());
            std::panic::catch_unwind(move || probe.check()).is_err()
        })
        .collect();
    std::panic::set_hook(hook);
    assert!(
        found.iter().all(|&f| f),
        "the check misses a form: {found:?}"
    );
    let mut logs = Logs::default();
    let c = |s: &str| format!("{s} {CANARY}");
    let a = Profile::new();
    let b = Profile::new();
    run(&a, &mut logs, &["init", "--name", &c("Ari")]);
    run(&b, &mut logs, &["init", "--name", &c("Bea")]);

    // Entries of every kind, before pairing.
    let boundary = run(
        &a,
        &mut logs,
        &[
            "boundary",
            "add",
            &c("boundary"),
            "--category",
            &c("category"),
        ],
    );
    let boundary = boundary.trim().to_string();
    run(
        &a,
        &mut logs,
        &[
            "checkin",
            "add",
            "--mood",
            "3",
            "--trust",
            "4",
            "--closeness",
            "5",
            "--went-well",
            &c("went well"),
            "--hard",
            &c("hard"),
            "--need",
            &c("need"),
            "--appreciate",
            &c("appreciate"),
        ],
    );
    let draft = run(
        &a,
        &mut logs,
        &[
            "letter",
            "draft",
            "--title",
            &c("title"),
            "--body",
            &c("body"),
            "--kind",
            "apology",
        ],
    );
    let letter = run(&a, &mut logs, &["letter", "send", draft.trim()]);
    let promise = run(
        &a,
        &mut logs,
        &["promise", "add", &c("promise"), "--due", "2030-01-01"],
    );
    let diary = run(
        &a,
        &mut logs,
        &["diary", "add", &c("diary"), "--mood", "2", "--stage", "1"],
    );
    run(&a, &mut logs, &["share", diary.trim()]);
    run(
        &a,
        &mut logs,
        &["stage", "done", "1", "--note", &c("stage note")],
    );
    run(
        &b,
        &mut logs,
        &[
            "letter",
            "draft",
            "--title",
            &c("b title"),
            "--body",
            &c("b body"),
        ],
    );
    run(&b, &mut logs, &["diary", "add", &c("b diary")]);
    let tomorrow = (chrono::Local::now().date_naive() + chrono::Days::new(1)).to_string();
    let exercise = run(
        &a,
        &mut logs,
        &["exercise", "propose", "listen-ten", &tomorrow],
    );
    let exercise = exercise.trim().to_string();
    for p in [&a, &b] {
        for list in [
            "boundary", "checkin", "letter", "promise", "diary", "stage", "exercise",
        ] {
            run(p, &mut logs, &[list, "list"]);
        }
    }

    // Pairing, traced on both sides.
    let png = a.dir.path().join("invite.png");
    let (hosted, joined) = pair_by_qr_image(
        &png,
        |args| traced(&a, &net(args)),
        |args| traced(&b, &net(args)),
    );
    logs.add("pair invite", hosted.stderr);
    logs.add("pair join", joined.stderr);

    // Live sync on Ari's side, one-shot syncs from Bea; Bea answers, both ways.
    let live = Bg::start(&a, &net(&["sync", "--timeout", "120"]));
    wait_until("Ari's sync to start", || live.stderr_has("Syncing with"));
    let out = run(&b, &mut logs, &net(&["sync", "--once", "--timeout", "30"]));
    assert!(out.contains("In sync"));
    run(&b, &mut logs, &["letter", "read", letter.trim(), "--tell"]);
    run(&b, &mut logs, &["boundary", "agree", &boundary]);
    run(&b, &mut logs, &["promise", "kept", promise.trim()]);
    run(&b, &mut logs, &["exercise", "accept", &exercise]);
    run(&b, &mut logs, &["exercise", "done", &exercise]);
    run(
        &b,
        &mut logs,
        &[
            "exercise",
            "reflect",
            &exercise,
            &c("b reflection"),
            "--shared",
        ],
    );
    run(
        &b,
        &mut logs,
        &["boundary", "add", &c("from Bea"), "--category", &c("cat")],
    );
    run(
        &b,
        &mut logs,
        &["stage", "done", "2", "--note", &c("b note")],
    );
    let out = run(&b, &mut logs, &net(&["sync", "--once", "--timeout", "30"]));
    assert!(out.contains("In sync"));
    wait_until("Bea's entry on Ari", || {
        a.ok(&["boundary", "list"]).contains(&c("from Bea"))
    });
    run(&a, &mut logs, &["exercise", "done", &exercise]);
    run(
        &a,
        &mut logs,
        &["exercise", "reflect", &exercise, &c("private reflection")],
    );
    run(
        &a,
        &mut logs,
        &[
            "exercise",
            "reflect",
            &exercise,
            &c("shared reflection"),
            "--shared",
        ],
    );
    for p in [&a, &b] {
        run(p, &mut logs, &["exercise", "list"]);
        run(p, &mut logs, &["--json", "exercise", "list"]);
    }
    // Changing what was written, and finding it.
    run(
        &a,
        &mut logs,
        &["boundary", "edit", &boundary, &c("amended")],
    );
    let edit = ["diary", "edit", diary.trim(), "--text", &c("diary edited")];
    run(&a, &mut logs, &edit);
    run(
        &a,
        &mut logs,
        &["shared", "edit", diary.trim(), &c("shared edited")],
    );
    run(&a, &mut logs, &["stage", "note", "1", &c("note edited")]);
    let out = run(&b, &mut logs, &net(&["sync", "--once", "--timeout", "30"]));
    assert!(out.contains("In sync"));
    run(
        &b,
        &mut logs,
        &["boundary", "agree", &boundary, "--amendment"],
    );
    for p in [&a, &b] {
        run(p, &mut logs, &["search", CANARY]);
        run(p, &mut logs, &["--json", "search", "edited"]);
        run(p, &mut logs, &["shared", "list"]);
    }
    run(&a, &mut logs, &["diary", "delete", diary.trim(), "--yes"]);
    for fmt in ["md", "json"] {
        run(&b, &mut logs, &["export", "--format", fmt]);
    }
    run(&a, &mut logs, &net(&["status"]));
    run(&b, &mut logs, &["--json", "status"]);
    let _ = live.stdout();
    live.finish(true, &mut logs);

    // A bundle from Bea to Ari, and exports to files.
    run(&b, &mut logs, &["boundary", "add", &c("in a bundle")]);
    let bundle = b.dir.path().join("to-ari.kbundle");
    run(
        &b,
        &mut logs,
        &["bundle", "export", bundle.to_str().unwrap()],
    );
    run(
        &a,
        &mut logs,
        &["bundle", "import", bundle.to_str().unwrap()],
    );
    for fmt in ["md", "json", "automerge"] {
        let out = a.dir.path().join(format!("export.{fmt}"));
        run(
            &a,
            &mut logs,
            &["export", "--format", fmt, "--out", out.to_str().unwrap()],
        );
    }
    for fmt in ["md", "json"] {
        let out = a.dir.path().join(format!("private.{fmt}"));
        run(
            &a,
            &mut logs,
            &[
                "export",
                "--format",
                fmt,
                "--include-private",
                "--out",
                out.to_str().unwrap(),
            ],
        );
    }
    // The scenario really carried the canary everywhere it should.
    assert!(a.ok(&["boundary", "list"]).contains(&c("in a bundle")));
    let reflections = a.ok(&["exercise", "list"]);
    for said in ["b reflection", "private reflection", "shared reflection"] {
        assert!(reflections.contains(&c(said)), "{reflections}");
    }
    assert!(
        std::fs::read_to_string(a.dir.path().join("export.md"))
            .unwrap()
            .contains(CANARY)
    );

    // The logs were really at trace level, and hold no content.
    let all: Vec<u8> = logs.0.iter().flat_map(|(_, e)| e.clone()).collect();
    let all = String::from_utf8_lossy(&all);
    assert!(all.contains("TRACE"), "trace logging was not on");
    assert!(all.contains("DEBUG"));
    let bytes = logs.check();
    eprintln!(
        "log canary: {} processes logged {bytes} bytes at trace level; no form of the canary in any",
        logs.0.len()
    );
}

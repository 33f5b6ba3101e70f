//! stateright's Explorer in a real browser: `replcheck serve` on a bug model, headless
//! Chromium on the counterexample's link (`explorer_path` from `check --format json`), and
//! the rendered page must show the violating step: the path of actions ending in the last
//! action, selected, and the state after it with both primaries. A screenshot is kept in
//! target/explorer/.
//!
//! Without Chromium (Debian's `chromium`; .ci/run installs it) the test says so and passes,
//! except under CI (`CI=true`), where a missing browser is a failure.

mod common;

use serde_json::Value;
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long `serve` may take to listen, and Chromium to render a page.
const DEADLINE: Duration = Duration::from_secs(30);
const WINDOW: (u32, u32) = (1280, 1600);

/// The target directory: CARGO_TARGET_TMPDIR is its tmp/ subdirectory.
fn target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).to_path_buf()
}

/// Debian's chromium, or a Chromium-like browser on PATH.
fn chromium() -> Option<PathBuf> {
    let debian = Path::new("/usr/bin/chromium");
    if debian.is_file() {
        return Some(debian.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// One violated property of `check --format json MODEL`: its `explorer_path` (the
/// Explorer's action indices, from the initial state) and its entry in the report.
fn counterexample(model: &str, property: &str) -> (String, Value) {
    let out = common::command()
        .args(["check", "--format", "json", model])
        .output()
        .expect("the replcheck binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "check {model}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let found = report["models"][0]["properties"]
        .as_array()
        .expect("properties array")
        .iter()
        .find(|p| p["name"] == property)
        .unwrap_or_else(|| panic!("{model} has no property {property}"))
        .clone();
    assert_eq!(found["outcome"], "violated", "{found}");
    let path = found["explorer_path"]
        .as_str()
        .unwrap_or_else(|| panic!("{property} has no explorer_path: {found}"))
        .to_string();
    (path, found)
}

/// A running `replcheck serve`, killed when dropped (test passed, failed or panicked).
struct Explorer {
    child: Child,
    addr: SocketAddr,
    /// Where its stderr goes (a pipe nobody reads could fill up and stall it).
    log: Scratch,
}

impl Drop for Explorer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Explorer {
    /// `replcheck serve ARGS --addr 127.0.0.1:PORT` on a free port, once it accepts
    /// connections. A port taken between choosing and binding it means another try.
    fn start(args: &[&str]) -> Explorer {
        let mut failures = Vec::new();
        for _ in 0..5 {
            let addr = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port on 127.0.0.1");
            let log = Scratch(std::env::temp_dir().join(format!(
                "replcheck-serve-{}-{}.log",
                std::process::id(),
                addr.port()
            )));
            let stderr = std::fs::File::create(&log.0).expect("create serve's log");
            let child = common::command()
                .arg("serve")
                .args(args)
                .args(["--addr", &addr.to_string(), "--threads", "1"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .expect("the replcheck binary runs");
            let mut explorer = Explorer { child, addr, log };
            match explorer.wait_until_listening() {
                Ok(()) => return explorer,
                Err(e) => failures.push(e),
            }
        }
        panic!(
            "replcheck serve {args:?} never listened:\n{}",
            failures.join("\n")
        );
    }

    fn wait_until_listening(&mut self) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait().expect("serve's status") {
                let stderr = std::fs::read_to_string(&self.log.0).unwrap_or_default();
                return Err(format!("on {}: {status}: {stderr}", self.addr));
            }
            if start.elapsed() > DEADLINE {
                return Err(format!(
                    "on {}: not listening after {DEADLINE:?}",
                    self.addr
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens `http://ADDR/FRAGMENT` in headless Chromium, saves a screenshot and the DOM
    /// as rendered as target/explorer/NAME.png and NAME.html, and returns the DOM.
    fn render(&self, browser: &Path, fragment: &str, name: &str) -> Page {
        let url = format!("http://{}/{fragment}", self.addr);
        let dir = target_dir().join("explorer");
        std::fs::create_dir_all(&dir).expect("create target/explorer");
        let (screenshot, dom) = (
            dir.join(format!("{name}.png")),
            dir.join(format!("{name}.html")),
        );
        let _ = std::fs::remove_file(&screenshot);
        let scratch = Scratch(dir.join(format!(".{name}.{}", std::process::id())));
        std::fs::create_dir_all(&scratch.0).expect("create a profile directory");
        let log = scratch.0.join("chromium.log");
        let mut chromium = Chromium(
            Command::new(browser)
                .args([
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-extensions",
                    "--disable-background-networking",
                    "--no-first-run",
                    "--hide-scrollbars",
                    "--mute-audio",
                ])
                .arg(format!(
                    "--user-data-dir={}",
                    scratch.0.join("profile").display()
                ))
                .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
                // Virtual time stands still while a request is pending: when the budget
                // is spent the page has fetched every step of the path and rendered it.
                .arg("--virtual-time-budget=10000")
                .arg(format!("--screenshot={}", screenshot.display()))
                .arg("--dump-dom")
                .arg(&url)
                .current_dir(&scratch.0)
                .stdin(Stdio::null())
                .stdout(std::fs::File::create(&dom).expect("create the DOM file"))
                .stderr(std::fs::File::create(&log).expect("create chromium.log"))
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("{} does not run: {e}", browser.display())),
        );
        let start = Instant::now();
        let status = loop {
            if let Some(status) = chromium.0.try_wait().expect("Chromium's status") {
                break status;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "Chromium did not render {url} within {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        drop(chromium);
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(status.success(), "Chromium on {url}: {status}\n{log}");
        let html = std::fs::read_to_string(&dom).expect("Chromium's DOM dump");
        assert_png(&screenshot, &log);
        Page { url, html }
    }
}

/// Headless Chromium, started as the leader of its own process group. Dropping it kills
/// the group, so that no helper (zygote, renderer, crash handler) outlives the test.
struct Chromium(Child);

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A file or directory removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0).or_else(|_| std::fs::remove_file(&self.0));
    }
}

/// The screenshot is a PNG of the window's size with more in it than one colour.
fn assert_png(file: &Path, log: &str) {
    let bytes = std::fs::read(file)
        .unwrap_or_else(|e| panic!("no screenshot {}: {e}\n{log}", file.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 24,
        "{} is not a PNG",
        file.display()
    );
    let size = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!((size(16), size(20)), WINDOW, "{}: size", file.display());
    assert!(
        bytes.len() > 20_000,
        "{} is only {} bytes: a blank page?",
        file.display(),
        bytes.len()
    );
}

/// A page as Chromium rendered it.
struct Page {
    url: String,
    html: String,
}

impl Page {
    /// The text between the first `start` and the next `end` after it.
    fn section(&self, start: &str, end: &str) -> &str {
        let from = self
            .html
            .find(start)
            .unwrap_or_else(|| panic!("{}: no {start:?} in the page:\n{}", self.url, self.html));
        let rest = &self.html[from + start.len()..];
        &rest[..rest.find(end).unwrap_or(rest.len())]
    }

    /// "Path of Actions": every step's label, and whether it is the selected one.
    fn path_of_actions(&self) -> Vec<(String, bool)> {
        self.section("<ol class=\"path-list\"", "</ol>")
            .split("<a ")
            .skip(1)
            .map(|link| {
                let (attributes, rest) = link.split_once('>').expect("a link's text");
                let text = rest.split("</a>").next().unwrap_or(rest);
                let class = attributes
                    .split_once("class=\"")
                    .and_then(|(_, rest)| rest.split('"').next())
                    .unwrap_or_default();
                let selected = class.split_whitespace().any(|c| c == "is-selected-state");
                (unescape(text), selected)
            })
            .collect()
    }

    /// "Current State": the selected step's text (its narration and the state table).
    fn current_state(&self) -> String {
        let panel = self.section("Current State</h2>", "</section>");
        let text = panel
            .find("font-small")
            .and_then(|at| panel[at..].split_once('>'))
            .map(|(_, rest)| rest.split("</div>").next().unwrap_or(rest))
            .unwrap_or_else(|| panic!("{}: no state text in {panel}", self.url));
        unescape(text)
    }

    /// "Properties": each property's summary ("🔎 Searching: ", "⚠️ Counterexample found: ")
    /// and its expectation and name ("Always election_safety").
    fn property_summaries(&self) -> Vec<(String, String)> {
        self.html
            .split("<b data-bind=\"text: p.summary\">")
            .skip(1)
            .map(|rest| {
                let summary = rest.split("</b>").next().unwrap_or_default();
                let name = rest
                    .split("p.expectation + ' ' + p.name\">")
                    .nth(1)
                    .and_then(|r| r.split('<').next())
                    .unwrap_or_default();
                (unescape(summary), unescape(name))
            })
            .collect()
    }

    /// The status's "Unique States" figure, as the page shows it ("40,454").
    fn unique_states(&self) -> String {
        let rest = self.section("Unique States:</label>", "</li>");
        let text = rest.split_once('>').map_or("", |(_, r)| r);
        unescape(text.split('<').next().unwrap_or_default())
    }

    /// The sequence diagram the model draws for the path.
    fn has_svg(&self) -> bool {
        self.section("Current State</h2>", "</section>")
            .contains("<svg")
    }
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

/// The page at a counterexample shows its last step: the path of actions has one entry
/// per action after Pre-init and the initial state, ends in `last_action`, selected, and
/// the current state is the last step of the `check` report's trace, with `lines` in its
/// state table.
fn assert_shows_violation(
    page: &Page,
    steps: usize,
    last_action: &str,
    property: &Value,
    lines: &[&str],
) {
    let path = page.path_of_actions();
    let labels: Vec<&str> = path.iter().map(|(label, _)| label.as_str()).collect();
    assert_eq!(
        labels.len(),
        steps + 2,
        "{}: path of actions {labels:#?}",
        page.url
    );
    assert_eq!(labels[..2], ["Pre-init", "Init 0"], "{}", page.url);
    assert_eq!(
        path.last(),
        Some(&(last_action.to_string(), true)),
        "{}: the last action, selected; path of actions {path:#?}",
        page.url
    );
    assert_eq!(
        path.iter().filter(|(_, selected)| *selected).count(),
        1,
        "{}: {path:#?}",
        page.url
    );
    let state = page.current_state();
    let narration = property["trace"]
        .as_array()
        .and_then(|t| t.last())
        .and_then(|step| step["action"].as_str())
        .expect("the report's trace ends in a step");
    assert!(
        state.starts_with(narration),
        "{}: the current state should open with the trace's last step {narration:?}:\n{state}",
        page.url
    );
    for line in lines {
        assert!(
            state.lines().any(|l| l.starts_with(line)),
            "{}: no line {line:?} in the current state:\n{state}",
            page.url
        );
    }
    assert!(page.has_svg(), "{}: no sequence diagram", page.url);
    // Its "Path of Actions" is numbered from the first step, as `check` numbers steps
    // (the style the front adds; Pre-init and Init are left unnumbered).
    assert!(
        page.html.contains("counter-reset:step -2"),
        "{}: the page lacks replcheck's step numbering",
        page.url
    );
    // Messages and actions are told in MongoDB's words, never as Rust's Debug text.
    for debug in ["Term(", "OpTime {", "RequestVote {", "Deliver {"] {
        assert!(
            !page.html.contains(debug),
            "{}: Debug text {debug:?} in the page",
            page.url
        );
    }
}

/// Chromium, or `None` after saying that the test is skipped (straight to stderr, past
/// the test harness's capture, so that CI logs show the skip).
fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    // Under CI (CI=true, as CI services set it) a missing browser fails the test: a skip
    // there would hide that the Explorer was never opened.
    let under_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        found.is_some() || !under_ci,
        "Chromium not found and CI={}: install Debian's chromium (.ci/run does) to run the Explorer test",
        std::env::var("CI").unwrap_or_default()
    );
    if found.is_none() {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: Chromium not found; install Debian's chromium to run the Explorer test"
        );
    }
    found
}

#[test]
fn explorer_shows_the_durable_vote_counterexample() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let model = "models/bugs/durable-vote.toml";
    let (path, property) = counterexample(model, "election_safety");
    let steps = path.split('/').count() - 1;
    let explorer = Explorer::start(&[model]);
    let page = explorer.render(
        &browser,
        &format!("#/steps/{path}"),
        "durable-vote.election_safety",
    );
    assert_shows_violation(
        &page,
        steps,
        "n2 → vote granted (term 1) → n1",
        &property,
        &[
            "n0 PRIMARY    term 1",
            "n1 PRIMARY    term 1",
            "n2 ARBITER    term 1",
        ],
    );
    assert!(
        page.current_state()
            .starts_with("n1 receives n2's vote and wins the election for term 1: PRIMARY"),
        "{}",
        page.current_state()
    );
}

#[test]
fn serve_with_a_trace_file_opens_at_the_trace() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let model = "models/bugs/durable-vote.toml";
    let (path, property) = counterexample(model, "election_safety");
    let traces = target_dir().join(format!("explorer/traces-{}", std::process::id()));
    let out = common::command()
        .args(["check", "--trace-dir", traces.to_str().unwrap(), model])
        .output()
        .expect("the replcheck binary runs");
    assert_eq!(out.status.code(), Some(0));
    let trace = traces.join("durable-vote.election_safety.json");
    let explorer = Explorer::start(&[model, "--trace", trace.to_str().unwrap()]);
    // The bare address: the front sends the page to the trace's last step.
    let page = explorer.render(&browser, "", "durable-vote.election_safety.from-trace");
    let _ = std::fs::remove_dir_all(&traces);
    assert_shows_violation(
        &page,
        path.split('/').count() - 1,
        "n2 → vote granted (term 1) → n1",
        &property,
        &["n0 PRIMARY    term 1", "n1 PRIMARY    term 1"],
    );
    // The violated property is marked before any search has run.
    let summaries = page.property_summaries();
    assert!(
        summaries.contains(&(
            "⚠️ Counterexample found:".to_string(),
            "Always election_safety".to_string()
        )),
        "{summaries:?}"
    );
}

/// "Run to completion" runs replcheck's own search: the page then shows `check`'s counts
/// and marks every property as `check` decides it.
#[test]
fn run_to_completion_is_replchecks_search() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let model = "models/bugs/durable-vote.toml";
    let out = common::command()
        .args(["check", "--format", "json", model])
        .output()
        .expect("the replcheck binary runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let checked = &report["models"][0];
    let explorer = Explorer::start(&[model]);
    let post = |target: &str| {
        let mut stream = TcpStream::connect(explorer.addr).expect("the front answers");
        write!(
            stream,
            "POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        let _ = std::io::Read::read_to_string(&mut stream, &mut answer);
        answer
    };
    assert!(post("/.runtocompletion").starts_with("HTTP/1.1 200"));
    let deadline = Instant::now() + DEADLINE;
    loop {
        let mut stream = TcpStream::connect(explorer.addr).unwrap();
        write!(stream, "GET /.status HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut answer = String::new();
        let _ = std::io::Read::read_to_string(&mut stream, &mut answer);
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let status: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        if status["done"] == true {
            assert_eq!(status["unique_state_count"], checked["unique_states"]);
            assert_eq!(status["state_count"], checked["states"]);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the search did not finish: {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let page = explorer.render(&browser, "", "durable-vote.run-to-completion");
    let unique = checked["unique_states"].as_u64().unwrap();
    assert_eq!(
        page.unique_states().replace(',', ""),
        unique.to_string(),
        "{}",
        page.html
    );
    let summaries = page.property_summaries();
    for p in checked["properties"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let expected = match p["outcome"].as_str().unwrap() {
            "violated" => "⚠️ Counterexample found:",
            "holds" => "✅ Safety holds:",
            "reachable" => "✅ Example found:",
            _ => "⚠️ Example not found:",
        };
        assert!(
            summaries
                .iter()
                .any(|(summary, n)| summary == expected && n.ends_with(&format!(" {name}"))),
            "{name}: not {expected:?} in {summaries:?}"
        );
    }
}

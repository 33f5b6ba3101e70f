//! `replcheck serve` over real HTTP: the real binary on a free port of 127.0.0.1, raw
//! requests over TCP. Every malformed, disallowed or impossible request gets its error
//! status, and after each one the Explorer still answers `/.status` and `/.states/0`
//! with JSON; peers that stay silent, hang up or come in crowds stop nobody else; and
//! without `--addr` the server listens on 127.0.0.1:3000 only.

mod common;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long `serve` may take to print its address, and a request to be answered.
const DEADLINE: Duration = Duration::from_secs(20);
const MODEL: &str = "models/pss-w1.toml";

use common::root;

/// A running `replcheck serve`, killed when dropped (test passed, failed or panicked).
struct Serve {
    child: Child,
    /// Lines of its stderr, as they come.
    stderr: mpsc::Receiver<String>,
    /// What it printed so far.
    log: Vec<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// Runs `program args`, which must start `replcheck serve`, with its stderr read line
    /// by line.
    fn spawn(program: &str, args: &[&str]) -> Serve {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(root())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{program} does not run: {e}"));
        let pipe = child.stderr.take().expect("serve's stderr");
        let (lines, stderr) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        Serve {
            child,
            stderr,
            log: Vec::new(),
        }
    }

    /// `replcheck serve MODEL --addr 127.0.0.1:0 ARGS` and the address it printed.
    fn start(args: &[&str]) -> (Serve, SocketAddr) {
        let mut all = vec!["serve", MODEL, "--addr", "127.0.0.1:0", "--threads", "1"];
        all.extend_from_slice(args);
        let mut serve = Serve::spawn(env!("CARGO_BIN_EXE_replcheck"), &all);
        let addr = serve.address();
        (serve, addr)
    }

    /// The first line of stderr, or what it printed before it exited.
    fn first_line(&mut self) -> Result<String, String> {
        let started = Instant::now();
        loop {
            match self.stderr.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    self.log.push(line.clone());
                    return Ok(line);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().expect("serve's status");
                    return Err(format!("serve exited ({status}): {:?}", self.log));
                }
                Err(mpsc::RecvTimeoutError::Timeout) if started.elapsed() > DEADLINE => {
                    return Err(format!("serve printed nothing within {DEADLINE:?}"));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// The address of the line "Explorer for FILE on http://ADDR/ ...".
    fn address(&mut self) -> SocketAddr {
        let line = self.first_line().unwrap_or_else(|e| panic!("{e}"));
        printed_address(&line).unwrap_or_else(|| panic!("no address in {line:?}"))
    }
}

/// The address in `... on http://ADDR/...`.
fn printed_address(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once("on http://")?;
    rest.split('/').next()?.parse().ok()
}

/// A response as read off the connection: its status (0 when there was none), its head
/// and its body.
#[derive(Debug)]
struct Response {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Response {
    /// The value of header `name` (case-insensitive).
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }
}

/// Sends `request` as it is on a new connection and reads until the server closes it.
fn send(addr: SocketAddr, request: &[u8]) -> Response {
    let mut stream = TcpStream::connect_timeout(&addr, DEADLINE).expect("connect to serve");
    stream.set_read_timeout(Some(DEADLINE)).expect("a timeout");
    // The server may answer (and stop reading) before all of an oversized request is sent.
    let _ = stream.write_all(request);
    let mut raw = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
        }
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(raw.len(), |at| at + 4);
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let mut response = Response {
        status,
        head,
        body: raw[split..].to_vec(),
    };
    if response.header("Transfer-Encoding") == Some("chunked") {
        response.body = dechunk(&response.body);
    }
    response
}

/// The body of a chunked response (tiny_http sends large ones so).
fn dechunk(mut chunked: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let Some(line) = chunked.windows(2).position(|w| w == b"\r\n") else {
            panic!("a chunk without a size line");
        };
        let size = std::str::from_utf8(&chunked[..line])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .expect("a chunk size");
        if size == 0 {
            return body;
        }
        let data = &chunked[line + 2..];
        assert!(data.len() >= size + 2, "a chunk cut short");
        body.extend_from_slice(&data[..size]);
        chunked = &data[size + 2..];
    }
}

/// `METHOD TARGET HTTP/1.1` with a Host line.
fn request(method: &str, target: &str) -> Vec<u8> {
    format!("{method} {target} HTTP/1.1\r\nHost: replcheck\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

fn get(addr: SocketAddr, target: &str) -> Response {
    send(addr, &request("GET", target))
}

/// The Explorer answers: `/.status` with its status and `/.states/0` with the actions
/// of the initial state, both 200 and JSON.
fn assert_serving(addr: SocketAddr, after: &str) {
    let status = get(addr, "/.status");
    assert_eq!(status.status, 200, "/.status after {after}: {status:?}");
    assert!(status.json()["model"].is_string(), "/.status after {after}");
    let states = get(addr, "/.states/0");
    assert_eq!(
        states.status, 200,
        "/.states/0 after {after}: {}",
        states.head
    );
    let actions = states.json();
    assert!(
        actions.as_array().is_some_and(|a| !a.is_empty()),
        "/.states/0 after {after}: {actions}"
    );
}

#[test]
fn malformed_requests_get_errors_and_the_server_keeps_serving() {
    let (_serve, addr) = Serve::start(&[]);
    assert_serving(addr, "start");
    let deep = "/0".repeat(1000);
    let get_line = |target: &str| request("GET", target);
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "an action index out of range",
            get_line("/.states/0/99999"),
            404,
        ),
        ("an initial state out of range", get_line("/.states/7"), 404),
        (
            "an index too large for any integer",
            get_line(&format!("/.states/{}", "9".repeat(40))),
            404,
        ),
        (
            "a path that goes on past the model",
            get_line(&format!("/.states/0{deep}/99")),
            404,
        ),
        ("a letter for an index", get_line("/.states/abc"), 400),
        ("a negative index", get_line("/.states/0/-1"), 400),
        ("a signed index", get_line("/.states/+0"), 400),
        ("an empty index", get_line("/.states/0//1"), 400),
        ("no slash after /.states", get_line("/.states0"), 400),
        (
            "an absolute URL",
            get_line("http://example.com/.status"),
            400,
        ),
        (
            "a path longer than a request line may be",
            get_line(&format!("/.states/0{}", "/0".repeat(5000))),
            414,
        ),
        (
            "a path of 100 kB",
            get_line(&format!("/{}", "a".repeat(100_000))),
            414,
        ),
        ("POST", request("POST", "/"), 405),
        ("DELETE", request("DELETE", "/.status"), 405),
        ("PUT on a state", request("PUT", "/.states/0"), 405),
        (
            "GET on run to completion",
            request("GET", "/.runtocompletion"),
            405,
        ),
        (
            "a request line that is not HTTP",
            b"HELLO THERE\r\n\r\n".to_vec(),
            400,
        ),
        (
            "a path that is not UTF-8",
            b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            400,
        ),
        ("every byte value", (0..=255u8).collect(), 400),
        (
            "HTTP/2's preface",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
            505,
        ),
        ("no version", b"GET /.status\r\n\r\n".to_vec(), 400),
        (
            "a header without a colon",
            b"GET /.status HTTP/1.1\r\nHost x\r\n\r\n".to_vec(),
            400,
        ),
        (
            "headers of 40 kB",
            format!("GET /.status HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(40_000)).into_bytes(),
            431,
        ),
        (
            "a body of 100 MB announced",
            b"GET /.status HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n".to_vec(),
            413,
        ),
        (
            "a chunked body",
            b"GET /.status HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
            501,
        ),
    ];
    for (what, bytes, expected) in &cases {
        let response = send(addr, bytes);
        assert_eq!(
            response.status,
            *expected,
            "{what}: {:?} {}",
            response.head,
            String::from_utf8_lossy(&response.body[..response.body.len().min(300)])
        );
        assert_eq!(
            response.header("Connection"),
            Some("close"),
            "{what}: {}",
            response.head
        );
        if *expected == 405 {
            assert!(
                response.header("Allow").is_some(),
                "{what}: {}",
                response.head
            );
        }
        assert_serving(addr, what);
    }
    // And what is well-formed passes: a deep path that exists, HEAD without a body.
    let long = get(addr, &format!("/.states/0{deep}"));
    assert_eq!(long.status, 200, "{}", long.head);
    assert!(long.json().as_array().is_some_and(|a| !a.is_empty()));
    let head = send(addr, &request("HEAD", "/.status"));
    assert_eq!(head.status, 200, "{}", head.head);
    assert!(head.body.is_empty(), "HEAD has no body");
    assert!(head.header("Content-Length").is_some(), "{}", head.head);
    assert_serving(addr, "the valid requests");
}

#[test]
fn silent_slow_and_departed_peers_stop_nobody_else() {
    let (_serve, addr) = Serve::start(&[]);
    let connect = || TcpStream::connect_timeout(&addr, DEADLINE).expect("connect to serve");
    // One says nothing, one stops in the middle of its request line, one in its headers.
    let _silent = connect();
    let mut halfway = connect();
    halfway.write_all(b"GET /.sta").expect("send");
    let mut headers = connect();
    headers
        .write_all(b"GET /.status HTTP/1.1\r\nHost: x\r\n")
        .expect("send");
    let started = Instant::now();
    assert_serving(addr, "three stalled peers");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answers took {:?} with stalled peers connected",
        started.elapsed()
    );
    // One hangs up in the middle of its request, one right after sending it (its answer,
    // a path 2,000 steps deep, is megabytes the front cannot deliver).
    let mut gone = connect();
    gone.write_all(b"GET /.states/0/0 HT").expect("send");
    drop(gone);
    assert_serving(addr, "a peer that hung up mid-request");
    for _ in 0..3 {
        let mut gone = connect();
        let deep = format!("/.states/0{}", "/0".repeat(2000));
        gone.write_all(&request("GET", &deep)).expect("send");
        drop(gone);
    }
    assert_serving(addr, "peers that hung up before their answer");
    drop((halfway, headers));
    assert_serving(addr, "the stalled peers left");
}

#[test]
fn a_crowd_of_silent_peers_does_not_exhaust_the_server() {
    // With 200 file descriptors, 300 silent connections used to run stateright's server
    // out of them; it then failed to accept, and ended.
    let mut serve = Serve::spawn(
        "sh",
        &[
            "-c",
            "ulimit -n 200 && exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_replcheck"),
            "serve",
            MODEL,
            "--addr",
            "127.0.0.1:0",
            "--threads",
            "1",
        ],
    );
    let addr = serve.address();
    assert_serving(addr, "start");
    let crowd: Vec<TcpStream> = (0..300)
        .filter_map(|_| TcpStream::connect_timeout(&addr, DEADLINE).ok())
        .collect();
    assert_eq!(crowd.len(), 300, "connections accepted");
    // While the crowd is there, a peer is answered at once, if only with 503 (or with
    // its connection closed, when the 503 races its request).
    let started = Instant::now();
    let during = get(addr, "/.status");
    assert!(
        matches!(during.status, 503 | 0) && started.elapsed() < Duration::from_secs(3),
        "during the crowd, after {:?}: {during:?}",
        started.elapsed()
    );
    drop(crowd);
    // The seats come free as the front sees each connection close.
    let started = Instant::now();
    while get(addr, "/.status").status != 200 && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_serving(addr, "300 silent peers");
    assert!(
        serve.child.try_wait().expect("serve's status").is_none(),
        "serve exited: {:?}",
        serve.log
    );
}

#[test]
fn the_page_opens_at_a_trace_only_with_trace() {
    let (_serve, addr) = Serve::start(&[]);
    let page = get(addr, "/");
    assert_eq!(page.status, 200, "{}", page.head);
    let text = String::from_utf8_lossy(&page.body);
    assert!(text.contains("<head>"), "{text}");
    assert!(
        !text.contains("location.hash"),
        "a script was added: {text}"
    );
    assert_eq!(
        page.header("Content-Length"),
        Some(page.body.len().to_string().as_str())
    );

    let traces =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("serve-traces-{}", std::process::id()));
    let model = "models/bugs/durable-vote.toml";
    let out = common::command()
        .args(["check", "--trace-dir"])
        .arg(&traces)
        .arg(model)
        .output()
        .expect("the replcheck binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = traces.join("durable-vote.election_safety.json");
    let mut serve = Serve::spawn(
        env!("CARGO_BIN_EXE_replcheck"),
        &[
            "serve",
            model,
            "--addr",
            "127.0.0.1:0",
            "--threads",
            "1",
            "--trace",
            trace.to_str().expect("a UTF-8 path"),
        ],
    );
    let line = serve.first_line().unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&traces);
    let addr = printed_address(&line).unwrap_or_else(|| panic!("no address in {line:?}"));
    let (_, path) = line
        .split_once("#/steps/")
        .and_then(|(a, rest)| Some((a, rest.split(')').next()?)))
        .unwrap_or_else(|| panic!("no trace path in {line:?}"));
    let page = get(addr, "/");
    assert_eq!(page.status, 200, "{}", page.head);
    let text = String::from_utf8_lossy(&page.body);
    assert!(
        text.contains(&format!("location.hash = '#/steps/{path}'")),
        "{text}"
    );
    assert_eq!(
        page.header("Content-Length"),
        Some(page.body.len().to_string().as_str())
    );
    // The trace's own path exists; one step more than its last state offers does not.
    assert_eq!(get(addr, &format!("/.states/{path}")).status, 200);
    assert_eq!(get(addr, &format!("/.states/{path}/99999")).status, 404);
}

#[test]
fn without_addr_it_listens_on_loopback_port_3000_only() {
    let mut serve = Serve::spawn(
        env!("CARGO_BIN_EXE_replcheck"),
        &["serve", MODEL, "--threads", "1"],
    );
    match serve.first_line() {
        Ok(line) => {
            let addr = printed_address(&line).unwrap_or_else(|| panic!("{line:?}"));
            assert_eq!(addr, "127.0.0.1:3000".parse().unwrap(), "{line}");
            assert_serving(addr, "start");
            // The kernel's table of listening sockets: port 3000 on 127.0.0.1, and on no
            // other address (0.0.0.0 or ::).
            let listening = listening_on(3000);
            assert!(
                listening.contains(&"0100007F".to_string()),
                "listening on port 3000: {listening:?}"
            );
            assert!(
                listening.iter().all(|a| a == "0100007F"),
                "listening on port 3000 beyond 127.0.0.1: {listening:?}"
            );
        }
        // Port 3000 is taken here: the refusal must still name 127.0.0.1:3000.
        Err(e) => assert!(
            e.contains("cannot serve the Explorer on 127.0.0.1:3000"),
            "{e}"
        ),
    }
    assert!(
        !serve.log.iter().any(|l| l.contains("0.0.0.0")),
        "{:?}",
        serve.log
    );
}

/// The local addresses (hex, as /proc/net/tcp{,6} write them) of the sockets listening on
/// `port`.
fn listening_on(port: u16) -> Vec<String> {
    let port = format!("{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|row| {
                    let fields: Vec<&str> = row.split_whitespace().collect();
                    let (address, local_port) = fields.get(1)?.split_once(':')?;
                    (local_port == port && fields.get(3) == Some(&"0A"))
                        .then(|| address.to_string())
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// "Run to completion" is replcheck's own search; a property of the model file whose
/// expression fails on a reachable state leaves the status undecided, never "done".
#[test]
fn run_to_completion_reports_a_failed_expression_as_undecided() {
    let dir = std::env::temp_dir().join(format!("replcheck-{}-serve-own", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = std::fs::read_to_string(root().join("tests/fixtures/psa-w1.toml")).unwrap();
    let model = dir.join("failing.toml");
    std::fs::write(
        &model,
        format!(
            "{}\n[[properties]]\nname = \"second_write\"\nkind = \"always\"\nsymmetric = true\ncondition = 'size(acknowledged) == 0 || acknowledged[1].write == 2'\n",
            fixture.split("[expect]").next().unwrap()
        ),
    )
    .unwrap();
    let mut serve = Serve::spawn(
        env!("CARGO_BIN_EXE_replcheck"),
        &[
            "serve",
            model.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
            "--threads",
            "1",
        ],
    );
    let addr = serve.address();
    let before = get(addr, "/.status").json();
    assert_eq!(before["done"], false);
    assert_eq!(before["unique_state_count"], 0);
    let started = send(addr, &request("POST", "/.runtocompletion"));
    assert_eq!(started.status, 200);
    let deadline = Instant::now() + DEADLINE;
    loop {
        let status = get(addr, "/.status").json();
        let progress = status["recent_path"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if progress.starts_with("replcheck's search is over") {
            assert_eq!(status["done"], false, "{status}");
            assert!(
                progress.contains("undecided: second_write: ")
                    && progress.contains("the expression failed on a reachable state"),
                "{progress}"
            );
            assert!(status["unique_state_count"].as_u64().unwrap() > 1000);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the search did not end: {status}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

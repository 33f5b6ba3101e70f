//! `replcheck serve`: stateright's Explorer behind a front that guards it.
//!
//! stateright's Explorer answers its requests one at a time and `unwrap`s what its HTTP
//! server reports: a failure to accept a connection (too many open files, which enough
//! peers that connect and send nothing bring about) ends it for good, and the process
//! with it. So it never faces the network: it listens on a private port of 127.0.0.1,
//! and the front listens on the address the user gave. The front reads every request
//! itself, within a time limit and size limits, and answers with an error of its own
//! whatever is malformed (400, 414, 431, 505), too large (413), too slow (408), not
//! allowed (405), not supported (501) or a path of actions the model does not have
//! (404). What it passes on is rebuilt from the method and path alone, one request per
//! connection, so the Explorer only ever sees requests it can answer.
//!
//! The page comes with its steps numbered from 1 (`STEP_NUMBERS`) and, with `serve
//! --trace`, a script that, when the URL names no path, opens the trace's. The front
//! answers the page's status (`/.status`) and its "Run to completion" itself, with
//! replcheck's own search (`Completion`, `OwnSearch`): the counts and verdicts of `check`.

use crate::check::Outcome;
use std::convert::Infallible;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the front waits for the Explorer to come up.
const STARTUP: Duration = Duration::from_secs(30);
/// How long a peer has to send its whole request, and to take each part of the answer.
const PATIENCE: Duration = Duration::from_secs(10);
/// How long the front waits for the Explorer's answer to one request (it answers one
/// request at a time, so this is also the time spent waiting behind others).
const UPSTREAM_PATIENCE: Duration = Duration::from_secs(60);
/// The longest request line the front reads: a path of about 4,000 steps.
const MAX_REQUEST_LINE: usize = 8 << 10;
/// The longest request head (request line and headers).
const MAX_HEAD: usize = 32 << 10;
/// The largest request body announced (the Explorer's requests have none; a body is
/// never read, only dropped as the connection closes).
const MAX_BODY: usize = 64 << 10;
/// Peers served at once; one more is answered 503 straight away.
const MAX_PEERS: usize = 128;
/// How much of what a peer still sends after its answer the front reads before it
/// closes the connection (closing with unread data resets it, and the peer may lose the
/// answer), and for how long.
const LINGER: (usize, Duration) = (1 << 20, Duration::from_secs(1));

/// Whether a path of the Explorer's (an initial state's index, then an action's index
/// per step) leads to a state of the model.
pub type PathExists = dyn Fn(&[usize]) -> bool + Send + Sync;

/// replcheck's own search behind the page's status and its "Run to completion" button,
/// in place of stateright's checker (which neither reduces by symmetry nor counts as
/// `check` does).
pub trait Completion: Send + Sync {
    /// Starts the search on a thread of its own, unless it has started already.
    fn start(&self);
    /// The page's status, as stateright's `/.status` document: the counts so far, and
    /// each property with the Explorer path of its counterexample or example where one is
    /// known (the trace `serve --trace` opened at is known from the start).
    fn status(&self) -> serde_json::Value;
}

/// The front of one Explorer.
pub struct Front {
    /// Where the Explorer listens (see [`private_address`]).
    pub upstream: SocketAddr,
    /// The path (`0/2/3`) the page opens at when its URL names none (`serve --trace`).
    pub start: Option<String>,
    /// Whether a `/.states/...` path exists in the model.
    pub path_exists: Box<PathExists>,
    /// What answers `/.status` and `/.runtocompletion`.
    pub completion: Box<dyn Completion>,
}

/// A free port on 127.0.0.1 for the Explorer behind the front.
pub fn private_address() -> io::Result<SocketAddr> {
    TcpListener::bind("127.0.0.1:0")?.local_addr()
}

impl Front {
    /// Waits for the Explorer to come up, then serves `listener`'s connections forever,
    /// each on a thread of its own. Returns only if the Explorer never came up.
    pub fn serve(self, listener: TcpListener) -> io::Result<Infallible> {
        wait_for(self.upstream)?;
        let front = Arc::new(self);
        let peers = Arc::new(AtomicUsize::new(0));
        loop {
            let client = match listener.accept() {
                Ok((client, _)) => client,
                Err(_) => {
                    // Out of file descriptors, most likely: wait for some to be closed.
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            };
            if peers.fetch_add(1, Ordering::SeqCst) >= MAX_PEERS {
                peers.fetch_sub(1, Ordering::SeqCst);
                busy(client);
                continue;
            }
            let seat = Seat(Arc::clone(&peers));
            let front = Arc::clone(&front);
            let spawned = std::thread::Builder::new().spawn(move || {
                let _seat = seat;
                front.exchange(client);
            });
            if spawned.is_err() {
                // No thread to be had: the connection and its seat were dropped with
                // the closure; give the machine a moment.
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// One connection: reads its request, answers it, closes it. A peer that hangs up
    /// or stalls affects its own connection only.
    fn exchange(&self, client: TcpStream) {
        let _ = client.set_write_timeout(Some(PATIENCE));
        let (answer, head_only) = match read_request(&client) {
            Err(Unread::Gone) => return,
            Err(Unread::Refused(refusal)) => (refusal.to_response(false), false),
            Ok(request) => {
                let head_only = request.method == "HEAD";
                let answer = match self.route(&request) {
                    Err(refusal) => refusal.to_response(head_only),
                    Ok(()) => match request.target.as_str() {
                        "/.status" => json_response(&self.completion.status()),
                        "/.runtocompletion" => {
                            self.completion.start();
                            json_response(&serde_json::Value::Null)
                        }
                        _ => match self.forward(&request) {
                            Ok(response) => response,
                            Err(refusal) => refusal.to_response(head_only),
                        },
                    },
                };
                (answer, head_only)
            }
        };
        let answer = if head_only {
            head_of(&answer).to_vec()
        } else {
            answer
        };
        let mut client = client;
        if client
            .write_all(&answer)
            .and_then(|()| client.flush())
            .is_ok()
        {
            linger(client);
        }
    }

    /// Whether the front passes `request` on: its method is allowed for its path, and a
    /// `/.states` path is a path of action indices that exists in the model.
    fn route(&self, request: &Request) -> Result<(), Refusal> {
        let target = request.target.as_str();
        if !target.starts_with('/') {
            return Err(Refusal::new(
                400,
                format!("{target} is not a path (it must start with /)"),
            ));
        }
        let allowed: &[&str] = if target == "/.runtocompletion" {
            &["POST"]
        } else {
            &["GET", "HEAD"]
        };
        if !allowed.contains(&request.method.as_str()) {
            return Err(Refusal {
                allow: Some(allowed.join(", ")),
                ..Refusal::new(
                    405,
                    format!("{} is not allowed on {target}", request.method),
                )
            });
        }
        let Some(rest) = target.strip_prefix("/.states") else {
            return Ok(());
        };
        let Some(indices) = action_indices(rest) else {
            return Err(Refusal::new(
                400,
                format!(
                    "{target} is not a path of action indices (/.states/INIT/ACTION/ACTION/...)"
                ),
            ));
        };
        if indices.is_empty() || (self.path_exists)(&indices) {
            Ok(())
        } else {
            Err(Refusal::new(
                404,
                format!("{target}: the model has no such path of actions"),
            ))
        }
    }

    /// Passes `request` on to the Explorer, rebuilt from its method and path (HEAD as
    /// GET), and returns the Explorer's whole response, the page with the start script
    /// added when there is a start.
    fn forward(&self, request: &Request) -> Result<Vec<u8>, Refusal> {
        let gateway = |e: io::Error| {
            let status = match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => 504,
                _ => 502,
            };
            Refusal::new(status, format!("the Explorer did not answer: {e}"))
        };
        let method = if request.method == "HEAD" {
            "GET"
        } else {
            request.method.as_str()
        };
        let length = if method == "POST" {
            "Content-Length: 0\r\n"
        } else {
            ""
        };
        let mut server = TcpStream::connect_timeout(&self.upstream, STARTUP).map_err(gateway)?;
        server
            .set_read_timeout(Some(UPSTREAM_PATIENCE))
            .map_err(gateway)?;
        write!(
            server,
            "{method} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{length}\r\n",
            request.target, self.upstream
        )
        .map_err(gateway)?;
        let mut response = Vec::new();
        server.read_to_end(&mut response).map_err(gateway)?;
        if response.is_empty() {
            return Err(gateway(io::ErrorKind::UnexpectedEof.into()));
        }
        let response = closing(&response);
        if request.target == "/" {
            return Ok(open_at(&response, self.start.as_deref()));
        }
        Ok(response)
    }
}

/// Takes one of the [`MAX_PEERS`] seats; gives it back when dropped.
struct Seat(Arc<AtomicUsize>);

impl Drop for Seat {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Answers a peer beyond [`MAX_PEERS`] 503 without waiting for it, and closes. What it
/// has sent so far is read first, so that closing is less likely to reset the
/// connection before the peer reads the answer.
fn busy(client: TcpStream) {
    let refusal = Refusal::new(503, "too many connections; try again".to_string());
    let mut client = client;
    if client.set_nonblocking(true).is_err() {
        return;
    }
    let mut chunk = [0u8; 8192];
    for _ in 0..8 {
        if !matches!(client.read(&mut chunk), Ok(n) if n > 0) {
            break;
        }
    }
    if client.write_all(&refusal.to_response(false)).is_ok() {
        let _ = client.shutdown(Shutdown::Write);
    }
}

/// Waits until the Explorer accepts connections.
fn wait_for(upstream: SocketAddr) -> io::Result<()> {
    let started = Instant::now();
    loop {
        match TcpStream::connect_timeout(&upstream, Duration::from_millis(200)) {
            Ok(_) => return Ok(()),
            Err(e) if started.elapsed() > STARTUP => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Closes a connection after its answer: no more writing, then reads (and drops) what
/// the peer still sends, up to [`LINGER`], so that closing does not reset the connection
/// before the peer has read the answer.
fn linger(client: TcpStream) {
    let _ = client.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER.1;
    let mut read = 0;
    let mut chunk = [0u8; 8192];
    while read < LINGER.0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || client.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match (&client).read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => read += n,
        }
    }
}

/// A request as the front read it: its method (checked to be a token) and its request
/// target (checked to be visible ASCII).
struct Request {
    method: String,
    target: String,
}

/// Why there is no request to answer.
enum Unread {
    /// The peer hung up, or its connection failed: there is nobody to answer.
    Gone,
    /// The request is refused before it is read to the end.
    Refused(Refusal),
}

/// An error response of the front's own.
struct Refusal {
    status: u16,
    message: String,
    /// The methods allowed (for 405).
    allow: Option<String>,
}

impl Refusal {
    /// A refusal with `status` and `message` (the body, one line of plain text).
    fn new(status: u16, message: String) -> Refusal {
        Refusal {
            status,
            message,
            allow: None,
        }
    }

    /// The whole HTTP response (without its body for a HEAD request).
    fn to_response(&self, head_only: bool) -> Vec<u8> {
        let reason = match self.status {
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            413 => "Content Too Large",
            414 => "URI Too Long",
            431 => "Request Header Fields Too Large",
            501 => "Not Implemented",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            505 => "HTTP Version Not Supported",
            _ => "Error",
        };
        let body = format!("{} {reason}: {}\n", self.status, self.message);
        let allow = self
            .allow
            .as_ref()
            .map(|methods| format!("Allow: {methods}\r\n"))
            .unwrap_or_default();
        let mut out = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n{allow}Connection: close\r\n\r\n",
            self.status,
            body.len()
        )
        .into_bytes();
        if !head_only {
            out.extend_from_slice(body.as_bytes());
        }
        out
    }
}

/// Reads one request's head from `client`, within [`PATIENCE`] and the size limits, and
/// checks its request line (as soon as it is there) and headers. The body, if any, is
/// left unread: no request the front passes on has one.
fn read_request(client: &TcpStream) -> Result<Request, Unread> {
    let deadline = Instant::now() + PATIENCE;
    let mut buffer = Vec::with_capacity(1024);
    let mut request = None;
    loop {
        if request.is_none() {
            // Empty lines before the request line are to be ignored (RFC 9112 §2.2).
            let blank = buffer
                .iter()
                .position(|&b| b != b'\r' && b != b'\n')
                .unwrap_or(buffer.len());
            buffer.drain(..blank);
            let line_end = buffer.iter().position(|&b| b == b'\n');
            if line_end.unwrap_or(buffer.len()) > MAX_REQUEST_LINE {
                return Err(refused(
                    414,
                    format!("the request line is longer than {MAX_REQUEST_LINE} bytes"),
                ));
            }
            if let Some(end) = line_end {
                request = Some(request_line(&buffer[..end]).map_err(Unread::Refused)?);
            }
        }
        let head_end = end_of_head(&buffer);
        if head_end.unwrap_or(buffer.len()) > MAX_HEAD {
            return Err(refused(
                431,
                format!("the request's head is longer than {MAX_HEAD} bytes"),
            ));
        }
        if let Some(end) = head_end {
            if let Some(request) = request.take() {
                headers(&buffer[..end]).map_err(Unread::Refused)?;
                return Ok(request);
            }
        }
        read_some(client, &mut buffer, deadline)?;
    }
}

/// A refusal of a request that has not been read to the end.
fn refused(status: u16, message: String) -> Unread {
    Unread::Refused(Refusal::new(status, message))
}

/// Appends what `client` sends next to `buffer`, waiting until `deadline` at most.
fn read_some(client: &TcpStream, buffer: &mut Vec<u8>, deadline: Instant) -> Result<(), Unread> {
    let timeout = || refused(408, format!("the request took longer than {PATIENCE:?}"));
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(timeout());
    }
    client
        .set_read_timeout(Some(left))
        .map_err(|_| Unread::Gone)?;
    let mut chunk = [0u8; 8192];
    match (&*client).read(&mut chunk) {
        Ok(0) => Err(Unread::Gone),
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            Ok(())
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Err(timeout())
        }
        Err(_) => Err(Unread::Gone),
    }
}

/// Where the request head in `buffer` ends (after the empty line that closes it), if it
/// is all there. Lines may end in CRLF or in a bare LF.
fn end_of_head(buffer: &[u8]) -> Option<usize> {
    buffer
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .find_map(|(i, _)| match &buffer[i + 1..] {
            [b'\n', ..] => Some(i + 2),
            [b'\r', b'\n', ..] => Some(i + 3),
            _ => None,
        })
}

/// The request of a request line (without its line end): its method and target, checked
/// to be a token and visible ASCII, and its version, HTTP/1.0 or HTTP/1.1.
fn request_line(line: &[u8]) -> Result<Request, Refusal> {
    let bad = |message: &str| Refusal::new(400, message.to_string());
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.is_ascii() {
        return Err(bad("the request line is not ASCII"));
    }
    let line = String::from_utf8_lossy(line);
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return Err(bad(
            "not an HTTP request line (METHOD PATH HTTP/1.1, single spaces)",
        ));
    };
    if method.is_empty() || !method.bytes().all(is_token) {
        return Err(bad("the method is not a token"));
    }
    if target.is_empty() || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("the path has characters other than visible ASCII"));
    }
    match version.strip_prefix("HTTP/").map(str::as_bytes) {
        Some(b"1.1" | b"1.0") => {}
        Some([major, b'.', minor]) if major.is_ascii_digit() && minor.is_ascii_digit() => {
            return Err(Refusal::new(
                505,
                format!("{version} is not supported (HTTP/1.1 is)"),
            ))
        }
        _ => return Err(bad("the request line does not end in an HTTP version")),
    }
    Ok(Request {
        method: method.to_string(),
        target: target.to_string(),
    })
}

/// Checks the header lines of a request head (its request line, the first line, is
/// skipped): each a token, a colon and a value without control characters; at most one
/// body length, no larger than [`MAX_BODY`]; no transfer coding.
fn headers(head: &[u8]) -> Result<(), Refusal> {
    let bad = |message: &str| Refusal::new(400, message.to_string());
    let lines = head
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty())
        .skip(1);
    let mut length: Option<usize> = None;
    for header in lines {
        let Some(colon) = header.iter().position(|&b| b == b':') else {
            return Err(bad("a header line has no colon"));
        };
        let (name, value) = (&header[..colon], header[colon + 1..].trim_ascii());
        if name.is_empty() || !name.iter().copied().all(is_token) {
            return Err(bad("a header's name is not a token"));
        }
        if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(bad("a header's value has a control character"));
        }
        if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return Err(Refusal::new(
                501,
                "Transfer-Encoding is not supported (send Content-Length)".to_string(),
            ));
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
                return Err(bad("Content-Length is not a number"));
            }
            let n = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(usize::MAX);
            if length.is_some_and(|l| l != n) {
                return Err(bad("the Content-Length headers disagree"));
            }
            length = Some(n);
        }
    }
    if length.unwrap_or(0) > MAX_BODY {
        return Err(Refusal::new(
            413,
            format!("the request's body is longer than {MAX_BODY} bytes"),
        ));
    }
    Ok(())
}

/// Whether `b` may be part of a token (a method or a header's name, RFC 9110 §5.6.2).
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The action indices of what follows `/.states` in a path (`/0/3/1`, with or without
/// one trailing slash; nothing or `/` for none), or `None` when it is not a path of
/// action indices. An index too large for `usize` is `usize::MAX`, which no model has.
fn action_indices(rest: &str) -> Option<Vec<usize>> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Some(Vec::new());
    }
    rest.strip_prefix('/')?
        .split('/')
        .map(|index| {
            (!index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()))
                .then(|| index.parse().unwrap_or(usize::MAX))
        })
        .collect()
}

/// The Explorer's response with `Connection: close` in its head, for the connection
/// the front closes after it.
fn closing(response: &[u8]) -> Vec<u8> {
    let head = head_of(response);
    let Some(head_text) = std::str::from_utf8(head)
        .ok()
        .and_then(|h| h.strip_suffix("\r\n\r\n"))
    else {
        return response.to_vec();
    };
    let mut out: Vec<u8> = head_text
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .flat_map(|line| [line.as_bytes(), b"\r\n"].concat())
        .collect();
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&response[head.len()..]);
    out
}

/// A 200 response carrying `value` as JSON.
fn json_response(value: &serde_json::Value) -> Vec<u8> {
    let body = value.to_string();
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The head of an HTTP response (up to and with the empty line that ends it).
fn head_of(response: &[u8]) -> &[u8] {
    match response.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(split) => &response[..split + 4],
        None => response,
    }
}

/// The Explorer numbers its "Path of Actions" from the states before the first step
/// (Pre-init, Init): this numbers the steps from 1, as `check` and trace files do, and
/// leaves those two unnumbered.
const STEP_NUMBERS: &str = "<style>ol.path-list{list-style:none;counter-reset:step -2}\
ol.path-list>li{counter-increment:step;display:flex}\
ol.path-list>li::before{content:counter(step) \". \";flex:none;white-space:pre}\
ol.path-list>li:nth-child(-n+2)::before{content:\"\"}</style>";

/// The page's response with replcheck's step numbering (`STEP_NUMBERS`) and, given a
/// `path`, the script that opens `#/steps/{path}` added to its head (and its length
/// corrected). A response that is not the page is left alone.
fn open_at(response: &[u8], path: Option<&str>) -> Vec<u8> {
    let Some(split) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return response.to_vec();
    };
    let (head, body) = (&response[..split], &response[split + 4..]);
    let Ok(text) = std::str::from_utf8(body) else {
        return response.to_vec();
    };
    let script = match path {
        Some(path) => format!(
            "{STEP_NUMBERS}<script>if (!location.hash || location.hash === '#' || location.hash === '#/') {{ location.hash = '#/steps/{path}'; }}</script>"
        ),
        None => STEP_NUMBERS.to_string(),
    };
    let body = match text.find("<head>") {
        Some(i) => format!("{}{script}{}", &text[..i + 6], &text[i + 6..]),
        None => format!("{script}{text}"),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines: Vec<String> = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("content-length:"))
        .map(str::to_string)
        .collect();
    lines.push(format!("Content-Length: {}", body.len()));
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body.as_bytes());
    out
}

/// How far the Explorer's own search has got (`OwnSearch`): states, unique states, depth,
/// seconds. One serve process runs one search, and `check::Options::progress` takes a plain
/// function, so its progress is kept here.
static PROGRESS: std::sync::Mutex<(usize, usize, usize, f64)> =
    std::sync::Mutex::new((0, 0, 0, 0.0));

fn record_progress(p: &crate::check::Progress) {
    *PROGRESS.lock().unwrap_or_else(|e| e.into_inner()) =
        (p.states, p.unique_states, p.max_depth, p.seconds);
}

/// What the own search found, once it is over.
struct Found {
    /// What stopped it before it was complete.
    stop: Option<String>,
    /// Each property's name and kind, with the Explorer path of its trace, if any.
    paths: Vec<(crate::level::PropertyInfo, Option<String>)>,
    /// The properties left undecided (a limit, a failed expression, a trace not found),
    /// with why.
    undecided: Vec<String>,
}

/// replcheck's own search for the Explorer (`Completion`): `check`'s exhaustive run of the
/// model (symmetry, memory ceiling, the same counts), asking for every sometimes-property's
/// witness too, so that the page links an example of each as well as every counterexample.
pub struct OwnSearch<M: crate::level::Level> {
    pub model: Arc<dyn Fn() -> M + Send + Sync>,
    pub spec: crate::config::ModelSpec,
    pub threads: usize,
    pub max_memory: Option<u64>,
    /// The property and Explorer path of the trace `serve --trace` opened at.
    pub traced: Option<(String, String)>,
    started: std::sync::atomic::AtomicBool,
    found: Arc<std::sync::Mutex<Option<Found>>>,
}

impl<M: crate::level::Level + 'static> OwnSearch<M> {
    pub fn new(
        model: Arc<dyn Fn() -> M + Send + Sync>,
        spec: crate::config::ModelSpec,
        threads: usize,
        max_memory: Option<u64>,
        traced: Option<(String, String)>,
    ) -> Self {
        OwnSearch {
            model,
            spec,
            threads,
            max_memory,
            traced,
            started: std::sync::atomic::AtomicBool::new(false),
            found: Arc::default(),
        }
    }
}

impl<M: crate::level::Level + 'static> Completion for OwnSearch<M> {
    fn start(&self) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let make = Arc::clone(&self.model);
        let found = Arc::clone(&self.found);
        let mut spec = self.spec.clone();
        spec.witnesses = spec
            .expectations
            .iter()
            .filter(|(p, _)| p.kind == crate::level::Kind::Sometimes)
            .map(|(p, _)| p.name)
            .collect();
        let options = crate::check::Options {
            threads: self.threads,
            max_memory: self.max_memory,
            progress: Some(record_progress),
            ..crate::check::Options::DEFAULT
        };
        std::thread::spawn(move || {
            let model = make();
            let r = crate::check::explore(model, &spec, options);
            let paths = r
                .properties
                .iter()
                .map(|p| {
                    (
                        p.property.info,
                        p.trace.as_ref().map(|t| t.explorer_path(&r.model)),
                    )
                })
                .collect();
            // The page calls a property without a path "holds" (or "not found") once the
            // search is done: every property that is not so stays undecided.
            let undecided = r
                .properties
                .iter()
                .filter_map(|p| {
                    let name = p.property.info.name;
                    if let Some(failure) = &p.failure {
                        return Some(format!("{name}: {failure}"));
                    }
                    let found = matches!(p.outcome, Outcome::Violated | Outcome::Reachable);
                    match p.outcome {
                        Outcome::Inconclusive => Some(format!("{name}: inconclusive")),
                        _ if found && p.trace.is_none() => Some(format!(
                            "{name}: {} but its trace was not found in time",
                            p.outcome
                        )),
                        _ => None,
                    }
                })
                .collect();
            *found.lock().unwrap_or_else(|e| e.into_inner()) = Some(Found {
                stop: r.stop.map(|s| s.to_string()),
                paths,
                undecided,
            });
        });
    }

    fn status(&self) -> serde_json::Value {
        let (states, unique, depth, seconds) = *PROGRESS.lock().unwrap_or_else(|e| e.into_inner());
        let expectation = |kind| match kind {
            crate::level::Kind::Always => "Always",
            crate::level::Kind::Sometimes => "Sometimes",
        };
        let found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        let traced = |name: &str| {
            self.traced
                .as_ref()
                .filter(|(p, _)| p == name)
                .map(|(_, path)| path.clone())
        };
        let properties: Vec<serde_json::Value> = match &*found {
            Some(f) => f
                .paths
                .iter()
                .map(|(p, path)| serde_json::json!([expectation(p.kind), p.name, path]))
                .collect(),
            None => self
                .spec
                .expectations
                .iter()
                .map(|(p, _)| serde_json::json!([expectation(p.kind), p.name, traced(p.name)]))
                .collect(),
        };
        let done = found.as_ref().is_some_and(|f| f.undecided.is_empty());
        let progress = match &*found {
            Some(f) if f.undecided.is_empty() => None,
            Some(f) => Some(format!(
                "replcheck's search is over{}; undecided: {}",
                f.stop
                    .as_ref()
                    .map(|s| format!(", stopped at {s}"))
                    .unwrap_or_default(),
                f.undecided.join("; ")
            )),
            None if self.started.load(Ordering::SeqCst) => Some(format!(
                "replcheck's search: {unique} unique states, depth {depth}, {seconds:.0} s"
            )),
            None => Some(
                "Run to completion explores every state with replcheck's search (as `check` does)"
                    .to_string(),
            ),
        };
        serde_json::json!({
            "done": done,
            "model": format!("{} ({})", self.spec.name, M::NAME),
            "state_count": states,
            "unique_state_count": unique,
            "max_depth": depth,
            "properties": properties,
            "recent_path": progress,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{action_indices, closing, end_of_head, headers, open_at, request_line};

    #[test]
    fn the_page_opens_at_the_trace() {
        let page = b"HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\n<html><head></head></html>";
        let out = String::from_utf8(open_at(page, Some("0/2/3"))).unwrap();
        assert!(out.contains("location.hash = '#/steps/0/2/3'"));
        let body = out.split("\r\n\r\n").nth(1).unwrap();
        assert!(out.contains(&format!("Content-Length: {}\r\n", body.len())));
        assert!(body.starts_with("<html><head><style>ol.path-list"));
        // Without a trace, only the step numbering.
        let out = String::from_utf8(open_at(page, None)).unwrap();
        assert!(out.contains("counter-reset:step -2"));
        assert!(!out.contains("location.hash"));
    }

    #[test]
    fn forwarded_responses_say_the_connection_closes() {
        let raw = b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(
            String::from_utf8(closing(raw)).unwrap(),
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        );
    }

    #[test]
    fn other_responses_pass_unchanged() {
        let raw = b"HTTP/1.1 404 Not Found\r\n";
        assert_eq!(open_at(raw, Some("0")), raw.to_vec());
    }

    #[test]
    fn paths_of_action_indices() {
        assert_eq!(action_indices(""), Some(vec![]));
        assert_eq!(action_indices("/"), Some(vec![]));
        assert_eq!(action_indices("/0/3/1"), Some(vec![0, 3, 1]));
        assert_eq!(action_indices("/0/3/"), Some(vec![0, 3]));
        assert_eq!(
            action_indices("/99999999999999999999999"),
            Some(vec![usize::MAX])
        );
        for bad in [
            "/abc", "/0/-1", "/+0", "//", "/0//1", "0", "/0/1//", "/0 1", "/%30",
        ] {
            assert_eq!(action_indices(bad), None, "{bad}");
        }
    }

    #[test]
    fn heads_end_at_an_empty_line() {
        assert_eq!(end_of_head(b"GET / HTTP/1.1\r\n\r\nrest"), Some(18));
        assert_eq!(end_of_head(b"GET / HTTP/1.1\n\nrest"), Some(16));
        assert_eq!(end_of_head(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
    }

    #[test]
    fn request_lines_and_headers() {
        let line = |l: &[u8]| request_line(l).err().map(|r| r.status);
        assert_eq!(line(b"GET /.status HTTP/1.1\r"), None);
        assert_eq!(line(b"HEAD / HTTP/1.0"), None);
        assert_eq!(line(b"HELLO THERE\r"), Some(400));
        assert_eq!(line(b"GET /\xff HTTP/1.1"), Some(400));
        assert_eq!(line(b"GET  / HTTP/1.1"), Some(400));
        assert_eq!(line(b"GET / HTTP/1.1 extra"), Some(400));
        assert_eq!(line(b"G(T / HTTP/1.1"), Some(400));
        assert_eq!(line(b"GET / HTTP/2.0"), Some(505));
        assert_eq!(line(b"GET / FTP/1.1"), Some(400));
        let head = |h: &[u8]| headers(h).err().map(|r| r.status);
        assert_eq!(head(b"GET / HTTP/1.1\r\nHost: x\r\nX: \xff\r\n\r\n"), None);
        assert_eq!(head(b"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"), None);
        assert_eq!(head(b"GET / HTTP/1.1\r\nno colon\r\n\r\n"), Some(400));
        assert_eq!(head(b"GET / HTTP/1.1\r\n folded: x\r\n\r\n"), Some(400));
        assert_eq!(head(b"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n"), Some(400));
        assert_eq!(
            head(b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            Some(400)
        );
        assert_eq!(
            head(b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            Some(400)
        );
        assert_eq!(
            head(b"GET / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"),
            Some(413)
        );
        assert_eq!(
            head(b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Some(501)
        );
    }
}

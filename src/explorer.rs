//! `replcheck serve FILE --trace TRACEFILE`: stateright's Explorer, opening at a trace.
//!
//! The Explorer's page shows whatever path its URL's fragment names (`#/steps/0/2/3`) and
//! the initial states when there is none; its server cannot be told where to start. So
//! `serve --trace` puts a small front in its place: the front listens on the address the
//! user gave and passes every request through to the Explorer, listening on a private
//! port of 127.0.0.1, except the page itself, which it hands out with one line added: a
//! script that, when the URL names no path, opens the trace's. Every request is passed
//! on as it came, with `Connection: close` so that one connection carries one exchange.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// How long the front waits for the Explorer to come up, and for a slow peer.
const PATIENCE: Duration = Duration::from_secs(30);

/// A free port on 127.0.0.1 for the Explorer behind the front.
pub fn private_address() -> io::Result<SocketAddr> {
    TcpListener::bind("127.0.0.1:0")?.local_addr()
}

/// Serves `listener`'s connections forever, passing them to the Explorer at `upstream`
/// and opening its page at `#/steps/{path}`.
pub fn front(listener: TcpListener, upstream: SocketAddr, path: String) -> io::Result<()> {
    wait_for(upstream)?;
    for client in listener.incoming() {
        let Ok(client) = client else { continue };
        let path = path.clone();
        std::thread::spawn(move || {
            // A peer that hangs up or sends garbage affects its own exchange only.
            let _ = exchange(client, upstream, &path);
        });
    }
    Ok(())
}

/// Waits until the Explorer accepts connections.
fn wait_for(upstream: SocketAddr) -> io::Result<()> {
    let started = std::time::Instant::now();
    loop {
        match TcpStream::connect_timeout(&upstream, Duration::from_millis(200)) {
            Ok(_) => return Ok(()),
            Err(e) if started.elapsed() > PATIENCE => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// One request and its response.
fn exchange(client: TcpStream, upstream: SocketAddr, path: &str) -> io::Result<()> {
    client.set_read_timeout(Some(PATIENCE))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut target = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let trimmed = line.trim_end();
        if head.is_empty() {
            target = trimmed.split(' ').nth(1).unwrap_or("").to_string();
        }
        if trimmed.is_empty() {
            break;
        }
        let lower = trimmed.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("connection:") {
            continue;
        }
        head.push(trimmed.to_string());
    }
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let mut request = head.join("\r\n");
    request.push_str("\r\nConnection: close\r\n\r\n");
    let mut server = TcpStream::connect(upstream)?;
    server.set_read_timeout(Some(PATIENCE))?;
    server.write_all(request.as_bytes())?;
    server.write_all(&body)?;
    let mut response = Vec::new();
    server.read_to_end(&mut response)?;
    let mut client = client;
    if target == "/" || target == "/index.htm" {
        response = open_at(&response, path);
    }
    client.write_all(&response)?;
    client.flush()
}

/// The page's response with the script that opens `#/steps/{path}` added to its head
/// (and its length corrected). A response that is not the page is left alone.
fn open_at(response: &[u8], path: &str) -> Vec<u8> {
    let Some(split) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return response.to_vec();
    };
    let (head, body) = (&response[..split], &response[split + 4..]);
    let Ok(text) = std::str::from_utf8(body) else {
        return response.to_vec();
    };
    let script = format!(
        "<script>if (!location.hash || location.hash === '#' || location.hash === '#/') {{ location.hash = '#/steps/{path}'; }}</script>"
    );
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

#[cfg(test)]
mod tests {
    use super::open_at;

    #[test]
    fn the_page_opens_at_the_trace() {
        let page = b"HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\n<html><head></head></html>";
        let out = String::from_utf8(open_at(page, "0/2/3")).unwrap();
        assert!(out.contains("location.hash = '#/steps/0/2/3'"));
        let body = out.split("\r\n\r\n").nth(1).unwrap();
        assert!(out.contains(&format!("Content-Length: {}\r\n", body.len())));
        assert!(body.starts_with("<html><head><script>"));
    }

    #[test]
    fn other_responses_pass_unchanged() {
        let raw = b"HTTP/1.1 404 Not Found\r\n";
        assert_eq!(open_at(raw, "0"), raw.to_vec());
    }
}

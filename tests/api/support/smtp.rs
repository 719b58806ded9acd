//! A real SMTP server on loopback for the tests: it speaks just enough SMTP for lettre,
//! keeps every message it accepts, and can be stopped and started again on its port to
//! play a mail server that is down for a while.

use base64::Engine;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The subject of the email every registration sends to confirm the address.
pub const REGISTRATION_CONFIRMATION: &str = "Confirm your gatehouse email address";

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent, dot-unstuffed, CRLF line ends.
    pub raw: String,
}

pub struct SmtpSink {
    addr: SocketAddr,
    /// How long the server takes over each message, to make senders overlap.
    delay: Duration,
    inbox: Arc<Mutex<Vec<Received>>>,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_slow(Duration::ZERO).await
    }

    /// A server that takes `delay` over each message it accepts.
    pub async fn start_slow(delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding the SMTP sink");
        let addr = listener.local_addr().expect("the sink's address");
        let sink = Self { addr, delay, inbox: Arc::default(), server: Mutex::new(None) };
        sink.serve(listener);
        sink
    }

    /// `SMTP_URL` for the app.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Closes the port and every open connection: the mail server is down.
    pub async fn stop(&self) {
        let server = self.server.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(server) = server {
            server.abort();
            // Returns once the task, its listener and its connections are gone.
            server.await.ok();
        }
    }

    /// Listens again on the same port.
    pub async fn resume(&self) {
        let listener = TcpListener::bind(self.addr).await.expect("binding the SMTP sink again");
        self.serve(listener);
    }

    /// Every message but the address confirmations that every registration sends, so
    /// that tests of other mail need not count them; see [`SmtpSink::all_messages`].
    pub fn messages(&self) -> Vec<Received> {
        self.all_messages().into_iter().filter(|m| m.subject() != REGISTRATION_CONFIRMATION).collect()
    }

    pub fn all_messages(&self) -> Vec<Received> {
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Waits (boundedly) until one of all the messages matches `wanted`, and returns it.
    pub async fn wait_for_one(&self, what: &str, wanted: impl Fn(&Received) -> bool) -> Received {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(found) = self.all_messages().into_iter().find(&wanted) {
                return found;
            }
            assert!(Instant::now() < deadline, "no email {what} came: {:#?}", self.all_messages());
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits (boundedly) until `count` messages have arrived, and returns all of them.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} emails, got {}: {messages:#?}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    fn serve(&self, listener: TcpListener) {
        let (inbox, delay) = (self.inbox.clone(), self.delay);
        let server = tokio::spawn(async move {
            // Dropped with the task on `stop`, which aborts every connection.
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                connections.spawn(session(stream, inbox.clone(), delay));
            }
        });
        *self.server.lock().unwrap_or_else(PoisonError::into_inner) = Some(server);
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(server) = self.server.lock().unwrap_or_else(PoisonError::into_inner).take() {
            server.abort();
        }
    }
}

async fn session(stream: TcpStream, inbox: Arc<Mutex<Vec<Received>>>, delay: Duration) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut reply = async |text: &str| write.write_all(format!("{text}\r\n").as_bytes()).await.is_ok();
    if !reply("220 sink.test ESMTP test sink").await {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    loop {
        let Some(line) = read_line(&mut lines).await else { return };
        let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        let answer = match verb.as_str() {
            "EHLO" => "250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8",
            "HELO" | "NOOP" => "250 OK",
            "RSET" => {
                (from, to) = (String::new(), Vec::new());
                "250 OK"
            }
            "MAIL" => {
                from = address(&line);
                "250 OK"
            }
            // A permanent refusal, for addresses that say so: `bounce…@…`.
            "RCPT" if address(&line).starts_with("bounce") => "550 5.1.1 no such mailbox here",
            "RCPT" => {
                to.push(address(&line));
                "250 OK"
            }
            "DATA" => {
                if !reply("354 end with <CRLF>.<CRLF>").await {
                    return;
                }
                let Some(raw) = read_data(&mut lines).await else { return };
                tokio::time::sleep(delay).await;
                let message = Received { from: std::mem::take(&mut from), to: std::mem::take(&mut to), raw };
                inbox.lock().unwrap_or_else(PoisonError::into_inner).push(message);
                "250 OK queued"
            }
            "QUIT" => {
                reply("221 bye").await;
                return;
            }
            _ => "502 command not implemented",
        };
        if !reply(answer).await {
            return;
        }
    }
}

async fn read_line(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<String> {
    let mut line = String::new();
    match lines.read_line(&mut line).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
    }
}

async fn read_data(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<String> {
    let mut raw = String::new();
    loop {
        let line = read_line(lines).await?;
        if line == "." {
            return Some(raw);
        }
        let line = line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line);
        raw.push_str(line);
        raw.push_str("\r\n");
    }
}

/// `MAIL FROM:<a@b>` -> `a@b`.
fn address(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].to_owned()
}

impl Received {
    /// The `Subject` header (lettre encodes non-ASCII subjects; ours are ASCII).
    pub fn subject(&self) -> String {
        self.header(&self.raw, "subject").unwrap_or_default()
    }

    /// The decoded text/plain part.
    pub fn text(&self) -> String {
        self.part("text/plain")
    }

    /// The decoded text/html part.
    pub fn html(&self) -> String {
        self.part("text/html")
    }

    /// The one link in the text part that starts with `prefix`, as a reader would copy it.
    pub fn link(&self, prefix: &str) -> String {
        let text = self.text();
        let links: Vec<&str> = text.lines().map(str::trim).filter(|l| l.starts_with(prefix)).collect();
        assert_eq!(links.len(), 1, "expected one line starting with {prefix} in:\n{text}");
        links[0].to_owned()
    }

    fn header(&self, block: &str, name: &str) -> Option<String> {
        let head = block.split("\r\n\r\n").next().unwrap_or_default();
        // Unfold continuation lines first.
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
        })
    }

    fn part(&self, mime: &str) -> String {
        let boundary = self
            .header(&self.raw, "content-type")
            .and_then(|ct| ct.split("boundary=").nth(1).map(|b| b.trim_matches('"').to_owned()))
            .expect("a multipart message");
        let delimiter = format!("--{boundary}");
        let part = self
            .raw
            .split(&delimiter)
            .find(|part| {
                self.header(part.trim_start_matches("\r\n"), "content-type")
                    .is_some_and(|ct| ct.starts_with(mime))
            })
            .unwrap_or_else(|| panic!("no {mime} part in:\n{}", self.raw));
        let part = part.trim_start_matches("\r\n");
        let encoding = self.header(part, "content-transfer-encoding").unwrap_or_default().to_lowercase();
        let body = part.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        match encoding.as_str() {
            "quoted-printable" => decode_quoted_printable(body),
            "base64" => {
                let compact: String = body.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD.decode(compact).expect("base64 body");
                String::from_utf8(bytes).expect("UTF-8 body")
            }
            _ => body.to_owned(),
        }
        .replace("\r\n", "\n")
    }
}

/// RFC 2045 section 6.7: `=XX` is a byte, `=` at the end of a line is a soft break.
pub fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "").replace("=\n", "");
    let mut bytes = Vec::with_capacity(joined.len());
    let mut input = joined.as_bytes().iter();
    while let Some(&byte) = input.next() {
        if byte == b'=' {
            let hex: Vec<u8> = input.by_ref().take(2).copied().collect();
            let value = std::str::from_utf8(&hex).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            bytes.push(value.expect("a valid =XX escape"));
        } else {
            bytes.push(byte);
        }
    }
    String::from_utf8(bytes).expect("UTF-8 after decoding")
}

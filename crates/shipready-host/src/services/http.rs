//! HTTP requests to the run's live targets (`http` interface), made by the
//! host for checks: only to the origins given with `--url` (and, for an
//! `https` origin, its plain-`http` counterpart on port 80, to see that it
//! redirects). Every origin has a request budget; every request a time
//! limit; every body is cut at a size limit. Redirects are followed only
//! within the allowed origins; one that leaves them is reported, never
//! followed. Certificates are not judged here: an untrusted certificate
//! still gets an answer (the `tls` check judges it).

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use url::Url;

/// Bounds on what the host does for checks against live targets.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Requests one check may send to one origin in one run, redirects
    /// included (so no check can spend another's budget).
    pub max_requests_per_origin: u32,
    /// The whole of one request: connect, TLS, headers and body.
    pub timeout: Duration,
    /// Body bytes kept per response; the rest is not read.
    pub max_body_bytes: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_requests_per_origin: 60,
            timeout: Duration::from_secs(10),
            max_body_bytes: 256 * 1024,
            concurrency: 8,
        }
    }
}

/// Request headers a check may not set: they would reach another site
/// behind the same address (`host`) or break the framing.
pub const FORBIDDEN_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
];

/// Redirects followed for one request, at most.
pub const MAX_REDIRECTS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Options,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub follow_redirects: bool,
}

/// One answer on the way to the final response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub url: String,
    pub status: u16,
    pub location: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub url: String,
    pub status: u16,
    /// Lower-case names; a repeated header is repeated.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub truncated: bool,
    pub redirects: Vec<Hop>,
    pub off_origin: Option<String>,
    pub elapsed_ms: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    Refused(String),
    Dns(String),
    Connect(String),
    Timeout(String),
    Protocol(String),
    Redirects(String),
    Budget(String),
}

/// Scheme, host and port: what must match for a request to be allowed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    fn of(url: &Url) -> Option<Origin> {
        Some(Origin {
            scheme: url.scheme().to_string(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
        })
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// The run's HTTP client: shared by every check of a run, so budgets are
/// per run.
pub struct HttpService {
    allowed: HashSet<Origin>,
    agent: ureq::Agent,
    limits: HttpLimits,
    /// Requests spent, by check and origin.
    used: Mutex<HashMap<(String, Origin), u32>>,
    made: AtomicU32,
}

impl std::fmt::Debug for HttpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpService")
            .field("allowed", &self.allowed)
            .field("limits", &self.limits)
            .field("made", &self.requests_made())
            .finish()
    }
}

impl HttpService {
    /// A client for these `--url` targets. A target that is not an
    /// `http(s)` URL allows nothing (a request to it is refused, saying why).
    pub fn new(urls: &[String], limits: HttpLimits) -> HttpService {
        let mut allowed = HashSet::new();
        for url in urls.iter().filter_map(|u| Url::parse(u).ok()) {
            if !matches!(url.scheme(), "http" | "https") {
                continue;
            }
            if let Some(origin) = Origin::of(&url) {
                if origin.scheme == "https" {
                    allowed.insert(Origin {
                        scheme: "http".into(),
                        host: origin.host.clone(),
                        port: 80,
                    });
                }
                allowed.insert(origin);
            }
        }
        let tls = ureq::tls::TlsConfig::builder()
            .disable_verification(true)
            .build();
        let agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(limits.timeout))
            .max_response_header_size(64 * 1024)
            .user_agent(concat!("shipready/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .into();
        HttpService {
            allowed,
            agent,
            limits,
            used: Mutex::new(HashMap::new()),
            made: AtomicU32::new(0),
        }
    }

    /// Requests made so far in this run, redirects included.
    pub fn requests_made(&self) -> u32 {
        self.made.load(Ordering::Relaxed)
    }

    /// Send every request of `check`, a few at a time; one answer per
    /// request, in order.
    pub fn send(&self, check: &str, requests: &[Request]) -> Vec<Result<Response, HttpError>> {
        let mut out = Vec::with_capacity(requests.len());
        for batch in requests.chunks(self.limits.concurrency.max(1)) {
            std::thread::scope(|s| {
                let running: Vec<_> = batch
                    .iter()
                    .map(|r| s.spawn(|| self.one(check, r)))
                    .collect();
                for handle in running {
                    out.push(handle.join().unwrap_or_else(|_| {
                        Err(HttpError::Protocol(
                            "the request failed inside the host".into(),
                        ))
                    }));
                }
            });
        }
        out
    }

    fn allowed(&self, raw: &str) -> Result<(Url, Origin), HttpError> {
        let url = Url::parse(raw)
            .map_err(|e| HttpError::Refused(format!("`{raw}` is not a URL: {e}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(HttpError::Refused(
                "a URL with a user name or password (credentials are never sent or shown)".into(),
            ));
        }
        let origin = Origin::of(&url)
            .filter(|o| matches!(o.scheme.as_str(), "http" | "https"))
            .ok_or_else(|| HttpError::Refused(format!("`{raw}` is not an http(s) URL")))?;
        if !self.allowed.contains(&origin) {
            return Err(HttpError::Refused(format!(
                "{origin} is not one of the origins given with --url"
            )));
        }
        Ok((url, origin))
    }

    fn spend(&self, check: &str, origin: &Origin) -> Result<(), HttpError> {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        let n = used.entry((check.to_string(), origin.clone())).or_default();
        if *n >= self.limits.max_requests_per_origin {
            return Err(HttpError::Budget(format!(
                "{origin}: this check's budget of {} requests per origin is spent",
                self.limits.max_requests_per_origin
            )));
        }
        *n += 1;
        self.made.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn one(&self, check: &str, request: &Request) -> Result<Response, HttpError> {
        let started = Instant::now();
        if let Some((name, _)) = request
            .headers
            .iter()
            .find(|(n, _)| FORBIDDEN_HEADERS.iter().any(|f| n.eq_ignore_ascii_case(f)))
        {
            return Err(HttpError::Refused(format!(
                "the `{name}` request header is set by the host only"
            )));
        }
        let (mut url, mut origin) = self.allowed(&request.url)?;
        let mut redirects = Vec::new();
        let mut seen = HashSet::from([url.to_string()]);
        loop {
            self.spend(check, &origin)?;
            let mut response = self.fetch(request, &url)?;
            let location = header(&response.headers, "location").map(str::to_string);
            let next = match (&location, (300..400).contains(&response.status)) {
                (Some(l), true) => url.join(l).ok(),
                _ => None,
            };
            let Some(next) = next else {
                response.redirects = redirects;
                response.elapsed_ms = elapsed_ms(started);
                return Ok(response);
            };
            let next_origin = Origin::of(&next).filter(|o| self.allowed.contains(o));
            if next_origin.is_none() {
                response.off_origin = Some(next.to_string());
            }
            let (Some(next_origin), true) = (next_origin, request.follow_redirects) else {
                response.redirects = redirects;
                response.elapsed_ms = elapsed_ms(started);
                return Ok(response);
            };
            redirects.push(Hop {
                url: url.to_string(),
                status: response.status,
                location,
            });
            if !seen.insert(next.to_string()) {
                return Err(HttpError::Redirects(format!(
                    "redirect loop: {} leads back to {next}",
                    url
                )));
            }
            if redirects.len() > MAX_REDIRECTS {
                return Err(HttpError::Redirects(format!(
                    "more than {MAX_REDIRECTS} redirects from {}",
                    request.url
                )));
            }
            url = next;
            origin = next_origin;
        }
    }

    /// One request, no redirect followed.
    fn fetch(&self, request: &Request, url: &Url) -> Result<Response, HttpError> {
        let target = url.as_str();
        let mut response = match request.method {
            Method::Get => with_headers(self.agent.get(target), &request.headers).call(),
            Method::Head => with_headers(self.agent.head(target), &request.headers).call(),
            Method::Options => with_headers(self.agent.options(target), &request.headers).call(),
        }
        .map_err(|e| classify(e, url))?;
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let status = response.status().as_u16();
        let mut body = Vec::new();
        let mut truncated = false;
        if request.method != Method::Head {
            let limit = self.limits.max_body_bytes;
            response
                .body_mut()
                .as_reader()
                .take(limit as u64 + 1)
                .read_to_end(&mut body)
                .map_err(|e| classify_io(e, url))?;
            if body.len() > limit {
                body.truncate(limit);
                truncated = true;
            }
        }
        Ok(Response {
            url: url.to_string(),
            status,
            headers,
            body,
            truncated,
            redirects: Vec::new(),
            off_origin: None,
            elapsed_ms: 0,
        })
    }
}

fn elapsed_ms(started: Instant) -> u32 {
    started.elapsed().as_millis().min(u32::MAX as u128) as u32
}

fn with_headers<B>(
    mut builder: ureq::RequestBuilder<B>,
    headers: &[(String, String)],
) -> ureq::RequestBuilder<B> {
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
}

/// The first value of a header (names are lower-case).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn classify(e: ureq::Error, url: &Url) -> HttpError {
    let host = url.host_str().unwrap_or_default();
    match e {
        ureq::Error::HostNotFound => HttpError::Dns(format!("{host} does not resolve")),
        ureq::Error::ConnectionFailed => {
            HttpError::Connect(format!("cannot connect to {}", origin_text(url)))
        }
        ureq::Error::Timeout(t) => HttpError::Timeout(format!(
            "{}: no complete answer in time ({t})",
            origin_text(url)
        )),
        ureq::Error::Io(io) => classify_io(io, url),
        ureq::Error::Tls(m) => {
            HttpError::Protocol(format!("{}: TLS failed: {m}", origin_text(url)))
        }
        ureq::Error::Rustls(e) => {
            HttpError::Protocol(format!("{}: TLS failed: {e}", origin_text(url)))
        }
        ureq::Error::BadUri(m) => HttpError::Refused(format!("bad URL: {m}")),
        other => HttpError::Protocol(format!(
            "{}: not an HTTP answer ({other})",
            origin_text(url)
        )),
    }
}

fn classify_io(e: std::io::Error, url: &Url) -> HttpError {
    use std::io::ErrorKind::*;
    let at = origin_text(url);
    // The system resolver's failures come as untyped I/O errors.
    let text = e.to_string();
    if text.contains("lookup address") || text.contains("Name or service not known") {
        return HttpError::Dns(format!(
            "{} does not resolve ({text})",
            url.host_str().unwrap_or_default()
        ));
    }
    match e.kind() {
        ConnectionRefused | ConnectionReset | ConnectionAborted | NotConnected
        | AddrNotAvailable => HttpError::Connect(format!("{at}: {e}")),
        TimedOut | WouldBlock => HttpError::Timeout(format!("{at}: no complete answer in time")),
        _ => HttpError::Protocol(format!("{at}: {e}")),
    }
}

fn origin_text(url: &Url) -> String {
    Origin::of(url).map_or_else(|| url.to_string(), |o| o.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> HttpService {
        HttpService::new(&["https://app.test:8443".into()], HttpLimits::default())
    }

    fn get(url: &str) -> Request {
        Request {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            follow_redirects: true,
        }
    }

    /// Every case here is refused before anything is sent.
    #[test]
    fn only_the_given_origins_and_no_smuggled_host_or_credentials() {
        let http = service();
        let refused =
            |r: Request| matches!(http.send("t", &[r]).pop(), Some(Err(HttpError::Refused(_))));
        assert!(refused(get("https://other.test:8443/")));
        assert!(refused(get("https://app.test/")), "another port");
        assert!(refused(get("ftp://app.test:8443/")));
        assert!(refused(get("not a url")));
        assert!(refused(get("https://user:secret@app.test:8443/")));
        let mut smuggled = get("https://app.test:8443/");
        smuggled
            .headers
            .push(("Host".into(), "admin.internal".into()));
        assert!(refused(smuggled));
        assert_eq!(http.requests_made(), 0);
    }

    #[test]
    fn each_check_has_its_own_budget_per_origin() {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            for stream in listener.incoming().take(2) {
                let mut stream = stream.unwrap();
                let mut buf = [0u8; 1024];
                let _ = std::io::Read::read(&mut stream, &mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                );
            }
        });
        let http = HttpService::new(
            std::slice::from_ref(&origin),
            HttpLimits {
                max_requests_per_origin: 1,
                ..HttpLimits::default()
            },
        );
        let page = get(&format!("{origin}/"));
        let first = http.send("a", &[page.clone(), page.clone()]);
        assert_eq!(first.iter().filter(|r| r.is_ok()).count(), 1, "{first:?}");
        assert!(first.iter().any(|r| matches!(r, Err(HttpError::Budget(_)))));
        assert!(
            http.send("b", &[page])[0].is_ok(),
            "another check's budget is its own"
        );
        assert_eq!(http.requests_made(), 2);
        server.join().unwrap();
    }
}

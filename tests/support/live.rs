//! Live sites for the URL tests: small HTTP(S) servers on 127.0.0.1 that
//! the tests start themselves, each serving one scenario. Bounded: a
//! server answers at most `MAX_CONNECTIONS` connections and stops when
//! dropped. HTTPS uses a certificate minted for the test.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Connections one test server accepts before it stops.
const MAX_CONNECTIONS: usize = 200;

/// An application's HTML page.
pub const APP_PAGE: &str = "<!doctype html><html><body>app</body></html>";

/// One answer.
#[derive(Debug, Clone)]
pub struct Route {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Route {
    pub fn new(status: u16, body: impl AsRef<[u8]>) -> Self {
        Route {
            status,
            headers: Vec::new(),
            body: body.as_ref().to_vec(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn redirect(status: u16, location: &str) -> Self {
        Route::new(status, "").header("Location", location)
    }

    /// A page with every header a careful site sends (HSTS, CSP with
    /// frame-ancestors, nosniff, Referrer-Policy, a session cookie with
    /// every flag): the live checks find nothing wrong with it.
    pub fn careful_page() -> Self {
        Route::new(200, APP_PAGE)
            .header(
                "Strict-Transport-Security",
                "max-age=63072000; includeSubDomains",
            )
            .header(
                "Content-Security-Policy",
                "default-src 'self'; frame-ancestors 'none'",
            )
            .header("X-Content-Type-Options", "nosniff")
            .header("Referrer-Policy", "strict-origin-when-cross-origin")
            .header(
                "Set-Cookie",
                "session=abc123; Path=/; Secure; HttpOnly; SameSite=Lax",
            )
    }
}

/// What a server does with a connection.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Answer by path; unknown paths get `fallback`.
    Site {
        routes: HashMap<String, Route>,
        fallback: Route,
        /// Echo the request's `Origin` in `Access-Control-Allow-Origin`,
        /// with credentials allowed.
        reflect_origin: bool,
        /// Wait this long before each answer (a distant server).
        latency: Duration,
    },
    /// Accept and never answer.
    Silent,
    /// Answer something that is not HTTP.
    NotHttp,
    /// Answer 200 with a body of this many bytes, sent as it is read.
    Huge(usize),
}

impl Behaviour {
    /// A site: these routes, 404 for the rest.
    pub fn site(routes: &[(&str, Route)]) -> Self {
        Behaviour::Site {
            routes: routes
                .iter()
                .map(|(p, r)| (p.to_string(), r.clone()))
                .collect(),
            fallback: Route::new(404, "Not Found"),
            reflect_origin: false,
            latency: Duration::ZERO,
        }
    }

    /// Answer each request after `delay`.
    pub fn latency(mut self, delay: Duration) -> Self {
        if let Behaviour::Site { latency, .. } = &mut self {
            *latency = delay;
        }
        self
    }

    /// Answer unknown paths with `fallback` (a soft 404 when it is 200).
    pub fn fallback(mut self, route: Route) -> Self {
        if let Behaviour::Site { fallback, .. } = &mut self {
            *fallback = route;
        }
        self
    }

    pub fn reflecting_origin(mut self) -> Self {
        if let Behaviour::Site { reflect_origin, .. } = &mut self {
            *reflect_origin = true;
        }
        self
    }
}

/// A running test server; stops when dropped.
pub struct LiveServer {
    pub addr: SocketAddr,
    tls: bool,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl LiveServer {
    /// Serve plain HTTP.
    pub fn http(behaviour: Behaviour) -> Self {
        Self::start(behaviour, None)
    }

    /// Serve HTTPS with a self-signed certificate for 127.0.0.1 and localhost.
    pub fn https(behaviour: Behaviour) -> Self {
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
            .expect("test certificate");
        let key = cert.signing_key.serialize_der();
        Self::https_with(vec![cert.cert.der().to_vec()], key, behaviour)
    }

    /// Serve HTTPS (TLS 1.2 and 1.3) with this chain (DER, leaf first)
    /// and PKCS#8 key.
    pub fn https_with(chain: Vec<Vec<u8>>, key: Vec<u8>, behaviour: Behaviour) -> Self {
        let chain = chain
            .into_iter()
            .map(rustls::pki_types::CertificateDer::from)
            .collect();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server config");
        Self::start(behaviour, Some(Arc::new(config)))
    }

    fn start(behaviour: Behaviour, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let is_tls = tls.is_some();
        let thread = {
            let stop = stop.clone();
            let requests = requests.clone();
            std::thread::spawn(move || {
                let mut accepted = 0;
                while !stop.load(Ordering::Relaxed) && accepted < MAX_CONNECTIONS {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            accepted += 1;
                            let behaviour = behaviour.clone();
                            let tls = tls.clone();
                            let requests = requests.clone();
                            let stop = stop.clone();
                            std::thread::spawn(move || {
                                let _ = stream.set_nonblocking(false);
                                serve(stream, &behaviour, tls, &requests, &stop);
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        LiveServer {
            addr,
            tls: is_tls,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    /// `http(s)://127.0.0.1:PORT`, no trailing slash.
    pub fn origin(&self) -> String {
        format!(
            "{}://{}",
            if self.tls { "https" } else { "http" },
            self.addr
        )
    }

    /// Requests answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    behaviour: &Behaviour,
    tls: Option<Arc<rustls::ServerConfig>>,
    requests: &AtomicUsize,
    stop: &AtomicBool,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    match tls {
        Some(config) => {
            let Ok(conn) = rustls::ServerConnection::new(config) else {
                return;
            };
            let mut tls = rustls::StreamOwned::new(conn, stream);
            answer(&mut tls, behaviour, requests, stop);
        }
        None => {
            let mut plain = stream;
            answer(&mut plain, behaviour, requests, stop);
        }
    }
}

/// Read one request and answer it.
fn answer(
    stream: &mut (impl Read + Write),
    behaviour: &Behaviour,
    requests: &AtomicUsize,
    stop: &AtomicBool,
) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    requests.fetch_add(1, Ordering::Relaxed);
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split_whitespace();
    let method = first.next().unwrap_or_default().to_string();
    let path = first.next().unwrap_or("/").to_string();
    let origin = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("origin"))
        .map(|(_, v)| v.trim().to_string());
    match behaviour {
        Behaviour::Silent => {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Behaviour::NotHttp => {
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\x00\x01garbage\r\n\r\n");
        }
        Behaviour::Huge(size) => {
            let _ = stream.write_all(
                format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < *size {
                let n = chunk.len().min(size - sent);
                if stream.write_all(&chunk[..n]).is_err() {
                    return;
                }
                sent += n;
            }
        }
        Behaviour::Site {
            routes,
            fallback,
            reflect_origin,
            latency,
        } => {
            std::thread::sleep(*latency);
            let route = routes.get(&path).unwrap_or(fallback);
            let mut out = format!("HTTP/1.1 {} Test\r\n", route.status);
            for (n, v) in &route.headers {
                out.push_str(&format!("{n}: {v}\r\n"));
            }
            if let (true, Some(o)) = (reflect_origin, origin) {
                out.push_str(&format!(
                    "Access-Control-Allow-Origin: {o}\r\nAccess-Control-Allow-Credentials: true\r\n"
                ));
            }
            let body: &[u8] = if method == "HEAD" { b"" } else { &route.body };
            out.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                route.body.len()
            ));
            let _ = stream.write_all(out.as_bytes());
            let _ = stream.write_all(body);
        }
    }
    let _ = stream.flush();
}

/// A certificate authority minted for one test.
pub struct TestCa {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    /// The CA certificate, PEM (for `--ca-file`).
    pub pem: String,
    der: Vec<u8>,
}

impl TestCa {
    pub fn new() -> Self {
        let key = rcgen::KeyPair::generate().expect("CA key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "shipready test CA");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let cert = params.self_signed(&key).expect("CA certificate");
        TestCa {
            pem: cert.pem(),
            der: cert.der().to_vec(),
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    /// A leaf for `names`, valid from `from_days` to `to_days` days from
    /// now: its chain (leaf, CA) as DER and its PKCS#8 key.
    pub fn leaf(&self, names: &[&str], from_days: i64, to_days: i64) -> (Vec<Vec<u8>>, Vec<u8>) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names.clone()).expect("leaf params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, names[0].as_str());
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now + time::Duration::days(from_days);
        params.not_after = now + time::Duration::days(to_days);
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        (
            vec![cert.der().to_vec(), self.der.clone()],
            key.serialize_der(),
        )
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

/// A TLS server run by another program (openssl, gnutls-serv) on
/// 127.0.0.1, for what rustls refuses to serve (TLS 1.0, weak suites and
/// keys). Killed when dropped.
pub struct ExternalServer {
    pub port: u16,
    child: std::process::Child,
}

impl ExternalServer {
    /// Start `program args…` where `{port}` in an argument is a free port,
    /// and wait until it accepts connections.
    pub fn start(program: &str, args: &[&str]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("{port}", &port.to_string()))
            .collect();
        let child = std::process::Command::new(program)
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program} ({e}): .ci/run installs it"));
        let server = ExternalServer { port, child };
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("{program} did not listen on 127.0.0.1:{port}");
    }
}

impl Drop for ExternalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

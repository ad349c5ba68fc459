//! The TLS of the run's live targets (`tls` interface), examined by the
//! host: only with the hosts and ports of the `https` origins given with
//! `--url`. A modern handshake (rustls) that completes whatever the
//! certificate, so the chain can be judged: trust against the system roots
//! or `--ca-file`, the name, OCSP stapling. Then raw ClientHellos, one
//! connection each, to learn which protocol versions (TLS 1.0 to 1.2) and
//! which weak suites the server accepts: rustls cannot speak those, and the
//! server's ServerHello is all the answer needed.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub subject: String,
    pub issuer: String,
    pub names: Vec<String>,
    pub not_before: i64,
    pub not_after: i64,
    pub key_type: String,
    pub key_bits: u32,
    pub signature_algorithm: String,
    pub self_signed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    pub protocol: String,
    pub cipher: String,
    pub chain: Vec<Certificate>,
    pub untrusted: Option<String>,
    pub name_matches: bool,
    pub ocsp_stapled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionProbe {
    pub version: String,
    pub accepted: bool,
    pub cipher: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CipherProbe {
    pub class: String,
    pub accepted: bool,
    pub cipher: Option<String>,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub now: i64,
    pub handshake: Option<Handshake>,
    pub handshake_error: Option<String>,
    pub versions: Vec<VersionProbe>,
    pub weak_ciphers: Vec<CipherProbe>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsError {
    Refused(String),
    Dns(String),
    Connect(String),
    Timeout(String),
}

/// What the certificates are checked against.
#[derive(Debug)]
enum Trust {
    Roots(Arc<RootCertStore>),
    /// No usable roots (none on the machine): every chain is untrusted, for this reason.
    None(String),
}

/// The run's TLS prober.
#[derive(Debug)]
pub struct TlsService {
    allowed: HashSet<(String, u16)>,
    trust: Trust,
    timeout: Duration,
    provider: Arc<CryptoProvider>,
    connections: AtomicU32,
    /// Targets already examined in this run.
    done: Mutex<HashMap<(String, u16), Result<Inspection, TlsError>>>,
}

impl TlsService {
    /// A prober for the `https` targets among `urls`, trusting the system's
    /// roots, or only the certificates of `ca_file` when given (an error
    /// when that file cannot be read or holds none).
    pub fn new(urls: &[String], ca_file: Option<&Path>, timeout: Duration) -> Result<Self, String> {
        let allowed = urls
            .iter()
            .filter_map(|u| Url::parse(u).ok())
            .filter(|u| u.scheme() == "https")
            .filter_map(|u| Some((host_key(u.host()?), u.port_or_known_default()?)))
            .collect();
        let trust = match ca_file {
            Some(path) => {
                let mut roots = RootCertStore::empty();
                let certs = CertificateDer::pem_file_iter(path)
                    .map_err(|e| format!("--ca-file {}: {e}", path.display()))?;
                for cert in certs {
                    let cert = cert.map_err(|e| format!("--ca-file {}: {e}", path.display()))?;
                    roots
                        .add(cert)
                        .map_err(|e| format!("--ca-file {}: {e}", path.display()))?;
                }
                if roots.is_empty() {
                    return Err(format!(
                        "--ca-file {}: no PEM certificate in it",
                        path.display()
                    ));
                }
                Trust::Roots(Arc::new(roots))
            }
            None => {
                let mut roots = RootCertStore::empty();
                roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
                if roots.is_empty() {
                    Trust::None(
                        "no trusted root certificates on this machine (give --ca-file)".into(),
                    )
                } else {
                    Trust::Roots(Arc::new(roots))
                }
            }
        };
        Ok(TlsService {
            allowed,
            trust,
            timeout,
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            connections: AtomicU32::new(0),
            done: Mutex::new(HashMap::new()),
        })
    }

    /// Examine `host:port` (the host as in the URL: a name, in Unicode or
    /// punycode, or an IP address, IPv6 with or without brackets). The
    /// probes run at once, one connection each, each within the time
    /// limit; a target is examined once per run and the answer reused.
    pub fn inspect(&self, host: &str, port: u16) -> Result<Inspection, TlsError> {
        let parsed = parse_host(host)
            .ok_or_else(|| TlsError::Refused(format!("`{host}` is not a host name")))?;
        let key = (host_key(parsed), port);
        if !self.allowed.contains(&key) {
            return Err(TlsError::Refused(format!(
                "{}:{port} is not the host and port of an https origin given with --url",
                key.0
            )));
        }
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(answer) = done.get(&key) {
            return answer.clone();
        }
        let answer = self.examine(&key.0, port);
        done.insert(key, answer.clone());
        answer
    }

    fn examine(&self, host: &str, port: u16) -> Result<Inspection, TlsError> {
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|e| TlsError::Dns(format!("{host} does not resolve ({e})")))?
            .collect();
        // The first address that accepts a connection; a target that is
        // down is one clear error.
        let mut last = TlsError::Dns(format!("{host} has no address"));
        let mut reachable = None;
        for addr in addrs {
            match self.connect(addr, Instant::now() + self.timeout) {
                Ok(_) => {
                    reachable = Some(addr);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let addr = reachable.ok_or(last)?;
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let failed = |what: &str| format!("the {what} probe failed inside the host");
        let (handshake, versions, weak) = std::thread::scope(|s| {
            let modern = s.spawn(move || self.handshake(addr, host));
            let tls13 = s.spawn(move || self.tls13(addr, host));
            let legacy: Vec<_> = [
                (0x0301, "TLSv1.0"),
                (0x0302, "TLSv1.1"),
                (0x0303, "TLSv1.2"),
            ]
            .into_iter()
            .map(|(code, name)| {
                (
                    name,
                    s.spawn(move || self.version_probe(addr, host, code, name)),
                )
            })
            .collect();
            let weak: Vec<_> = WEAK_CLASSES
                .iter()
                .map(|(class, suites)| {
                    (
                        *class,
                        s.spawn(move || self.cipher_probe(addr, host, class, suites)),
                    )
                })
                .collect();
            let refused = |version: &str| VersionProbe {
                version: version.into(),
                accepted: false,
                cipher: None,
                detail: failed(version),
            };
            let mut versions: Vec<VersionProbe> = legacy
                .into_iter()
                .map(|(name, h)| h.join().unwrap_or_else(|_| refused(name)))
                .collect();
            versions.push(tls13.join().unwrap_or_else(|_| refused("TLSv1.3")));
            let weak = weak
                .into_iter()
                .map(|(class, h)| {
                    h.join().unwrap_or_else(|_| CipherProbe {
                        class: class.into(),
                        accepted: false,
                        cipher: None,
                        version: String::new(),
                    })
                })
                .collect();
            (
                modern.join().unwrap_or_else(|_| Err(failed("handshake"))),
                versions,
                weak,
            )
        });
        let (handshake, handshake_error) = match handshake {
            Ok(h) => (Some(h), None),
            Err(e) => (None, Some(e)),
        };
        Ok(Inspection {
            now,
            handshake,
            handshake_error,
            versions,
            weak_ciphers: weak,
        })
    }

    /// Connections opened so far in this run.
    pub fn connections_made(&self) -> u32 {
        self.connections.load(Ordering::Relaxed)
    }

    /// A connection whose reads and writes give up at `deadline`.
    fn connect(&self, addr: SocketAddr, deadline: Instant) -> Result<Deadlined, TlsError> {
        self.connections.fetch_add(1, Ordering::Relaxed);
        let stream = TcpStream::connect_timeout(&addr, left(deadline)).map_err(|e| {
            if e.kind() == std::io::ErrorKind::TimedOut {
                TlsError::Timeout(format!("{addr}: no connection in time"))
            } else {
                TlsError::Connect(format!("{addr}: {e}"))
            }
        })?;
        Ok(Deadlined { stream, deadline })
    }

    fn client(
        &self,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> (Arc<rustls::ClientConfig>, Arc<Capture>) {
        let verifier = match &self.trust {
            Trust::Roots(roots) => {
                WebPkiServerVerifier::builder_with_provider(roots.clone(), self.provider.clone())
                    .build()
                    .map_err(|e| e.to_string())
            }
            Trust::None(why) => Err(why.clone()),
        };
        let capture = Arc::new(Capture {
            verifier,
            provider: self.provider.clone(),
            seen: Mutex::default(),
        });
        let config = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(versions)
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(capture.clone())
            .with_no_client_auth();
        (Arc::new(config), capture)
    }

    /// A modern handshake, completed whatever the certificate.
    fn handshake(&self, addr: SocketAddr, host: &str) -> Result<Handshake, String> {
        let name = server_name(host)?;
        let (config, capture) = self.client(rustls::ALL_VERSIONS);
        let mut conn =
            rustls::ClientConnection::new(config, name.clone()).map_err(|e| e.to_string())?;
        let mut sock = self
            .connect(addr, Instant::now() + self.timeout)
            .map_err(|e| format!("{e:?}"))?;
        while conn.is_handshaking() {
            conn.complete_io(&mut sock)
                .map_err(|e| format!("no TLS 1.2 or 1.3 handshake: {e}"))?;
        }
        let chain_der: Vec<CertificateDer<'static>> = conn
            .peer_certificates()
            .map(|c| c.iter().map(|d| d.clone().into_owned()).collect())
            .unwrap_or_default();
        let seen = capture.seen.lock().unwrap_or_else(|p| p.into_inner());
        let name_matches = chain_der.first().is_some_and(|leaf| {
            rustls::server::ParsedCertificate::try_from(leaf)
                .is_ok_and(|parsed| rustls::client::verify_server_name(&parsed, &name).is_ok())
        });
        Ok(Handshake {
            protocol: conn
                .protocol_version()
                .map_or_else(String::new, |v| version_name(u16::from(v))),
            cipher: conn
                .negotiated_cipher_suite()
                .map_or_else(String::new, |s| format!("{:?}", s.suite())),
            chain: chain_der.iter().filter_map(|d| describe(d)).collect(),
            untrusted: seen.untrusted.clone(),
            name_matches,
            ocsp_stapled: !seen.ocsp.is_empty(),
        })
    }

    /// TLS 1.3 alone, through rustls (a raw hello would need its key share).
    fn tls13(&self, addr: SocketAddr, host: &str) -> VersionProbe {
        let probe = |accepted, cipher, detail: String| VersionProbe {
            version: "TLSv1.3".into(),
            accepted,
            cipher,
            detail,
        };
        let Ok(name) = server_name(host) else {
            return probe(false, None, "not a host name".into());
        };
        let (config, _) = self.client(&[&rustls::version::TLS13]);
        let Ok(mut conn) = rustls::ClientConnection::new(config, name) else {
            return probe(false, None, "no client".into());
        };
        let mut sock = match self.connect(addr, Instant::now() + self.timeout) {
            Ok(s) => s,
            Err(e) => return probe(false, None, format!("{e:?}")),
        };
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(&mut sock) {
                return probe(false, None, e.to_string());
            }
        }
        probe(
            true,
            conn.negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite())),
            String::new(),
        )
    }

    fn version_probe(
        &self,
        addr: SocketAddr,
        host: &str,
        version: u16,
        name: &str,
    ) -> VersionProbe {
        match self.hello(addr, host, version, BROAD_SUITES) {
            Ok(Reply::ServerHello { version: v, suite }) if v == version => VersionProbe {
                version: name.into(),
                accepted: true,
                cipher: Some(suite_name(suite)),
                detail: String::new(),
            },
            Ok(Reply::ServerHello { version: v, .. }) => VersionProbe {
                version: name.into(),
                accepted: false,
                cipher: None,
                detail: format!("answered with {} instead", version_name(v)),
            },
            Ok(Reply::Refused(detail)) | Err(detail) => VersionProbe {
                version: name.into(),
                accepted: false,
                cipher: None,
                detail,
            },
        }
    }

    fn cipher_probe(
        &self,
        addr: SocketAddr,
        host: &str,
        class: &str,
        suites: &[u16],
    ) -> CipherProbe {
        let reply = self.hello(addr, host, 0x0303, suites);
        let (accepted, cipher) = match reply {
            Ok(Reply::ServerHello { suite, .. }) if suites.contains(&suite) => {
                (true, Some(suite_name(suite)))
            }
            _ => (false, None),
        };
        CipherProbe {
            class: class.into(),
            accepted,
            cipher,
            version: "TLSv1.2".into(),
        }
    }

    /// Send one ClientHello and read the first record of the answer.
    fn hello(
        &self,
        addr: SocketAddr,
        host: &str,
        version: u16,
        suites: &[u16],
    ) -> Result<Reply, String> {
        let mut sock = self
            .connect(addr, Instant::now() + self.timeout)
            .map_err(|e| format!("{e:?}"))?;
        sock.write_all(&client_hello(host, version, suites))
            .map_err(|e| format!("write: {e}"))?;
        let mut header = [0u8; 5];
        if let Err(e) = sock.read_exact(&mut header) {
            return Ok(Reply::Refused(format!(
                "connection closed without an answer ({e})"
            )));
        }
        let len = u16::from_be_bytes([header[3], header[4]]) as usize;
        let mut body = vec![0u8; len.min(1 << 14)];
        sock.read_exact(&mut body)
            .map_err(|e| format!("answer cut short ({e})"))?;
        match header[0] {
            0x15 => Ok(Reply::Refused(match body.get(1) {
                Some(code) => format!("alert {code} ({})", alert_name(*code)),
                None => "an alert".into(),
            })),
            // A ServerHello: type 2, length, version, random, session id, suite.
            0x16 if body.first() == Some(&2) && body.len() >= 39 => {
                let version = u16::from_be_bytes([body[4], body[5]]);
                let sid = body[38] as usize;
                let at = 39 + sid;
                let suite = body
                    .get(at..at + 2)
                    .map(|b| u16::from_be_bytes([b[0], b[1]]))
                    .ok_or("a ServerHello cut short")?;
                Ok(Reply::ServerHello { version, suite })
            }
            other => Ok(Reply::Refused(format!(
                "not a TLS handshake (record type {other})"
            ))),
        }
    }
}

/// A socket bound by one deadline: every read and write waits at most
/// the time left, so a server that trickles bytes cannot hold a probe
/// past it.
struct Deadlined {
    stream: TcpStream,
    deadline: Instant,
}

fn left(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}

fn past() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "the probe's time limit passed",
    )
}

impl Read for Deadlined {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if Instant::now() >= self.deadline {
            return Err(past());
        }
        self.stream.set_read_timeout(Some(left(self.deadline)))?;
        self.stream.read(buf)
    }
}

impl Write for Deadlined {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if Instant::now() >= self.deadline {
            return Err(past());
        }
        self.stream.set_write_timeout(Some(left(self.deadline)))?;
        self.stream.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

/// A host as the allow-list keys it: lower-case ASCII (punycode) names,
/// IP addresses without brackets.
fn host_key<S: AsRef<str>>(host: url::Host<S>) -> String {
    match host {
        url::Host::Domain(d) => d.as_ref().to_ascii_lowercase(),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    }
}

/// A host given by a check, parsed as a URL's host would be.
fn parse_host(host: &str) -> Option<url::Host<String>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return Some(match ip {
            std::net::IpAddr::V4(v4) => url::Host::Ipv4(v4),
            std::net::IpAddr::V6(v6) => url::Host::Ipv6(v6),
        });
    }
    url::Host::parse(bare).ok()
}

enum Reply {
    ServerHello { version: u16, suite: u16 },
    Refused(String),
}

fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_string()).map_err(|e| format!("{host}: {e}"))
}

fn version_name(code: u16) -> String {
    match code {
        0x0300 => "SSLv3".into(),
        0x0301 => "TLSv1.0".into(),
        0x0302 => "TLSv1.1".into(),
        0x0303 => "TLSv1.2".into(),
        0x0304 => "TLSv1.3".into(),
        other => format!("0x{other:04x}"),
    }
}

/// IANA names of the legacy suites the probes offer (rustls names only
/// the suites it implements).
const LEGACY_SUITE_NAMES: &[(u16, &str)] = &[
    (0x0001, "TLS_RSA_WITH_NULL_MD5"),
    (0x0002, "TLS_RSA_WITH_NULL_SHA"),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"),
    (0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
    (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x000B, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    (0x000C, "TLS_DH_DSS_WITH_DES_CBC_SHA"),
    (0x000E, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"),
    (0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"),
    (0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"),
    (0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"),
    (0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"),
    (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    (0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
    (0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    (0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
    (0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA"),
    (0x003B, "TLS_RSA_WITH_NULL_SHA256"),
    (0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    (0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"),
    (0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"),
    (0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"),
    (0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    (0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"),
    (0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"),
    (0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"),
    (0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    (0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA"),
    (0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    (0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    (0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    (0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"),
    (0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"),
];

fn suite_name(code: u16) -> String {
    if let Some((_, name)) = LEGACY_SUITE_NAMES.iter().find(|(c, _)| *c == code) {
        return (*name).to_string();
    }
    let name = format!("{:?}", rustls::CipherSuite::from(code));
    if name.starts_with("Unknown") || name.starts_with("CipherSuite(") {
        format!("0x{code:04X}")
    } else {
        name
    }
}

fn alert_name(code: u8) -> &'static str {
    match code {
        40 => "handshake failure",
        47 => "illegal parameter",
        70 => "protocol version",
        71 => "insufficient security",
        80 => "internal error",
        86 => "inappropriate fallback",
        112 => "unrecognized name",
        _ => "refused",
    }
}

/// Suites for the version probes: enough of every kind that only the
/// version decides.
const BROAD_SUITES: &[u16] = &[
    0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA8, 0xCCA9, 0xC009, 0xC00A, 0xC013, 0xC014, 0x0033, 0x0039,
    0x009E, 0x009F, 0x002F, 0x0035, 0x009C, 0x009D, 0x000A,
];

/// Weak suites, by class, each offered alone.
pub const WEAK_CLASSES: &[(&str, &[u16])] = &[
    ("3DES", &[0x000A, 0x0013, 0x0016, 0xC008, 0xC012]),
    ("RC4", &[0x0004, 0x0005, 0xC007, 0xC011, 0x0018]),
    (
        "EXPORT",
        &[
            0x0003, 0x0006, 0x0008, 0x000B, 0x000E, 0x0011, 0x0014, 0x0017, 0x0019,
        ],
    ),
    ("DES", &[0x0009, 0x000C, 0x0012, 0x0015]),
    ("NULL", &[0x0001, 0x0002, 0x003B, 0xC006, 0xC010]),
    (
        "anonymous",
        &[
            0x0034, 0x003A, 0x006C, 0x006D, 0x00A6, 0x00A7, 0xC018, 0xC019,
        ],
    ),
    (
        "no forward secrecy",
        &[
            0x002F, 0x0035, 0x003C, 0x003D, 0x009C, 0x009D, 0x0041, 0x0084,
        ],
    ),
];

/// A TLS 1.0–1.2 ClientHello offering `suites` at `version`, with the
/// extensions servers need to choose (SNI, groups, point formats,
/// signature algorithms) and no fallback signal.
fn client_hello(host: &str, version: u16, suites: &[u16]) -> Vec<u8> {
    let mut ext = Vec::new();
    let mut push_ext = |kind: u16, data: &[u8]| {
        ext.extend_from_slice(&kind.to_be_bytes());
        ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
        ext.extend_from_slice(data);
    };
    if host.parse::<std::net::IpAddr>().is_err() {
        let name = host.as_bytes();
        let mut sni = Vec::new();
        sni.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
        sni.push(0);
        sni.extend_from_slice(&(name.len() as u16).to_be_bytes());
        sni.extend_from_slice(name);
        push_ext(0x0000, &sni);
    }
    push_ext(0x000a, &[0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18]);
    push_ext(0x000b, &[0x01, 0x00]);
    if version >= 0x0303 {
        let algorithms: [u16; 11] = [
            0x0401, 0x0501, 0x0601, 0x0804, 0x0805, 0x0806, 0x0403, 0x0503, 0x0603, 0x0201, 0x0203,
        ];
        let mut data = ((algorithms.len() * 2) as u16).to_be_bytes().to_vec();
        for a in algorithms {
            data.extend_from_slice(&a.to_be_bytes());
        }
        push_ext(0x000d, &data);
    }
    push_ext(0xff01, &[0x00]);

    let mut body = Vec::new();
    body.extend_from_slice(&version.to_be_bytes());
    let random: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
    body.extend_from_slice(&random);
    body.push(0); // no session id
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // compression: null
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);

    let mut handshake = vec![1];
    handshake.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

/// A certificate's facts, from its DER.
fn describe(der: &[u8]) -> Option<Certificate> {
    use x509_parser::prelude::*;
    use x509_parser::public_key::PublicKey;
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let oid_name = |oid: &x509_parser::der_parser::oid::Oid<'_>| {
        x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry())
            .map_or_else(|_| oid.to_id_string(), str::to_string)
    };
    let (key_type, key_bits) = match cert.public_key().parsed() {
        Ok(PublicKey::RSA(k)) => ("rsa".to_string(), k.key_size() as u32),
        Ok(PublicKey::EC(p)) => ("ec".to_string(), p.key_size() as u32),
        Ok(PublicKey::DSA(_)) => ("dsa".to_string(), 0),
        _ => match cert
            .public_key()
            .algorithm
            .algorithm
            .to_id_string()
            .as_str()
        {
            "1.3.101.112" => ("ed25519".to_string(), 256),
            "1.3.101.113" => ("ed448".to_string(), 456),
            other => (other.to_string(), 0),
        },
    };
    let names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(d) => Some(d.to_string()),
                    GeneralName::IPAddress(ip) => match ip.len() {
                        4 => {
                            Some(std::net::IpAddr::from(<[u8; 4]>::try_from(*ip).ok()?).to_string())
                        }
                        16 => Some(
                            std::net::IpAddr::from(<[u8; 16]>::try_from(*ip).ok()?).to_string(),
                        ),
                        _ => None,
                    },
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Certificate {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        names,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        key_type,
        key_bits,
        signature_algorithm: oid_name(&cert.signature_algorithm.algorithm),
        self_signed: cert.subject() == cert.issuer(),
    })
}

/// What the handshake's certificate check saw.
#[derive(Debug, Default)]
struct Seen {
    ocsp: Vec<u8>,
    untrusted: Option<String>,
}

/// Accepts every certificate (the chain is judged, not refused) and
/// records what the real verifier says of it.
#[derive(Debug)]
struct Capture {
    verifier: Result<Arc<WebPkiServerVerifier>, String>,
    provider: Arc<CryptoProvider>,
    seen: Mutex<Seen>,
}

impl ServerCertVerifier for Capture {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let untrusted = match &self.verifier {
            Err(why) => Some(why.clone()),
            Ok(v) => match v.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Ok(_) => None,
                // The name is judged on its own; the chain is what counts here.
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) => None,
                Err(rustls::Error::InvalidCertificate(e)) => Some(certificate_error(&e)),
                Err(e) => Some(e.to_string()),
            },
        };
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.ocsp = ocsp_response.to_vec();
        seen.untrusted = untrusted;
        Ok(ServerCertVerified::assertion())
    }

    // Handshake signatures are not judged: weak keys are reported from the
    // certificate, and ring refuses RSA keys under 2048 bits outright.
    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn certificate_error(e: &CertificateError) -> String {
    match e {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => "expired".into(),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "not valid yet".into()
        }
        CertificateError::UnknownIssuer => {
            "issued by an unknown authority (self-signed, a private CA, or the intermediates are missing)".into()
        }
        CertificateError::BadSignature => "a signature in the chain does not verify".into(),
        CertificateError::Revoked => "revoked".into(),
        CertificateError::Other(e) => format!("refused by the verifier ({e})"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_hello_is_well_formed() {
        let hello = client_hello("app.example.com", 0x0301, &[0x000A, 0xC013]);
        assert_eq!(&hello[..3], &[0x16, 0x03, 0x01]);
        let record_len = u16::from_be_bytes([hello[3], hello[4]]) as usize;
        assert_eq!(record_len, hello.len() - 5);
        assert_eq!(hello[5], 1);
        let hs_len = u32::from_be_bytes([0, hello[6], hello[7], hello[8]]) as usize;
        assert_eq!(hs_len, hello.len() - 9);
        assert_eq!(&hello[9..11], &[0x03, 0x01]);
        assert!(hello.windows(15).any(|w| w == b"app.example.com"));
        // An IP literal gets no SNI.
        let ip = client_hello("127.0.0.1", 0x0303, &[0x002F]);
        assert!(!ip.windows(9).any(|w| w == b"127.0.0.1"));
    }

    #[test]
    fn hosts_match_however_they_are_written() {
        let key = |h: &str| parse_host(h).map(host_key);
        assert_eq!(key("[::1]"), key("::1"));
        assert_eq!(key("APP.Example.com"), Some("app.example.com".into()));
        assert_eq!(key("bücher.example"), Some("xn--bcher-kva.example".into()));
        let tls =
            TlsService::new(&["https://[::1]:1/".into()], None, Duration::from_secs(1)).unwrap();
        assert!(tls.allowed.contains(&("::1".to_string(), 1)));
    }

    #[test]
    fn only_https_origins_may_be_probed() {
        let tls = TlsService::new(
            &["https://app.test:8443".into(), "http://plain.test".into()],
            None,
            Duration::from_secs(1),
        )
        .unwrap();
        assert!(matches!(
            tls.inspect("plain.test", 80),
            Err(TlsError::Refused(_))
        ));
        assert!(matches!(
            tls.inspect("app.test", 443),
            Err(TlsError::Refused(_))
        ));
    }

    #[test]
    fn a_ca_file_without_certificates_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let e = TlsService::new(&[], Some(&path), Duration::from_secs(1)).unwrap_err();
        assert!(e.contains("no PEM certificate"), "{e}");
        let e = TlsService::new(
            &[],
            Some(&dir.path().join("missing.pem")),
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(e.contains("missing.pem"), "{e}");
    }
}

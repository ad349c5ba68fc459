//! Bindings for `shipready:check@0.4.0` (`wit/check.wit`): 0.3.0 plus
//! `sql.parse-files`, repository files read and parsed by the host.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "plugin",
});

pub use shipready::check::types;
use shipready::check::{history, http, log, repo, search as search_wit, sql, tls};

use crate::services::http as service;
use crate::services::tls as tls_service;

pub const VERSION: &str = "0.4.0";
/// The interface a check of this version exports.
pub const CHECK_EXPORT: &str = "shipready:check/check@0.4.0";
const FINDINGS_IMPORT: &str = "shipready:check/findings@0.4.0";

since_0_3_host!(
    capabilities { Http, Tls }
    sql {
        fn parse_files(
            &mut self,
            paths: Vec<String>,
            dialect: sql::Dialect,
        ) -> Vec<Result<sql::ParsedFile, types::HostError>> {
            let index = match self.require(Capability::Repo) {
                Ok(index) => index,
                Err(d) => return refused(d, &paths),
            };
            crate::services::sql::parse_files(index, &paths, sql_dialect(dialect))
                .into_iter()
                .map(|r| {
                    r.map(|f| sql::ParsedFile {
                        header: f.header,
                        parsed: wit_parsed(f.parsed),
                    })
                    .map_err(host_error)
                })
                .collect()
        }

        fn count_statements(&mut self, paths: Vec<String>) -> Vec<Result<u32, types::HostError>> {
            let index = match self.require(Capability::Repo) {
                Ok(index) => index,
                Err(d) => return refused(d, &paths),
            };
            crate::services::sql::count_statements(index, &paths)
                .into_iter()
                .map(|r| r.map_err(host_error))
                .collect()
        }
    }
);

/// The same refusal for every path of a call.
fn refused<T>(d: Denied, paths: &[String]) -> Vec<Result<T, types::HostError>> {
    let e = denied(d);
    paths.iter().map(|_| Err(e.clone())).collect()
}

pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    add_0_3_to_linker(linker)?;
    http::add_to_linker::<State, HasSelf<State>>(linker, |s| s)?;
    tls::add_to_linker::<State, HasSelf<State>>(linker, |s| s)
}

impl tls::Host for State {
    fn inspect(&mut self, host: String, port: u16) -> Result<tls::Inspection, tls::TlsError> {
        let Some(prober) = self
            .tls
            .clone()
            .filter(|_| self.granted.contains(&Capability::Tls))
        else {
            return Err(tls::TlsError::NotGranted);
        };
        let i = prober.inspect(&host, port).map_err(|e| match e {
            tls_service::TlsError::Refused(m) => tls::TlsError::Refused(m),
            tls_service::TlsError::Dns(m) => tls::TlsError::Dns(m),
            tls_service::TlsError::Connect(m) => tls::TlsError::Connect(m),
            tls_service::TlsError::Timeout(m) => tls::TlsError::Timeout(m),
        })?;
        Ok(tls::Inspection {
            now: i.now,
            handshake: i.handshake.map(|h| tls::Handshake {
                protocol: h.protocol,
                cipher: h.cipher,
                chain: h
                    .chain
                    .into_iter()
                    .map(|c| tls::Certificate {
                        subject: c.subject,
                        issuer: c.issuer,
                        names: c.names,
                        not_before: c.not_before,
                        not_after: c.not_after,
                        key_type: c.key_type,
                        key_bits: c.key_bits,
                        signature_algorithm: c.signature_algorithm,
                        self_signed: c.self_signed,
                    })
                    .collect(),
                untrusted: h.untrusted,
                name_matches: h.name_matches,
                ocsp_stapled: h.ocsp_stapled,
            }),
            handshake_error: i.handshake_error,
            versions: i
                .versions
                .into_iter()
                .map(|v| tls::VersionProbe {
                    version: v.version,
                    accepted: v.accepted,
                    cipher: v.cipher,
                    detail: v.detail,
                })
                .collect(),
            weak_ciphers: i
                .weak_ciphers
                .into_iter()
                .map(|c| tls::CipherProbe {
                    class: c.class,
                    accepted: c.accepted,
                    cipher: c.cipher,
                    version: c.version,
                })
                .collect(),
        })
    }
}

impl http::Host for State {
    fn send(
        &mut self,
        requests: Vec<http::Request>,
    ) -> Vec<Result<http::Response, http::HttpError>> {
        let Some(client) = self
            .http
            .clone()
            .filter(|_| self.granted.contains(&Capability::Http))
        else {
            return requests
                .iter()
                .map(|_| Err(http::HttpError::NotGranted))
                .collect();
        };
        let requests: Vec<service::Request> = requests
            .into_iter()
            .map(|r| service::Request {
                method: match r.method {
                    http::Method::Get => service::Method::Get,
                    http::Method::Head => service::Method::Head,
                    http::Method::Options => service::Method::Options,
                },
                url: r.url,
                headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
                follow_redirects: r.follow_redirects,
            })
            .collect();
        client
            .send(&self.info.id, &requests)
            .into_iter()
            .map(|r| r.map(wit_response).map_err(wit_http_error))
            .collect()
    }
}

fn wit_response(r: service::Response) -> http::Response {
    let headers = |h: Vec<(String, String)>| {
        h.into_iter()
            .map(|(name, value)| http::Header { name, value })
            .collect()
    };
    http::Response {
        url: r.url,
        status: r.status,
        headers: headers(r.headers),
        body: r.body,
        truncated: r.truncated,
        redirects: r
            .redirects
            .into_iter()
            .map(|h| http::Hop {
                url: h.url,
                status: h.status,
                location: h.location,
            })
            .collect(),
        off_origin: r.off_origin,
        elapsed_ms: r.elapsed_ms,
    }
}

fn wit_http_error(e: service::HttpError) -> http::HttpError {
    use service::HttpError as E;
    match e {
        E::Refused(m) => http::HttpError::Refused(m),
        E::Dns(m) => http::HttpError::Dns(m),
        E::Connect(m) => http::HttpError::Connect(m),
        E::Timeout(m) => http::HttpError::Timeout(m),
        E::Protocol(m) => http::HttpError::Protocol(m),
        E::Redirects(m) => http::HttpError::Redirects(m),
        E::Budget(m) => http::HttpError::Budget(m),
    }
}

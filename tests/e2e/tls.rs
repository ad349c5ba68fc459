//! TLS of the live URL against servers the tests start on 127.0.0.1 with
//! certificates they mint: rustls for valid, expired, expiring, wrong-name
//! and self-signed certificates; openssl and gnutls-serv for what rustls
//! will not serve (TLS 1.0/1.1, weak suites, a 1024-bit key, SHA-1).

use std::path::Path;
use std::process::Command;

use shipready_tests::live::{Behaviour, ExternalServer, LiveServer, Route, TestCa};

use super::*;

fn site() -> Behaviour {
    Behaviour::site(&[("/", Route::new(200, "ok"))])
}

/// `shipready check --url URL --only tls --format json` plus `extra`.
fn tls(url: &str, extra: &[&str]) -> (Run, serde_json::Value) {
    let mut args = vec!["check", "--format", "json", "--only", "tls", "--url", url];
    args.extend_from_slice(extra);
    let run = shipready(&args);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", run.stdout, run.stderr));
    (run, report)
}

fn tls_rules(report: &serde_json::Value) -> Vec<String> {
    let mut r = rules(report);
    r.sort();
    r.dedup();
    r
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_valid_chain_passes_against_the_ca_file_and_against_system_roots() {
    let ca = TestCa::new();
    let (chain, key) = ca.leaf(&["127.0.0.1", "localhost"], -1, 90);
    let server = LiveServer::https_with(chain, key, site());
    let dir = tempfile::tempdir().unwrap();
    let ca_file = write(dir.path(), "ca.pem", &ca.pem);
    let url = format!("{}/", server.origin());
    let (run, report) = tls(&url, &["--ca-file", &ca_file]);
    assert!(
        rules(&report).is_empty(),
        "{:#}\n{}",
        report["findings"],
        run.stderr
    );
    assert_eq!(item(&report, "transport.tls")["status"], "pass");

    // The system's roots, here made to be the test CA.
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["check", "--format", "json", "--only", "tls", "--url", &url])
        .env("SSL_CERT_FILE", &ca_file)
        .env("SSL_CERT_DIR", empty.path())
        .env("SHIPREADY_CACHE_DIR", cache())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rules(&report).is_empty(), "{:#}", report["findings"]);
}

#[test]
fn expired_expiring_wrong_name_and_self_signed_certificates() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = write(dir.path(), "ca.pem", &ca.pem);
    let judge = |server: &LiveServer| {
        let (_, report) = tls(&format!("{}/", server.origin()), &["--ca-file", &ca_file]);
        report
    };
    let serve = |names: &[&str], from: i64, to: i64| {
        let (chain, key) = ca.leaf(names, from, to);
        LiveServer::https_with(chain, key, site())
    };

    let report = judge(&serve(&["127.0.0.1"], -30, -2));
    assert_eq!(tls_rules(&report), ["tls/expired"]);
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired 2 days ago")
    );

    let report = judge(&serve(&["127.0.0.1"], -30, 5));
    assert_eq!(tls_rules(&report), ["tls/expiring"]);
    assert_eq!(report["findings"][0]["severity"], "high");
    let report = judge(&serve(&["127.0.0.1"], -30, 20));
    assert_eq!(report["findings"][0]["severity"], "low");

    let report = judge(&serve(&["wrong.example"], -1, 90));
    assert_eq!(tls_rules(&report), ["tls/name-mismatch"]);

    let report = judge(&LiveServer::https(site()));
    assert_eq!(tls_rules(&report), ["tls/untrusted"]);
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("self-signed")
    );
}

/// A self-signed RSA certificate for 127.0.0.1 made by openssl.
fn openssl_cert(dir: &Path, bits: &str, digest: &str) -> (String, String) {
    let (cert, key) = (dir.join("c.pem"), dir.join("k.pem"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            &format!("rsa:{bits}"),
            digest,
            "-days",
            "365",
            "-nodes",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs (.ci/run installs it)");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    (cert.to_str().unwrap().into(), key.to_str().unwrap().into())
}

#[test]
fn legacy_protocols_a_weak_key_and_sha1_from_a_server_that_accepts_them() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "1024", "-sha1");
    let server = ExternalServer::start(
        "openssl",
        &[
            "s_server",
            "-accept",
            "127.0.0.1:{port}",
            "-cert",
            &cert,
            "-key",
            &key,
            "-min_protocol",
            "TLSv1",
            "-cipher",
            "ALL:@SECLEVEL=0",
            "-www",
            "-quiet",
        ],
    );
    let (run, report) = tls(&format!("https://127.0.0.1:{}/", server.port), &[]);
    assert_eq!(
        tls_rules(&report),
        [
            "tls/legacy-protocol",
            "tls/sha1-signature",
            "tls/untrusted",
            "tls/weak-cipher",
            "tls/weak-key"
        ],
        "{:#}\n{}",
        report["findings"],
        run.stderr
    );
    let legacy = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "tls/legacy-protocol")
        .unwrap();
    assert!(
        legacy["message"]
            .as_str()
            .unwrap()
            .contains("TLSv1.0 and TLSv1.1"),
        "{legacy}"
    );
}

#[test]
fn three_des_and_rc4_from_a_server_that_accepts_them() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "2048", "-sha256");
    let server = ExternalServer::start(
        "gnutls-serv",
        &[
            "-p",
            "{port}",
            "--x509certfile",
            &cert,
            "--x509keyfile",
            &key,
            "--echo",
            "--priority",
            "NORMAL:-VERS-ALL:+VERS-TLS1.2:+3DES-CBC:+ARCFOUR-128:+RSA:%COMPAT",
        ],
    );
    let (_, report) = tls(&format!("https://127.0.0.1:{}/", server.port), &[]);
    let weak: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "tls/weak-cipher")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    for class in ["3DES", "RC4", "no forward secrecy"] {
        assert!(
            weak.iter().any(|m| m.ends_with(class)),
            "{class} not found in {weak:?}"
        );
    }
    assert!(!weak.iter().any(|m| m.ends_with("EXPORT")), "{weak:?}");
    assert!(tls_rules(&report).contains(&"tls/no-tls13".to_string()));
}

#[test]
fn a_port_without_tls_a_closed_port_and_a_bad_ca_file() {
    let not_tls = LiveServer::http(Behaviour::NotHttp);
    let (_, report) = tls(&format!("https://{}/", not_tls.addr), &[]);
    assert_eq!(tls_rules(&report), ["tls/unreachable"]);
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no TLS handshake")
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_, report) = tls(&format!("https://127.0.0.1:{port}/"), &[]);
    assert_eq!(tls_rules(&report), ["tls/unreachable"]);
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("connection failed")
    );

    let run = shipready(&[
        "check",
        "--url",
        "https://127.0.0.1/",
        "--ca-file",
        "/nonexistent/ca.pem",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--ca-file /nonexistent/ca.pem"),
        "{}",
        run.stderr
    );
}

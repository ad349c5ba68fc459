//! `cargo bench -p shipready --bench live`: a full live check of one URL
//! (`--only http,tls`) against local servers that answer after 30 ms, as a
//! distant site would. Prints the requests and TLS connections it took and
//! its time (target: under 5 s), and the ratio of the `http` check's time
//! to the same number of requests sent one after another by a plain client,
//! measured in the same run: under 1 means the host's concurrency pays.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::BIN;
use shipready_tests::live::{Behaviour, LiveServer, Route, TestCa};

const LATENCY: Duration = Duration::from_millis(30);

fn site() -> Behaviour {
    Behaviour::site(&[
        ("/", Route::careful_page()),
        ("/healthz", Route::new(200, "ok")),
    ])
    .latency(LATENCY)
}

fn run(args: &[&str], cache: &std::path::Path) -> (Duration, serde_json::Value) {
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(args)
        .env("SHIPREADY_CACHE_DIR", cache)
        .output()
        .expect("shipready runs");
    let elapsed = started.elapsed();
    (
        elapsed,
        serde_json::from_slice(&out.stdout).expect("JSON report"),
    )
}

/// `n` GETs of `/`, one after another, each on its own connection.
fn sequential(addr: std::net::SocketAddr, n: u64) -> Duration {
    let started = Instant::now();
    for _ in 0..n {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).unwrap();
    }
    started.elapsed()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let cache = tempfile::tempdir().unwrap();

    // The http check alone, plain HTTP, against N sequential requests.
    let plain = LiveServer::http(site());
    let url = format!("{}/", plain.origin());
    let args = ["check", "--format", "json", "--only", "http", "--url", &url];
    run(&args, cache.path()); // compile the components once
    let (mut best, mut requests) = (Duration::MAX, 0);
    for _ in 0..3 {
        let (t, report) = run(&args, cache.path());
        best = best.min(t);
        requests = report["target"]["live"]["requests"].as_u64().unwrap();
    }
    let reference = (0..3)
        .map(|_| sequential(plain.addr, requests))
        .min()
        .unwrap();
    println!(
        "shipready live benchmark: local servers answering after {} ms",
        LATENCY.as_millis()
    );
    println!(
        "  --only http: {requests} requests in {:.0} ms   the same {requests} requests one after another {:.0} ms   ratio {:.2}",
        best.as_secs_f64() * 1e3,
        reference.as_secs_f64() * 1e3,
        best.as_secs_f64() / reference.as_secs_f64()
    );

    // The full live check of one https URL.
    let ca = TestCa::new();
    let (chain, key) = ca.leaf(&["127.0.0.1"], -1, 90);
    let secure = LiveServer::https_with(chain, key, site());
    let ca_file = cache.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let url = format!("{}/", secure.origin());
    let args = [
        "check",
        "--format",
        "json",
        "--only",
        "http,tls",
        "--url",
        &url,
        "--ca-file",
        ca_file.to_str().unwrap(),
    ];
    let (mut best, mut report) = (Duration::MAX, serde_json::Value::Null);
    for _ in 0..3 {
        let (t, r) = run(&args, cache.path());
        if t < best {
            (best, report) = (t, r);
        }
    }
    let live = &report["target"]["live"];
    println!(
        "  --only http,tls (https): {} HTTP requests, {} TLS connections, {:.0} ms (target: under 5,000 ms), {} findings",
        live["requests"],
        live["tls-connections"],
        best.as_secs_f64() * 1e3,
        report["findings"].as_array().map_or(0, Vec::len)
    );
}

//! The live URL: `shipready check --url` against servers the tests start on
//! 127.0.0.1, one scenario each. No request leaves the machine.

use std::time::Instant;

use shipready_tests::live::{APP_PAGE as APP, Behaviour, LiveServer, Route, TestCa};

use super::*;

/// `shipready check --url URL... --only http --format json`, no repository.
fn live(urls: &[&str], extra: &[&str]) -> (Run, serde_json::Value) {
    let mut args = vec!["check", "--format", "json", "--only", "http"];
    for u in urls {
        args.extend(["--url", u]);
    }
    args.extend_from_slice(extra);
    let run = shipready(&args);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", run.stdout, run.stderr));
    (run, report)
}

fn http_rules(report: &serde_json::Value) -> Vec<String> {
    let mut r = rules(report);
    r.sort();
    r.dedup();
    r
}

#[test]
fn a_good_https_site_passes_http_and_tls_within_bounded_requests() {
    let ca = TestCa::new();
    let (chain, key) = ca.leaf(&["127.0.0.1"], -1, 90);
    let server = LiveServer::https_with(
        chain,
        key,
        Behaviour::site(&[
            ("/", Route::careful_page()),
            ("/healthz", Route::new(200, "ok")),
        ]),
    );
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let url = format!("{}/", server.origin());
    let started = Instant::now();
    let run = shipready(&[
        "check",
        "--format",
        "json",
        "--only",
        "http,tls",
        "--url",
        &url,
        "--ca-file",
        ca_file.to_str().unwrap(),
    ]);
    let elapsed = started.elapsed();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(rules(&report).is_empty(), "{:#}", report["findings"]);
    assert_eq!(check_run(&report, "http")["status"]["status"], "ok");
    let live = &report["target"]["live"];
    let requests = live["requests"].as_u64().unwrap();
    let connections = live["tls-connections"].as_u64().unwrap();
    println!(
        "full live check of one URL: {requests} HTTP requests ({} answered), {connections} TLS connections, {elapsed:?}",
        server.requests()
    );
    assert!((10..=30).contains(&requests), "{requests} requests");
    assert!(
        (5..=15).contains(&connections),
        "{connections} TLS connections"
    );
    assert_eq!(
        item(&report, "transport.https-and-headers")["status"],
        "pass",
        "{}",
        run.stderr
    );
    assert_eq!(item(&report, "transport.tls")["status"], "pass");
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_bad_plain_http_site_fails_each_problem_with_evidence_and_no_secret() {
    let server = LiveServer::http(
        Behaviour::site(&[
            (
                "/",
                Route::new(200, APP)
                    .header("Server", "nginx/1.18.0")
                    .header("X-Powered-By", "PHP/7.4.3")
                    .header("Set-Cookie", "session=abc123; Path=/")
                    .header("Content-Security-Policy", "default-src * 'unsafe-inline'"),
            ),
            (
                "/.env",
                Route::new(
                    200,
                    // shipready:ignore secrets/database-uri-password -- a fake secret the test plants
                    "DATABASE_URL=postgres://app:hunter2@db/app\nSECRET_KEY=sk_live_abcdef\n",
                ),
            ),
            (
                "/.git/config",
                Route::new(200, "[core]\n\trepositoryformatversion = 0\n"),
            ),
        ])
        .fallback(Route::new(
            404,
            "Traceback (most recent call last):\n  File \"/app/views.py\", line 3",
        )),
    );
    let url = format!("{}/", server.origin());
    let (run, report) = live(&[&url], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        http_rules(&report),
        [
            "http/clickjacking",
            "http/content-type-options",
            "http/cookies",
            "http/csp",
            "http/error-disclosure",
            "http/exposed-file",
            "http/health-endpoint",
            "http/no-https-redirect",
            "http/referrer-policy",
            "http/server-banner",
        ]
    );
    let exposed: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "http/exposed-file")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(exposed.len(), 2, "{exposed:?}");
    for f in report["findings"].as_array().unwrap() {
        assert!(
            f["location"]["url"]
                .as_str()
                .unwrap()
                .starts_with(&server.origin()),
            "{f}"
        );
    }
    assert!(
        !run.stdout.contains("hunter2") && !run.stdout.contains("sk_live"),
        "a secret was printed"
    );
    assert!(run.stdout.contains("DATABASE_URL"));
}

#[test]
fn a_soft_404_site_is_not_reported_for_files_it_does_not_have() {
    let server = LiveServer::https(
        Behaviour::site(&[("/", Route::careful_page())]).fallback(Route::new(200, APP)),
    );
    let (_, report) = live(&[&format!("{}/", server.origin())], &[]);
    let r = http_rules(&report);
    assert!(!r.contains(&"http/exposed-file".to_string()), "{r:?}");
    // Its catch-all page is not a health endpoint either.
    assert_eq!(r, ["http/health-endpoint"]);
}

#[test]
fn cors_that_reflects_any_origin_with_credentials_and_short_hsts() {
    let page = Route::new(200, APP)
        .header("Strict-Transport-Security", "max-age=600")
        .header(
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'",
        )
        .header("X-Content-Type-Options", "nosniff")
        .header("Referrer-Policy", "no-referrer");
    let server = LiveServer::https(
        Behaviour::site(&[("/", page), ("/health", Route::new(200, "ok"))]).reflecting_origin(),
    );
    let (_, report) = live(&[&format!("{}/", server.origin())], &[]);
    assert_eq!(http_rules(&report), ["http/cors", "http/hsts"]);
}

#[test]
fn plain_http_redirected_to_https_passes_that_rule() {
    let server = LiveServer::http(Behaviour::site(&[(
        "/",
        Route::redirect(301, "https://127.0.0.1/"),
    )]));
    let (_, report) = live(&[&format!("{}/", server.origin())], &[]);
    assert!(!http_rules(&report).contains(&"http/no-https-redirect".to_string()));
}

/// The reason an unreachable target gave, from its one finding.
fn unreachable_reason(report: &serde_json::Value) -> String {
    let findings: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "http")
        .collect();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["rule"], "http/unreachable");
    findings[0]["message"].as_str().unwrap().to_string()
}

#[test]
fn bad_targets_become_clear_items_and_the_other_checks_still_run() {
    let repo = fixture_repo();
    let (run, report) = check_json(&repo, &["--url", "app.example.com"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(unreachable_reason(&report).contains("not a URL"));
    assert_eq!(check_run(&report, "delivery")["status"]["status"], "ok");
    assert_eq!(
        item(&report, "transport.https-and-headers")["status"],
        "fail"
    );

    // A name that cannot resolve (a label over 63 bytes: refused before any query).
    let bad_name = format!("http://{}.invalid/", "x".repeat(64));
    let (_, report) = live(&[&bad_name], &[]);
    let reason = unreachable_reason(&report);
    assert!(
        reason.contains("DNS") || reason.contains("resolve"),
        "{reason}"
    );

    // Connection refused: a port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (_, report) = live(&[&format!("http://127.0.0.1:{port}/")], &[]);
    assert!(unreachable_reason(&report).contains("connection failed"));
}

#[test]
fn credentials_in_a_url_are_refused_and_never_shown() {
    // shipready:ignore secrets/url-basic-auth -- a fake credential the test gives
    let run = shipready(&["check", "--url", "https://admin:hunter2@127.0.0.1:1/"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("remove the user name and password"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter2") && !run.stdout.contains("hunter2"));
}

#[test]
fn silence_garbage_loops_and_huge_bodies_are_bounded() {
    let silent = LiveServer::http(Behaviour::Silent);
    let (_, report) = live(
        &[&format!("{}/", silent.origin())],
        &["--http-timeout", "1"],
    );
    assert!(unreachable_reason(&report).contains("timed out"));

    let ssh = LiveServer::http(Behaviour::NotHttp);
    let (_, report) = live(&[&format!("{}/", ssh.origin())], &[]);
    assert!(unreachable_reason(&report).contains("protocol error"));

    let looping = LiveServer::http(Behaviour::site(&[
        ("/", Route::redirect(302, "/a")),
        ("/a", Route::redirect(302, "/")),
    ]));
    let (_, report) = live(&[&format!("{}/", looping.origin())], &[]);
    assert!(unreachable_reason(&report).contains("redirect loop"));

    // 200 MB offered; the host keeps its body limit and stops reading.
    let huge = LiveServer::http(Behaviour::Huge(200 << 20));
    let started = Instant::now();
    let (run, report) = live(&[&format!("{}/", huge.origin())], &[]);
    println!("huge body: {:?}", started.elapsed());
    assert_eq!(
        check_run(&report, "http")["status"]["status"],
        "ok",
        "{}",
        run.stderr
    );
    assert!(!rules(&report).contains(&"http/unreachable".to_string()));
}

#[test]
fn without_url_the_live_items_are_not_run() {
    let (_, report) = check_json(&fixture_repo(), &[]);
    let live_item = item(&report, "transport.https-and-headers");
    assert_eq!(live_item["status"], "not-run");
    assert!(
        live_item["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("no --url"),
        "{live_item}"
    );
}

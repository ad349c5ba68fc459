//! The check on canned answers: a site with every problem, and one with none.

use shipready_sdk::testing::FakeRepo;
use shipready_sdk::{HttpMethod, HttpResponse};

use super::*;

const SITE: &str = "https://app.test";

fn answer(url: &str, status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    HttpResponse {
        url: url.into(),
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
        ..HttpResponse::default()
    }
}

fn site(repo: FakeRepo, pairs: Vec<(String, HttpResponse)>) -> FakeRepo {
    pairs
        .into_iter()
        .fold(repo, |r, (url, a)| r.answer(HttpMethod::Get, &url, Ok(a)))
}

fn rules(outcome: &shipready_sdk::Outcome) -> Vec<&str> {
    let mut r: Vec<&str> = outcome.findings.iter().map(|f| f.rule.as_str()).collect();
    r.sort();
    r.dedup();
    r
}

#[test]
fn a_bad_site_fails_every_rule_it_breaks() {
    let page = format!("{SITE}/");
    let mut pairs = vec![
        (
            page.clone(),
            answer(
                &page,
                200,
                &[
                    ("server", "nginx/1.18.0"),
                    ("set-cookie", "session=abc; Path=/"),
                ],
                "<html>app</html>",
            ),
        ),
        (
            "http://app.test/".into(),
            answer("http://app.test/", 200, &[], "<html>app</html>"),
        ),
        (
            format!("{SITE}{MISSING}"),
            answer(
                &format!("{SITE}{MISSING}"),
                404,
                &[],
                "Traceback (most recent call last):\n  File x",
            ),
        ),
        (
            format!("{SITE}/.env"),
            answer(
                &format!("{SITE}/.env"),
                200,
                &[],
                // shipready:ignore secrets/database-uri-password -- a fake secret the test plants
                "DATABASE_URL=postgres://u:hunter2@db/x\n",
            ),
        ),
    ];
    for path in HEALTH_PATHS {
        pairs.push((
            format!("{SITE}{path}"),
            answer(&format!("{SITE}{path}"), 404, &[], "nope"),
        ));
    }
    let outcome = site(FakeRepo::new().url(&page), pairs)
        .run::<Http>()
        .unwrap();
    assert_eq!(
        rules(&outcome),
        [
            "http/clickjacking",
            "http/content-type-options",
            "http/cookies",
            "http/csp",
            "http/error-disclosure",
            "http/exposed-file",
            "http/health-endpoint",
            "http/hsts",
            "http/no-https-redirect",
            "http/referrer-policy",
            "http/server-banner",
        ]
    );
    let all = format!("{:?}", outcome.findings);
    assert!(!all.contains("hunter2"), "a secret was shown: {all}");
    assert!(all.contains("DATABASE_URL"));
}

#[test]
fn a_good_site_passes_and_a_soft_404_is_not_an_exposed_file() {
    let page = format!("{SITE}/");
    let good = [
        (
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        ),
        (
            "content-security-policy",
            "default-src 'self'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        (
            "set-cookie",
            "session=abc; Path=/; Secure; HttpOnly; SameSite=Lax",
        ),
    ];
    let mut pairs = vec![
        (page.clone(), answer(&page, 200, &good, "<html>app</html>")),
        (
            "http://app.test/".into(),
            answer(
                "http://app.test/",
                301,
                &[("location", "https://app.test/")],
                "",
            ),
        ),
        (
            format!("{SITE}/healthz"),
            answer(&format!("{SITE}/healthz"), 200, &[], "ok"),
        ),
    ];
    // Every other path answers the app (a soft 404).
    for probe in exposed::PROBES.iter().map(|p| p.path).chain([MISSING]) {
        let url = format!("{SITE}{probe}");
        pairs.push((
            url.clone(),
            answer(&url, 200, &[], "<!doctype html><html>app</html>"),
        ));
    }
    let outcome = site(FakeRepo::new().url(&page), pairs)
        .run::<Http>()
        .unwrap();
    assert!(outcome.findings.is_empty(), "{:#?}", outcome.findings);
}

#[test]
fn an_unreachable_target_is_one_finding_saying_why() {
    let outcome = FakeRepo::new()
        .url("https://down.test")
        .answer(
            HttpMethod::Get,
            "https://down.test",
            Err(HttpError::Dns("down.test does not resolve".into())),
        )
        .run::<Http>()
        .unwrap();
    assert_eq!(rules(&outcome), ["http/unreachable"]);
    assert!(outcome.findings[0].message.contains("does not resolve"));
}

#[test]
fn without_url_every_rule_is_not_applicable() {
    let outcome = FakeRepo::new().run::<Http>().unwrap();
    assert!(outcome.findings.is_empty());
    assert_eq!(outcome.not_applicable.len(), rules::ALL.len());
}

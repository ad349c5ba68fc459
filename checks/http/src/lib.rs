//! Built-in check `http`: the deployed site, as a browser and an attacker
//! see it, for every `--url` target. HTTPS enforced, HSTS, a CSP that
//! restricts scripts, `X-Content-Type-Options`, clickjacking protection,
//! `Referrer-Policy`, cookie flags, CORS, version banners, files that must
//! never be served (confirmed by their content), stack traces in error
//! pages, and a health endpoint.
//!
//! The host sends the requests (only to the `--url` origins, within its
//! bounds); this check decides. About twenty requests per target, most of
//! them at once. Settings: `health_path = "/status"` adds a health path
//! to try first.

mod exposed;
mod judge;
pub mod rules;

use shipready_sdk::prelude::*;
use shipready_sdk::{HttpError, HttpRequest, HttpResponse, Level};

use judge::Problem;
use rules::*;

pub struct Http;

impl Check for Http {
    fn info() -> CheckInfo {
        CheckInfo::new(
            "http",
            env!("CARGO_PKG_VERSION"),
            "Live site over HTTP",
            "HTTPS enforced with HSTS, security headers, safe cookies and CORS, no exposed files or debug pages, a health endpoint.",
        )
        .capabilities(&[Capability::Http])
        .rules(rules::ALL)
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        let targets = cx.context().urls.clone();
        if targets.is_empty() {
            for rule in rules::ALL {
                cx.not_applicable(rule, "no --url given");
            }
            return Ok(());
        }
        let health = cx.context().setting("health_path").map(|p| {
            let p = p.trim().trim_matches('"');
            if p.starts_with('/') {
                p.to_string()
            } else {
                format!("/{p}")
            }
        });
        let mut problems = Vec::new();
        for target in &targets {
            problems.extend(check_target(cx, target, health.as_deref()));
        }
        for p in problems {
            let mut finding = Finding::new(p.rule, p.message)
                .at_url(p.url)
                .remediation(p.fix);
            if let Some(e) = p.evidence {
                finding = finding.evidence(e);
            }
            if let Some(s) = p.severity {
                finding = finding.severity(s);
            }
            cx.report(finding);
        }
        Ok(())
    }
}

shipready_sdk::export!(Http);

/// A path no site has: how the site answers what does not exist.
const MISSING: &str = "/shipready-probe-404-7f3a9c";

/// Health paths tried after the configured one.
const HEALTH_PATHS: &[&str] = &["/healthz", "/health", "/ready"];

/// `scheme://host[:port]` of a URL (no path).
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

fn unreachable(target: &str, e: &HttpError) -> Problem {
    let fix = match e {
        HttpError::Refused(_) => {
            "Give the site's URL with its scheme: --url https://app.example.com"
        }
        HttpError::Dns(_) => "Check the host name and its DNS records.",
        HttpError::Connect(_) => "Check that the service is deployed and listening on that port.",
        HttpError::Timeout(_) => "Check that the service answers, and the firewall in front of it.",
        HttpError::Protocol(_) => "Check the port: it does not answer HTTP (or its TLS is broken).",
        HttpError::Redirects(_) => "Fix the redirect rules so that they end on a page.",
        HttpError::Budget(_) | HttpError::NotGranted => {
            "Run the check with the http capability granted."
        }
    };
    Problem::new(
        &UNREACHABLE,
        target,
        format!("{target} cannot be checked: {e}"),
        fix,
    )
}

fn check_target(cx: &mut Cx<'_>, target: &str, health: Option<&str>) -> Vec<Problem> {
    let mut out = Vec::new();
    let page = match cx.http_send(&[HttpRequest::get(target)]).pop() {
        Some(Ok(page)) => page,
        Some(Err(e)) => return vec![unreachable(target, &e)],
        None => return out,
    };
    let Some(origin) = origin_of(&page.url) else {
        return out;
    };
    let https = page.url.starts_with("https://");

    let mut requests = Vec::new();
    if https {
        let authority = origin.trim_start_matches("https://");
        let host = match authority.find(']') {
            Some(end) => &authority[..=end],
            None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
        };
        requests.push(HttpRequest::get(format!("http://{host}/")).no_redirects());
    }
    let cors_at = requests.len();
    requests.push(
        HttpRequest::get(page.url.clone())
            .header("origin", judge::PROBE_ORIGIN)
            .no_redirects(),
    );
    let missing_at = requests.len();
    requests.push(HttpRequest::get(format!("{origin}{MISSING}")).no_redirects());
    let exposed_at = requests.len();
    for probe in exposed::PROBES {
        requests.push(HttpRequest::get(format!("{origin}{}", probe.path)).no_redirects());
    }
    let health_at = requests.len();
    let health_paths: Vec<&str> = health
        .into_iter()
        .chain(HEALTH_PATHS.iter().copied())
        .collect();
    for path in &health_paths {
        requests.push(HttpRequest::get(format!("{origin}{path}")));
    }
    let answers = cx.http_send(&requests);

    // A target that sends everyone elsewhere (apex to www): that other
    // site is what users see, and it is checked when given with --url.
    if let Some(elsewhere) = page.off_origin.as_deref().filter(|_| https) {
        cx.log(
            Level::Info,
            &format!("{target} redirects to {elsewhere}: give that URL with --url to check it"),
        );
        if let Some(p) = plain_http_problem(&answers[0], &requests[0].url) {
            out.push(p);
        }
        return out;
    }

    // HTTPS: the page itself, and plain HTTP redirected.
    if https {
        if let Some(p) = plain_http_problem(&answers[0], &requests[0].url) {
            out.push(p);
        }
    } else if page
        .off_origin
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
    {
        cx.log(
            Level::Info,
            &format!(
                "{target} redirects to {}: give that URL with --url to check the HTTPS site",
                page.off_origin.as_deref().unwrap_or_default()
            ),
        );
    } else {
        out.push(
            Problem::new(
                &NO_HTTPS_REDIRECT,
                &page.url,
                format!(
                    "{} is served over plain HTTP ({}), not redirected to HTTPS",
                    page.url, page.status
                ),
                "Serve the site over HTTPS and redirect every http:// request to it (301).",
            )
            .evidence(format!("GET {} → {}", page.url, page.status)),
        );
    }

    // The page's headers (a redirect to elsewhere has none worth judging).
    let judged = !(300..400).contains(&page.status);
    if judged {
        if https {
            out.extend(judge::hsts(&page));
        }
        out.extend(judge::csp(&page));
        out.extend(judge::content_type_options(&page));
        out.extend(judge::clickjacking(&page));
        out.extend(judge::referrer_policy(&page));
        out.extend(judge::cookies(&page, https));
    }
    out.extend(judge::banner(&page));

    if let Some(Ok(answer)) = answers.get(cors_at) {
        out.extend(judge::cors(answer));
    }

    let missing = answers.get(missing_at).and_then(|a| a.as_ref().ok());
    if let Some(m) = missing
        && (200..300).contains(&m.status)
    {
        cx.log(
            Level::Info,
            &format!("{origin} answers {} to a path that does not exist: files are confirmed by their content", m.status),
        );
    }

    for (probe, answer) in exposed::PROBES.iter().zip(&answers[exposed_at..health_at]) {
        let Ok(answer) = answer else { continue };
        if (200..300).contains(&answer.status) && (probe.confirm)(&answer.body) {
            out.push(
                Problem::new(
                    &EXPOSED_FILE,
                    &answer.url,
                    format!("{} is served: {}", probe.path, probe.what),
                    "Remove it from the deployment, deny it at the web server, and rotate every secret it held.",
                )
                .evidence(exposed_evidence(probe.path, answer)),
            );
        }
    }

    // Debug pages: the first error answer that shows one is enough.
    let errors = answers
        .iter()
        .filter_map(|a| a.as_ref().ok())
        .filter(|a| a.status >= 400);
    if let Some(p) = errors.filter_map(judge::error_disclosure).next() {
        out.push(p);
    }

    let health_answers = &answers[health_at..];
    // A 2xx on the path asked for (or below it, `/health/`), not a page
    // some redirect or catch-all led to.
    let healthy = health_paths.iter().zip(health_answers).any(|(path, a)| {
        a.as_ref().is_ok_and(|r| {
            (200..300).contains(&r.status) && path_of(&r.url).starts_with(path) && !soft(r, missing)
        })
    });
    if !healthy {
        let tried: Vec<String> = health_paths
            .iter()
            .zip(health_answers)
            .map(|(path, a)| match a {
                Ok(r) => format!("{path} → {}", r.status),
                Err(e) => format!("{path} → {e}"),
            })
            .collect();
        out.push(
            Problem::new(
                &HEALTH,
                &origin,
                "no health endpoint answers 2xx",
                "Add GET /healthz answering 200 when the app can serve, or set health_path in [checks.http] settings.",
            )
            .evidence(tried.join(", ")),
        );
    }
    out
}

/// The path of an absolute URL.
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

/// A health answer that is only the site's catch-all page.
fn soft(answer: &HttpResponse, missing: Option<&HttpResponse>) -> bool {
    missing.is_some_and(|m| (200..300).contains(&m.status) && m.body == answer.body)
}

fn plain_http_problem(
    answer: &std::result::Result<HttpResponse, HttpError>,
    url: &str,
) -> Option<Problem> {
    const FIX: &str =
        "Redirect every http:// request to https:// (301), at the web server or load balancer.";
    match answer {
        // Nothing answers plain HTTP: nothing can be sent over it either.
        Err(_) => None,
        Ok(r) => {
            let location = r.header("location").unwrap_or_default();
            if (300..400).contains(&r.status) && location.starts_with("https://") {
                return None;
            }
            let why = if (300..400).contains(&r.status) {
                format!("redirects to {location}, not to HTTPS")
            } else {
                format!("answers {} without redirecting to HTTPS", r.status)
            };
            Some(
                Problem::new(&NO_HTTPS_REDIRECT, url, format!("plain HTTP {why}"), FIX).evidence(
                    format!(
                        "GET {url} → {}{}",
                        r.status,
                        if location.is_empty() {
                            String::new()
                        } else {
                            format!(", location: {location}")
                        }
                    ),
                ),
            )
        }
    }
}

/// What shows that a file is served, without showing what it holds.
fn exposed_evidence(path: &str, answer: &HttpResponse) -> String {
    let mut evidence = format!(
        "GET {path} → {}, {} bytes",
        answer.status,
        answer.body.len()
    );
    if path.starts_with("/.env") {
        let text = answer.text();
        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().trim_start_matches("export ").split_once('='))
            .map(|(k, _)| k.trim())
            .filter(|k| !k.is_empty() && !k.starts_with('#'))
            .take(8)
            .collect();
        evidence.push_str(&format!(
            ", variables (values hidden): {}",
            names.join(", ")
        ));
    }
    evidence
}

#[cfg(test)]
mod tests;

//! What the answers say, judged: each function takes responses and returns
//! the problems it sees, with the header or body excerpt as evidence.

use shipready_sdk::HttpResponse;
use shipready_sdk::prelude::*;

use crate::rules::*;

/// One problem with the live site.
#[derive(Debug, Clone)]
pub struct Problem {
    pub rule: &'static Rule,
    /// Overrides the rule's default severity.
    pub severity: Option<Severity>,
    pub url: String,
    pub message: String,
    pub evidence: Option<String>,
    pub fix: String,
}

impl Problem {
    pub fn new(rule: &'static Rule, url: &str, message: impl Into<String>, fix: &str) -> Self {
        Problem {
            rule,
            severity: None,
            url: url.to_string(),
            message: message.into(),
            evidence: None,
            fix: fix.to_string(),
        }
    }

    pub fn evidence(mut self, evidence: impl Into<String>) -> Self {
        self.evidence = Some(evidence.into());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
}

fn shown(name: &str, value: &str) -> String {
    let value: String = value.chars().take(300).collect();
    format!("{name}: {value}")
}

/// A year, in seconds: the least `max-age` the HSTS preload list accepts.
const YEAR: u64 = 31_536_000;

/// HSTS on an HTTPS answer.
pub fn hsts(page: &HttpResponse) -> Option<Problem> {
    const FIX: &str = "Send Strict-Transport-Security: max-age=31536000; includeSubDomains";
    let Some(value) = page.header("strict-transport-security") else {
        return Some(Problem::new(
            &HSTS,
            &page.url,
            "no Strict-Transport-Security header: the first visit can be downgraded to plain HTTP",
            FIX,
        ));
    };
    let directives: Vec<String> = value
        .split(';')
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    let max_age = directives
        .iter()
        .find_map(|d| d.strip_prefix("max-age="))
        .and_then(|v| v.trim_matches('"').parse::<u64>().ok());
    let evidence = shown("strict-transport-security", value);
    match max_age {
        None => Some(
            Problem::new(&HSTS, &page.url, "Strict-Transport-Security without a valid max-age", FIX)
                .evidence(evidence),
        ),
        Some(age) if age < YEAR => Some(
            Problem::new(
                &HSTS,
                &page.url,
                format!("HSTS max-age is {age} seconds, under a year: the protection lapses between visits"),
                FIX,
            )
            .evidence(evidence),
        ),
        Some(_) if !directives.iter().any(|d| d == "includesubdomains") => Some(
            Problem::new(
                &HSTS,
                &page.url,
                "HSTS without includeSubDomains: a sibling host over plain HTTP can still set the domain's cookies",
                FIX,
            )
            .evidence(evidence)
            .severity(Severity::Low),
        ),
        Some(_) => None,
    }
}

/// The directives of a CSP, by lower-case name.
fn csp_directives(policy: &str) -> Vec<(String, Vec<String>)> {
    policy
        .split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace();
            let name = words.next()?.to_ascii_lowercase();
            Some((name, words.map(|w| w.to_ascii_lowercase()).collect()))
        })
        .collect()
}

/// The content security policies of an answer (a header may repeat).
fn policies(page: &HttpResponse) -> Vec<&str> {
    page.headers_named("content-security-policy").collect()
}

pub fn csp(page: &HttpResponse) -> Option<Problem> {
    const FIX: &str = "Send a Content-Security-Policy such as default-src 'self'; script-src 'self' 'nonce-…'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
    let policies = policies(page);
    if policies.is_empty() {
        return Some(Problem::new(
            &CSP,
            &page.url,
            "no Content-Security-Policy header: nothing limits what an injected script can do",
            FIX,
        ));
    }
    // Every policy applies; one that restricts scripts is enough.
    let mut weakness = None;
    for policy in &policies {
        let directives = csp_directives(policy);
        let scripts = directives
            .iter()
            .find(|(n, _)| n == "script-src")
            .or_else(|| directives.iter().find(|(n, _)| n == "default-src"));
        let Some((name, sources)) = scripts else {
            weakness.get_or_insert((
                policy,
                "no script-src or default-src: scripts may come from anywhere".to_string(),
            ));
            continue;
        };
        let has_nonce_or_hash = sources.iter().any(|s| {
            s.starts_with("'nonce-")
                || s.starts_with("'sha256-")
                || s.starts_with("'sha384-")
                || s.starts_with("'sha512-")
        });
        let strict_dynamic = sources.iter().any(|s| s == "'strict-dynamic'");
        if sources.iter().any(|s| s == "'unsafe-inline'") && !has_nonce_or_hash {
            weakness.get_or_insert((
                policy,
                format!("{name} allows 'unsafe-inline': injected inline scripts run"),
            ));
            continue;
        }
        if !strict_dynamic
            && let Some(wild) = sources
                .iter()
                .find(|s| matches!(s.as_str(), "*" | "https:" | "http:" | "data:"))
        {
            weakness.get_or_insert((
                policy,
                format!("{name} allows {wild}: scripts from any host run"),
            ));
            continue;
        }
        return None;
    }
    let (policy, why) = weakness?;
    Some(
        Problem::new(
            &CSP,
            &page.url,
            format!("Content-Security-Policy is defeated: {why}"),
            FIX,
        )
        .evidence(shown("content-security-policy", policy)),
    )
}

pub fn content_type_options(page: &HttpResponse) -> Option<Problem> {
    let value = page.header("x-content-type-options");
    if value.is_some_and(|v| v.trim().eq_ignore_ascii_case("nosniff")) {
        return None;
    }
    let mut p = Problem::new(
        &CONTENT_TYPE_OPTIONS,
        &page.url,
        "X-Content-Type-Options: nosniff is not set: browsers may run a file as a type it was not served as",
        "Send X-Content-Type-Options: nosniff on every response.",
    );
    if let Some(v) = value {
        p = p.evidence(shown("x-content-type-options", v));
    }
    Some(p)
}

pub fn clickjacking(page: &HttpResponse) -> Option<Problem> {
    let framed_by_csp = policies(page).iter().any(|p| {
        csp_directives(p)
            .iter()
            .any(|(n, sources)| n == "frame-ancestors" && !sources.iter().any(|s| s == "*"))
    });
    let xfo = page
        .header("x-frame-options")
        .map(|v| v.trim().to_ascii_uppercase());
    if framed_by_csp || matches!(xfo.as_deref(), Some("DENY" | "SAMEORIGIN")) {
        return None;
    }
    Some(Problem::new(
        &CLICKJACKING,
        &page.url,
        "any site can frame this page: no CSP frame-ancestors and no X-Frame-Options DENY or SAMEORIGIN",
        "Send Content-Security-Policy: frame-ancestors 'none' (or 'self') and X-Frame-Options: DENY.",
    ))
}

pub fn referrer_policy(page: &HttpResponse) -> Option<Problem> {
    const FIX: &str = "Send Referrer-Policy: strict-origin-when-cross-origin (or no-referrer).";
    let Some(value) = page.header("referrer-policy") else {
        return Some(Problem::new(
            &REFERRER_POLICY,
            &page.url,
            "no Referrer-Policy header",
            FIX,
        ));
    };
    // The last policy the browser knows wins; judge the last one given.
    let last = value
        .split(',')
        .map(str::trim)
        .next_back()
        .unwrap_or_default();
    if last.eq_ignore_ascii_case("unsafe-url")
        || last.eq_ignore_ascii_case("no-referrer-when-downgrade")
    {
        return Some(
            Problem::new(
                &REFERRER_POLICY,
                &page.url,
                format!("Referrer-Policy {last} sends full URLs to other sites"),
                FIX,
            )
            .evidence(shown("referrer-policy", value)),
        );
    }
    None
}

pub fn banner(page: &HttpResponse) -> Vec<Problem> {
    ["server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version"]
        .iter()
        .filter_map(|name| {
            let value = page.header(name)?;
            let version = has_version(value);
            (version || *name != "server").then(|| {
                Problem::new(
                    &BANNER,
                    &page.url,
                    format!("the {name} header names the software{}", if version { " and its version" } else { "" }),
                    "Remove the header or its version (server_tokens off; expose_php = Off; app.disable('x-powered-by')).",
                )
                .evidence(shown(name, value))
            })
        })
        .collect()
}

/// A version number, digits dot digits: `nginx/1.18.0`, `PHP/7.4.3` (not
/// an id such as `ECS (dcb/7F84)` or a name such as `AmazonS3`).
fn has_version(value: &str) -> bool {
    let b = value.as_bytes();
    (1..b.len().saturating_sub(1))
        .any(|i| b[i] == b'.' && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit())
}

/// Names that hold a session or credentials.
fn is_session_cookie(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "session",
        "sess",
        "sid",
        "auth",
        "token",
        "jwt",
        "login",
        "remember",
        "connect.sid",
        "phpsessid",
        "jsessionid",
        "csrf",
    ]
    .iter()
    .any(|k| lower.contains(k))
}

pub fn cookies(page: &HttpResponse, https: bool) -> Vec<Problem> {
    let mut out = Vec::new();
    for cookie in page.headers_named("set-cookie") {
        let mut parts = cookie.split(';').map(str::trim);
        let name = parts
            .next()
            .and_then(|kv| kv.split_once('=').map(|(k, _)| k.trim()))
            .unwrap_or_default();
        if name.is_empty() {
            continue;
        }
        let attributes: Vec<String> = parts.map(|a| a.to_ascii_lowercase()).collect();
        let has = |a: &str| {
            attributes
                .iter()
                .any(|x| x == a || x.starts_with(&format!("{a}=")))
        };
        // A cookie being deleted carries nothing.
        let deleted = attributes.iter().any(|a| {
            a.strip_prefix("max-age=")
                .is_some_and(|v| v.trim().starts_with('-') || v.trim() == "0")
                || a.strip_prefix("expires=")
                    .is_some_and(|v| v.contains("1970"))
        });
        if deleted {
            continue;
        }
        let mut missing = Vec::new();
        if https && !has("secure") {
            missing.push("Secure");
        }
        let session = is_session_cookie(name);
        // A CSRF token cookie is meant to be read by the page's script.
        let csrf = {
            let lower = name.to_ascii_lowercase();
            lower.contains("csrf") || lower.contains("xsrf")
        };
        if session && !csrf && !has("httponly") {
            missing.push("HttpOnly");
        }
        if !has("samesite") {
            missing.push("SameSite");
        }
        if missing.is_empty() {
            continue;
        }
        // Only the cookie's name is shown: its value may be a secret.
        let flags: Vec<&str> = attributes
            .iter()
            .map(|a| a.split('=').next().unwrap_or_default())
            .collect();
        let mut p = Problem::new(
            &COOKIES,
            &page.url,
            format!("cookie `{name}` is set without {}", missing.join(", ")),
            "Set cookies with Secure; HttpOnly (for session cookies); SameSite=Lax or Strict.",
        )
        .evidence(format!("set-cookie: {name}=…; {}", flags.join("; ")));
        if !session {
            p = p.severity(Severity::Low);
        }
        out.push(p);
    }
    out
}

/// The origin the CORS probe claims to come from.
pub const PROBE_ORIGIN: &str = "https://shipready-probe.invalid";

pub fn cors(answer: &HttpResponse) -> Option<Problem> {
    let allow = answer.header("access-control-allow-origin")?.trim();
    let credentials = answer
        .header("access-control-allow-credentials")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let reflects = allow.eq_ignore_ascii_case(PROBE_ORIGIN);
    if !credentials || !(reflects || allow == "*") {
        return None;
    }
    let why = if reflects {
        "echoes any Origin back with credentials: every web site can read this API as the logged-in user"
    } else {
        "allows * with credentials: browsers refuse it, so the API is either broken or meant to be open to any site"
    };
    Some(
        Problem::new(
            &CORS,
            &answer.url,
            format!("CORS {why}"),
            "Answer Access-Control-Allow-Origin only for your own origins, from a fixed list.",
        )
        .evidence(format!(
            "origin: {PROBE_ORIGIN} → access-control-allow-origin: {allow}, access-control-allow-credentials: true"
        )),
    )
}

/// Stack-trace and debug-page signatures: (text to find, what it is).
const DEBUG_SIGNS: &[(&str, &str)] = &[
    ("Traceback (most recent call last)", "a Python traceback"),
    (
        "You're seeing this error because you have <code>DEBUG = True</code>",
        "Django's debug page",
    ),
    ("DEBUG = True", "Django's debug page"),
    ("Werkzeug Debugger", "the Werkzeug debugger"),
    (
        "Action Controller: Exception caught",
        "Rails' exception page",
    ),
    ("Whoops! There was an error", "Laravel's debug page"),
    ("Server Error in '/' Application", "an ASP.NET error page"),
    ("goroutine 1 [running]", "a Go panic"),
    ("Exception in thread \"main\"", "a Java stack trace"),
    ("\tat java.", "a Java stack trace"),
    ("    at Layer.handle", "an Express stack trace"),
    ("    at Object.<anonymous>", "a Node.js stack trace"),
    ("Fatal error: Uncaught", "a PHP fatal error"),
    ("Stack trace:\n#0", "a PHP stack trace"),
];

pub fn error_disclosure(answer: &HttpResponse) -> Option<Problem> {
    if answer.status < 400 {
        return None;
    }
    let text = answer.text();
    let (sign, what) = DEBUG_SIGNS.iter().find(|(s, _)| text.contains(s))?;
    let at = text.find(sign).unwrap_or(0);
    let excerpt: String = text[at..].chars().take(160).collect();
    Some(
        Problem::new(
            &ERROR_DISCLOSURE,
            &answer.url,
            format!("the {} answer shows {what}", answer.status),
            "Turn debug mode off in production and serve a plain error page.",
        )
        .evidence(excerpt.replace('\n', "⏎")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            url: "https://app.test/".into(),
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            ..HttpResponse::default()
        }
    }

    #[test]
    fn hsts_missing_short_without_subdomains_and_good() {
        assert!(hsts(&page(&[])).unwrap().message.contains("no Strict"));
        assert!(
            hsts(&page(&[("strict-transport-security", "max-age=300")]))
                .unwrap()
                .message
                .contains("under a year")
        );
        let p = hsts(&page(&[("strict-transport-security", "max-age=31536000")])).unwrap();
        assert_eq!(p.severity, Some(Severity::Low));
        assert!(
            hsts(&page(&[(
                "strict-transport-security",
                "max-age=63072000; includeSubDomains; preload"
            )]))
            .is_none()
        );
    }

    #[test]
    fn csp_missing_unsafe_inline_wildcard_and_good() {
        assert!(csp(&page(&[])).is_some());
        assert!(
            csp(&page(&[(
                "content-security-policy",
                "default-src 'self' 'unsafe-inline'"
            )]))
            .unwrap()
            .message
            .contains("unsafe-inline")
        );
        assert!(csp(&page(&[("content-security-policy", "script-src *")])).is_some());
        assert!(
            csp(&page(&[(
                "content-security-policy",
                "script-src 'self' 'nonce-abc' 'unsafe-inline'"
            )]))
            .is_none()
        );
        assert!(
            csp(&page(&[(
                "content-security-policy",
                "default-src 'self'; frame-ancestors 'none'"
            )]))
            .is_none()
        );
        // A policy about frames only does not restrict scripts.
        assert!(
            csp(&page(&[(
                "content-security-policy",
                "frame-ancestors 'none'"
            )]))
            .is_some()
        );
    }

    #[test]
    fn clickjacking_by_csp_or_xfo() {
        assert!(clickjacking(&page(&[])).is_some());
        assert!(clickjacking(&page(&[("x-frame-options", "deny")])).is_none());
        assert!(
            clickjacking(&page(&[(
                "content-security-policy",
                "frame-ancestors 'self'"
            )]))
            .is_none()
        );
        assert!(clickjacking(&page(&[("content-security-policy", "frame-ancestors *")])).is_some());
    }

    #[test]
    fn cookies_flags_and_the_value_never_shown() {
        let p = page(&[
            ("set-cookie", "session=s3cr3tvalue; Path=/"),
            ("set-cookie", "theme=dark; Secure; SameSite=Lax"),
            ("set-cookie", "sid=x; Secure; HttpOnly; SameSite=Strict"),
        ]);
        let found = cookies(&p, true);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("Secure, HttpOnly, SameSite"));
        assert!(!format!("{found:?}").contains("s3cr3tvalue"));
        let csrf_and_deleted = page(&[
            ("set-cookie", "XSRF-TOKEN=t; Path=/; Secure; SameSite=Lax"),
            ("set-cookie", "session=; Path=/; Max-Age=0"),
        ]);
        assert!(cookies(&csrf_and_deleted, true).is_empty());
    }

    #[test]
    fn cors_reflection_with_credentials_only() {
        let reflect = page(&[
            ("access-control-allow-origin", PROBE_ORIGIN),
            ("access-control-allow-credentials", "true"),
        ]);
        assert!(cors(&reflect).is_some());
        assert!(cors(&page(&[("access-control-allow-origin", "*")])).is_none());
        assert!(
            cors(&page(&[
                ("access-control-allow-origin", "https://app.test"),
                ("access-control-allow-credentials", "true")
            ]))
            .is_none()
        );
    }

    #[test]
    fn banners_with_versions() {
        assert_eq!(banner(&page(&[("server", "nginx/1.18.0")])).len(), 1);
        assert_eq!(
            banner(&page(&[("server", "Apache/2.4.41 (Ubuntu)")])).len(),
            1
        );
        assert!(banner(&page(&[("server", "nginx")])).is_empty());
        assert!(banner(&page(&[("server", "AmazonS3")])).is_empty());
        assert!(banner(&page(&[("server", "ECS (dcb/7F84)")])).is_empty());
        assert_eq!(banner(&page(&[("x-powered-by", "Express")])).len(), 1);
    }

    #[test]
    fn debug_pages_in_error_answers_only() {
        let mut p = page(&[]);
        p.status = 500;
        p.body = b"<pre>Traceback (most recent call last):\n  File \"app.py\"".to_vec();
        assert!(error_disclosure(&p).is_some());
        p.status = 200;
        assert!(error_disclosure(&p).is_none());
    }
}

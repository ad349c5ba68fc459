//! With `--url`: the privileged routes found in the source are requested
//! on the live application without credentials, `GET` only, redirects not
//! followed, at most [`MAX_PROBES`] per origin. A `200` with content that
//! is neither a sign-in page nor the single-page-app fallback (what a path
//! that cannot exist answers) is a confirmed exposure.
//!
//! Routes with parameters (`/admin/users/:id`) are not requested: the
//! check does not guess ids.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use shipready_sdk::prelude::*;
use shipready_sdk::{HttpRequest, HttpResponse};

use crate::judge::PRIVILEGED_PATH;
use crate::routes::Route;
use crate::rules;

/// Requests per origin, the fallback probe included.
pub const MAX_PROBES: usize = 20;

static SIGN_IN_PAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)type=["']?password|sign[ -]?in|log[ -]?in|unauthori[sz]ed|forbidden"#)
        .expect("valid")
});

/// A path the application cannot have: what it answers is the fallback.
const PROBE: &str = "/shipready-probe-no-such-page-7f3a";

/// The privileged `GET` paths worth requesting: no parameters.
fn candidates(routes: &[Route]) -> Vec<String> {
    let paths: BTreeSet<String> = routes
        .iter()
        .filter(|r| matches!(r.method.as_str(), "GET" | "ANY"))
        .filter(|r| PRIVILEGED_PATH.is_match(&r.path))
        .map(|r| r.path.clone())
        .filter(|p| !p.contains([':', '{', '<', '[', '*', '(']))
        .collect();
    paths.into_iter().collect()
}

fn text(response: &HttpResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

pub fn confirm(cx: &mut Cx<'_>, routes: &[Route]) {
    let origins: Vec<String> = cx
        .context()
        .urls
        .iter()
        .map(|u| u.trim_end_matches('/').to_string())
        .collect();
    let paths = candidates(routes);
    if origins.is_empty() || paths.is_empty() {
        return;
    }
    for origin in origins {
        let mut requests = vec![HttpRequest::get(format!("{origin}{PROBE}")).no_redirects()];
        requests.extend(
            paths
                .iter()
                .take(MAX_PROBES - 1)
                .map(|p| HttpRequest::get(format!("{origin}{p}")).no_redirects()),
        );
        let answers = cx.http_send(&requests);
        let fallback = answers
            .first()
            .and_then(|a| a.as_ref().ok())
            .filter(|r| r.status == 200)
            .map(text);
        for (path, answer) in paths.iter().zip(answers.iter().skip(1)) {
            let Ok(response) = answer else { continue };
            let body = text(response);
            let exposed = response.status == 200
                && !body.trim().is_empty()
                && !SIGN_IN_PAGE.is_match(&body)
                && fallback.as_deref() != Some(body.as_str());
            if !exposed {
                continue;
            }
            let route = routes
                .iter()
                .find(|r| &r.path == path)
                .expect("a candidate");
            let content_type = response
                .headers
                .iter()
                .find(|(k, _)| k == "content-type")
                .map_or("no content type", |(_, v)| v.as_str());
            cx.report(
                Finding::new(
                    &rules::EXPOSED,
                    format!(
                        "GET {path} answers 200 with content to a request without credentials (declared at {}:{})",
                        route.file, route.line
                    ),
                )
                .at_url(response.url.clone())
                .evidence(format!(
                    "200, {} bytes{}, {content_type}",
                    body.len(),
                    if response.truncated { " (truncated)" } else { "" }
                ))
                .fingerprint(format!("{origin}{path}")),
            );
        }
    }
}

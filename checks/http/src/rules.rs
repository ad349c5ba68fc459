//! The rules of the `http` check, each with its documentation.

use shipready_sdk::prelude::*;

shipready_sdk::rule! {
    /// ## What it checks
    /// That every `--url` target answers HTTP at all: a valid URL, a name
    /// that resolves, a port that accepts connections and speaks HTTP, an
    /// answer within the time limit, redirects that end.
    ///
    /// ## Why it matters
    /// Nothing else about the live site can be checked, and users cannot
    /// reach it either.
    ///
    /// ## Example
    /// `--url https://app.example.com` where nothing listens on port 443:
    /// "connection failed". Fix the URL, DNS or the deployment.
    pub static UNREACHABLE: Rule = ("http/unreachable", "Live target unreachable", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// That the site is served over HTTPS and that plain `http://` on port
    /// 80 answers with a redirect to `https://`.
    ///
    /// ## Why it matters
    /// Anything sent over plain HTTP (session cookies, passwords, pages) can
    /// be read and changed by anyone on the network path.
    ///
    /// ## Example
    /// `http://app.example.com/` answers 200 with the app. Redirect it:
    /// `return 301 https://$host$request_uri;` (nginx), or force HTTPS at
    /// the load balancer.
    pub static NO_HTTPS_REDIRECT: Rule = ("http/no-https-redirect", "Plain HTTP not redirected to HTTPS", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// The `Strict-Transport-Security` header of HTTPS answers: present,
    /// `max-age` of at least a year (31536000), with `includeSubDomains`.
    ///
    /// ## Why it matters
    /// Without HSTS a first visit, or any link to `http://`, can be
    /// downgraded and intercepted (SSL stripping). A short max-age lets the
    /// protection lapse between visits; without `includeSubDomains` a
    /// sibling host can set cookies for the whole domain over HTTP.
    ///
    /// ## Example
    /// `strict-transport-security: max-age=300`. Send
    /// `Strict-Transport-Security: max-age=31536000; includeSubDomains`.
    pub static HSTS: Rule = ("http/hsts", "HSTS missing or weak", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A `Content-Security-Policy` header whose scripts are restricted:
    /// no `'unsafe-inline'` without a nonce or hash, no `*` (or bare
    /// `https:`/`http:`) source for scripts.
    ///
    /// ## Why it matters
    /// A CSP is what keeps one injected `<script>` (XSS) from running. A
    /// policy that allows inline script or any host stops nothing.
    ///
    /// ## Example
    /// `content-security-policy: default-src * 'unsafe-inline'`. Start from
    /// `default-src 'self'; script-src 'self' 'nonce-…'; object-src 'none';
    /// base-uri 'none'; frame-ancestors 'none'`.
    pub static CSP: Rule = ("http/csp", "Content-Security-Policy missing or defeated", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// `X-Content-Type-Options: nosniff` on the page.
    ///
    /// ## Why it matters
    /// Without it browsers may guess a response's type, and run an uploaded
    /// "image" or text file as script or HTML.
    ///
    /// ## Example
    /// No such header. Send `X-Content-Type-Options: nosniff` on every response.
    pub static CONTENT_TYPE_OPTIONS: Rule = ("http/content-type-options", "X-Content-Type-Options missing", Severity::Low);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Protection against being framed: CSP `frame-ancestors`, or
    /// `X-Frame-Options: DENY` / `SAMEORIGIN`.
    ///
    /// ## Why it matters
    /// A page that any site can frame can be overlaid with a decoy, so a
    /// user clicks "delete account" while thinking of something else
    /// (clickjacking).
    ///
    /// ## Example
    /// Neither header. Send `Content-Security-Policy: frame-ancestors 'none'`
    /// (or `'self'`), and `X-Frame-Options: DENY` for old browsers.
    pub static CLICKJACKING: Rule = ("http/clickjacking", "No clickjacking protection", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A `Referrer-Policy` that does not send full URLs to other sites
    /// (`unsafe-url` and `no-referrer-when-downgrade` do).
    ///
    /// ## Why it matters
    /// URLs carry ids, search terms and sometimes tokens; without a policy
    /// they leak to every third party the page links to or loads from.
    ///
    /// ## Example
    /// No header. Send `Referrer-Policy: strict-origin-when-cross-origin`
    /// (or `no-referrer`).
    pub static REFERRER_POLICY: Rule = ("http/referrer-policy", "Referrer-Policy missing or leaky", Severity::Low);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Every `Set-Cookie` of the site: `Secure` (over HTTPS), `SameSite`,
    /// and `HttpOnly` for session cookies (names such as `session`, `sid`,
    /// `auth`, `token`, `jwt`, `connect.sid`, `PHPSESSID`, `JSESSIONID`).
    ///
    /// ## Why it matters
    /// A cookie without `Secure` is sent over plain HTTP and can be read on
    /// the network; a session cookie without `HttpOnly` can be stolen by any
    /// injected script; without `SameSite` it rides along on cross-site
    /// requests (CSRF).
    ///
    /// ## Example
    /// `set-cookie: session=…; Path=/`. Send
    /// `session=…; Path=/; Secure; HttpOnly; SameSite=Lax`.
    pub static COOKIES: Rule = ("http/cookies", "Cookie without Secure, HttpOnly or SameSite", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// The answer to a request with `Origin: https://shipready-probe.invalid`:
    /// an `Access-Control-Allow-Origin` that echoes that origin, or is `*`,
    /// together with `Access-Control-Allow-Credentials: true`.
    ///
    /// ## Why it matters
    /// Then any web site a logged-in user visits can call the API with the
    /// user's cookies and read the answers.
    ///
    /// ## Example
    /// `access-control-allow-origin: https://shipready-probe.invalid` and
    /// `access-control-allow-credentials: true`. Allow only your own origins,
    /// from a fixed list.
    pub static CORS: Rule = ("http/cors", "CORS open to any origin with credentials", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// `Server` and `X-Powered-By` headers that name a version
    /// (`nginx/1.18.0`, `PHP/7.4.3`, `Express`).
    ///
    /// ## Why it matters
    /// A version number tells an attacker which known vulnerabilities to
    /// try first, for free.
    ///
    /// ## Example
    /// `x-powered-by: PHP/7.4.3`. Turn it off (`expose_php = Off`,
    /// `server_tokens off;`, `app.disable('x-powered-by')`).
    pub static BANNER: Rule = ("http/server-banner", "Server version disclosed", Severity::Low);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Files that must never be served, requested and confirmed by their
    /// content (so a site that answers 200 to every path is not reported):
    /// `/.git/config`, `/.env` and its variants, `/.DS_Store`, database
    /// dumps and backups, `/server-status`.
    ///
    /// ## Why it matters
    /// `.git` gives away the source code and its history, `.env` the
    /// production secrets, a dump the users' data.
    ///
    /// ## Example
    /// `GET /.env` answers `DATABASE_URL=postgres://…`. Do not deploy these
    /// files; deny dotfiles at the web server (`location ~ /\. { deny all; }`);
    /// rotate every secret that was exposed.
    pub static EXPOSED_FILE: Rule = ("http/exposed-file", "Sensitive file served", Severity::Critical);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Error answers (a missing page, a bad request) that show a stack
    /// trace or a framework's debug page (Django `DEBUG = True`, Werkzeug,
    /// Rails, Laravel, ASP.NET, Express, a Go panic).
    ///
    /// ## Why it matters
    /// Debug pages show code, paths, settings and sometimes secrets, and a
    /// debug console may even run code.
    ///
    /// ## Example
    /// A 404 page with `Traceback (most recent call last):`. Turn debug off
    /// in production and serve a plain error page.
    pub static ERROR_DISCLOSURE: Rule = ("http/error-disclosure", "Stack trace or debug page in an error answer", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A health endpoint that answers 2xx: `/healthz`, `/health`, `/ready`,
    /// or the path set as `health_path` in `[checks.http] settings`.
    ///
    /// ## Why it matters
    /// Load balancers, orchestrators and uptime monitors need one to route
    /// traffic away from a broken instance and to wake someone up.
    ///
    /// ## Example
    /// Every candidate answers 404. Add `GET /healthz` answering 200 when
    /// the app can serve (and its database answers).
    pub static HEALTH: Rule = ("http/health-endpoint", "No health endpoint", Severity::Medium);
}

/// Every rule of the check.
pub static ALL: &[&Rule] = &[
    &UNREACHABLE,
    &NO_HTTPS_REDIRECT,
    &HSTS,
    &CSP,
    &CONTENT_TYPE_OPTIONS,
    &CLICKJACKING,
    &REFERRER_POLICY,
    &COOKIES,
    &CORS,
    &BANNER,
    &EXPOSED_FILE,
    &ERROR_DISCLOSURE,
    &HEALTH,
];

//! The rules of the access-control check, each with examples per
//! framework.

use shipready_sdk::prelude::*;

shipready_sdk::rule! {
    /// ## What it checks
    /// Lists every HTTP route the check found: method, full path (mount
    /// points and prefixes included), where it is declared, the guards that
    /// run before its handler, and what they amount to (`role-checked`,
    /// `authenticated`, `public by design`, `open`).
    ///
    /// ## Why it matters
    /// The inventory is what a reviewer reads before launch: every way into
    /// the application, and what stands in front of each. It is also how
    /// to see what the check understood.
    ///
    /// ## Example
    /// - Express: `POST /admin/users/:id/role (Express): role-checked; guards: requireAuth, requireRole('admin')`
    /// - FastAPI: `GET /items/{item_id} (FastAPI): open; no guard`
    /// - Django: `ANY /manage/users/ (Django): authenticated; guards: LoginRequiredMixin, ListView`
    ///
    /// ## How to fix
    /// Nothing to fix: this is information. A guard the check does not
    /// recognise by name can be added to the `auth_guards` or `role_guards`
    /// setting.
    pub static ROUTE: Rule = ("rbac/route", "HTTP route and its guards", Severity::Info);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A route that no authentication guard protects (per route, per router
    /// or mount, app-wide, or inside the handler), whose path is not public
    /// by design (health checks, sign-in, sign-up, password reset, public
    /// pages, `/api/public/...`, webhooks that verify their signature).
    /// Mutating methods and privileged paths are high severity, reads
    /// medium. A route the code declares public (`@Public()`, `AllowAny`,
    /// `permitAll()`, `skip_before_action :authenticate_user!` or a
    /// concern's macro that calls it) is listed as public with the line
    /// that says so, unless it is privileged or serves one record by its
    /// id (`/reports/:id`). Routes in tests, docs and examples are not the
    /// application's and are left out.
    ///
    /// ## Why it matters
    /// Anyone on the internet can call it. A route declared above
    /// `router.use(requireAuth)` or outside the guarded router is the
    /// usual way it happens.
    ///
    /// ## Example
    /// - Express: `router.get('/queue', handler)` declared before `router.use(requireAuth)`
    /// - Next.js: `export async function DELETE()` with no `auth()` call and no middleware
    /// - NestJS: `@Public() @Get(':id')` on a report
    /// - Flask: `@bp.route("/reports/revenue")` without `@login_required`
    /// - FastAPI: `@router.get("/{item_id}")` without `Depends(get_current_user)`
    /// - Django: `path("reports/", views.reports)` where the view has no `@login_required`
    /// - Rails: `resources :reports` whose controller has `skip_before_action :authenticate_user!, only: [:show]`
    /// - Rails: a controller outside `ApplicationController` whose concerns authenticate no one
    ///
    /// Not a finding: a Rails action behind `before_action :authenticate_user!`
    /// in a concern (`included do`) that `ApplicationController` includes;
    /// `allow_guests only: [:pricing]` (a concern's macro around
    /// `skip_before_action`) on a page without a record id.
    /// - gin: `reports := r.Group("/reports")` without `ensureLoggedIn()`
    /// - Spring: `.requestMatchers("/reports/**").permitAll()` on a report controller
    /// - Fastify: a route in a plugin registered before `addHook('onRequest', app.authenticate)`
    /// - Koa: `router.get('/exports', ...)` on a router without `router.use(requireAuth)`
    ///
    /// ## How to fix
    /// Put the route behind the authentication guard: `router.use(requireAuth)`
    /// before it, `@login_required`, `Depends(get_current_user)`,
    /// `LoginRequiredMixin`, a global guard. If it is public on purpose,
    /// move it under a public path (`/api/public/...`) so the intent shows.
    pub static UNAUTHENTICATED: Rule = ("rbac/unauthenticated-route", "Route reachable without authentication", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A privileged route (under `admin`, `internal`, `staff`, `manage`,
    /// impersonation, roles and permissions, exports of every user) that
    /// requires a signed-in user but checks no role or permission.
    ///
    /// ## Why it matters
    /// Every customer is a signed-in user. Without a role check, any of
    /// them can impersonate others, change roles or export the user base.
    ///
    /// ## Example
    /// - Express: `router.post('/users/:id/impersonate', handler)` on the admin router with only `requireAuth`
    /// - NestJS: `@Post('cache/flush')` on an `internal` controller under the global JWT guard only
    /// - Next.js: `app/api/internal/reindex/route.ts` checking `auth()` but no role
    /// - Flask: `@bp.route("/customers")` on the staff blueprint with only `@login_required`
    /// - FastAPI: `APIRouter(prefix="/internal", dependencies=[Depends(get_current_user)])`
    /// - Django: `class ManageUsersView(LoginRequiredMixin, ListView)`
    /// - Rails: `Admin::ImpersonationsController < ApplicationController` (not `Admin::BaseController`, which has `before_action :require_admin`)
    /// - gin: `internal := r.Group("/internal", ensureLoggedIn())` with no `requireRole(...)`
    /// - Spring: `/internal/**` covered only by `anyRequest().authenticated()`
    ///
    /// ## How to fix
    /// Add the role check: `requireRole('admin')`, `@UseGuards(RolesGuard)`
    /// with `@Roles('admin')`, `@roles_required("admin")`,
    /// `Depends(require_admin)`, `PermissionRequiredMixin`,
    /// `permission_classes = [IsAdminUser]`, or a role test in the handler.
    pub static UNPRIVILEGED_ADMIN: Rule = ("rbac/unprivileged-admin-route", "Privileged route without a role check", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// An application with signed-in users and no role or permission check
    /// on any route.
    ///
    /// ## Why it matters
    /// Without a role model, the first staff-only feature ships either
    /// open to every customer or behind ad-hoc checks.
    ///
    /// ## Example
    /// - Express: every route behind `requireAuth`, none behind a role guard
    /// - Django: only `@login_required`, never `@permission_required` or `is_staff`
    ///
    /// ## How to fix
    /// Give users roles (a `role` column, groups, permissions) and check them
    /// on privileged routes with a guard the check recognises or one named
    /// in the `role_guards` setting.
    pub static NO_ROLE_MODEL: Rule = ("rbac/no-role-model", "Multi-user application without roles", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A password hashed with MD5, SHA-1 or a plain SHA-2 (one fast hash,
    /// no work factor), or stored as it came in the request. bcrypt,
    /// scrypt, Argon2 and PBKDF2 are fine, hashing random tokens or HMACs
    /// with SHA-256 is not reported, and Ruby's `user.password = ...` is
    /// not (`has_secure_password` and Devise hash it).
    ///
    /// ## Why it matters
    /// A leaked table of fast hashes is cracked in hours on one GPU.
    ///
    /// ## Example
    /// - Node: `crypto.createHash('md5').update(req.body.password)`
    /// - Python: `hashlib.sha256(password.encode()).hexdigest()`
    /// - Ruby: `Digest::MD5.hexdigest(params[:password])`
    /// - Go: `sha256.Sum256([]byte(password))`
    /// - Java: `MessageDigest.getInstance("SHA-1").digest(rawPassword.getBytes())`
    /// - Plain text: `user.password = req.body.password`, `User.objects.create(password=request.POST["password"])`
    ///
    /// ## How to fix
    /// Use the framework's password hasher: `bcrypt.hash(password, 12)`,
    /// `argon2`, `werkzeug.security.generate_password_hash`, Django's
    /// `make_password`, `has_secure_password`, Spring's `BCryptPasswordEncoder`.
    pub static WEAK_HASH: Rule = ("rbac/weak-password-hash", "Password in plain text or hashed with a fast hash", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A sign-in, token or password-reset endpoint (one that accepts a
    /// request body) with no rate limit on the route, its router or the
    /// app.
    ///
    /// ## Why it matters
    /// Credential stuffing and reset-mail floods go through these
    /// endpoints first.
    ///
    /// ## Example
    /// - Express: `router.post('/password-reset', handler)` without a limiter
    /// - NestJS: `@Post('forgot-password')` without `@Throttle(...)`
    /// - Next.js: a reset `POST` handler that never calls `ratelimit.limit(...)`
    /// - Flask: `@bp.route("/forgot-password", methods=["POST"])` without `@limiter.limit(...)`
    /// - FastAPI: `@router.post("/password-reset")` without slowapi's `@limiter.limit`
    /// - Django: `path("accounts/password-reset/", PasswordResetView.as_view())` without `ratelimit`
    /// - Rails: `post "login"` when Rack::Attack throttles only `/users/sign_in`
    /// - gin: `r.POST("/password/forgot", h.ForgotPassword)` without a rate-limit middleware
    /// - Spring: `@PostMapping("/password-reset")` without resilience4j's `@RateLimiter`
    ///
    /// ## How to fix
    /// Limit by client and by account: express-rate-limit, `@Throttle`,
    /// flask-limiter, slowapi, django-ratelimit, rack-attack.
    pub static RATE_LIMIT: Rule = ("rbac/auth-rate-limit-missing", "Login or password reset without rate limiting", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// CSRF protection turned off for the application or a handler,
    /// except on a handler that verifies a webhook signature.
    ///
    /// ## Why it matters
    /// With cookie sessions, any website the user visits can submit forms
    /// to the application as that user.
    ///
    /// ## Example
    /// - Flask: `WTF_CSRF_ENABLED = False`, `@csrf.exempt` on a form view
    /// - Django: `@csrf_exempt` on a view that changes the profile
    /// - Rails: `skip_forgery_protection`, `protect_from_forgery with: :null_session`
    /// - Spring: `.csrf(csrf -> csrf.disable())` with session login
    ///
    /// ## How to fix
    /// Keep CSRF protection on for cookie-authenticated requests. Exempt
    /// only webhooks that verify a signature, or token-only APIs.
    pub static CSRF: Rule = ("rbac/csrf-disabled", "CSRF protection disabled", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// CORS configured to accept any origin (`*`, `origin: true`, an
    /// origin function that always says yes) while allowing credentials,
    /// in code or configuration.
    ///
    /// ## Why it matters
    /// Any website can then make signed-in requests on the user's behalf
    /// and read the responses.
    ///
    /// ## Example
    /// - Express: `cors({ origin: true, credentials: true })`
    /// - FastAPI: `CORSMiddleware(allow_origins=["*"], allow_credentials=True)`
    /// - Django: `CORS_ALLOW_ALL_ORIGINS = True` with `CORS_ALLOW_CREDENTIALS = True`
    /// - Spring: `setAllowedOriginPatterns(List.of("*"))` with `setAllowCredentials(true)`
    /// - gin: `AllowOriginFunc: func(string) bool { return true }, AllowCredentials: true`
    ///
    /// ## How to fix
    /// List the origins that may send credentials: `origin: ['https://app.example.com']`.
    pub static CORS: Rule = ("rbac/cors-any-origin-with-credentials", "CORS allows any origin with credentials", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A JWT read without verifying its signature, or with the `none`
    /// algorithm accepted.
    ///
    /// ## Why it matters
    /// Anyone can write a token that says they are an admin.
    ///
    /// ## Example
    /// - Node: `jwt.decode(token)` (jsonwebtoken), `this.jwt.decode(token)` (NestJS)
    /// - Python: `jwt.decode(token, options={"verify_signature": False})`
    /// - Go: `jwt.NewParser().ParseUnverified(token, &claims)`
    /// - Any: `algorithms: ['none']`
    ///
    /// ## How to fix
    /// Verify with the key and a fixed algorithm list: `jwt.verify(token,
    /// secret, { algorithms: ['HS256'] })`, `jwt.decode(token, key,
    /// algorithms=["HS256"])`, `jwt.Parse(token, keyFunc)`.
    pub static JWT: Rule = ("rbac/jwt-verification-disabled", "JWT signature not verified", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// The session cookie configured without `Secure` or without
    /// `HttpOnly`.
    ///
    /// ## Why it matters
    /// Without `Secure` the session travels over plain HTTP; without
    /// `HttpOnly` any injected script can read it.
    ///
    /// ## Example
    /// - Express: `session({ cookie: { secure: false } })`
    /// - NextAuth: `cookies: { sessionToken: { options: { secure: false } } }`
    /// - Django: `SESSION_COOKIE_SECURE = False`
    /// - Rails: `session_store :cookie_store, secure: false`
    /// - Spring: `server.servlet.session.cookie.secure: false`
    ///
    /// ## How to fix
    /// Set both flags in production: `secure: true, httpOnly: true`
    /// (`secure: process.env.NODE_ENV === 'production'` is fine).
    pub static SESSION_COOKIE: Rule = ("rbac/insecure-session-cookie", "Session cookie without Secure or HttpOnly", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A privileged action (deleting a user, changing roles or permissions,
    /// impersonating) whose handler writes no audit entry. Heuristic: the
    /// handler's text is searched for an audit call.
    ///
    /// ## Why it matters
    /// When an account is taken over or an admin goes rogue, the audit log
    /// is how you find out what happened and to whom.
    ///
    /// ## Example
    /// - Express: `router.delete('/users/:id', requireRole('admin'), handler)` without `audit.log(...)`
    /// - FastAPI: `@router.post("/impersonate/{user_id}")` without `audit_log(...)`
    /// - Django: `delete_user` without `AuditLog.objects.create(...)`
    /// - Rails: `Admin::UsersController#destroy` without `AuditLog.create!(...)`
    /// - gin: `admin.PUT("/users/:id/role", h.ChangeRole)` whose handler never calls `h.audit(...)`
    /// - Spring: `@DeleteMapping("/users/{id}")` without `auditLog.record(...)`
    ///
    /// ## How to fix
    /// Record who did what to whom, and when: `audit.log(req.user,
    /// 'user.deleted', { userId })`.
    pub static AUDIT_LOG: Rule = ("rbac/audit-log-missing", "Privileged action without an audit log entry", Severity::Low);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Routes registered in a way the check cannot follow: in a loop over a
    /// table, with a computed path or method. They are not counted as
    /// protected or unprotected: they cannot be verified.
    ///
    /// ## Why it matters
    /// A route nobody can see in the source is a route nobody reviews.
    ///
    /// ## Example
    /// - Express: `app[route.method](route.path, requireAuth, route.handler)`
    /// - Flask: `app.add_url_rule(f"/docs/{slug}", view_func=...)` in a loop
    /// - FastAPI: `app.add_api_route(path, endpoint)` in a loop
    /// - Django: `[path(f"docs/{slug}/", view) for slug in SLUGS]`
    /// - Rails: `%w[a b].each { |p| get "pages/#{p}" }`
    /// - Go: routes in `func Register(rg *gin.RouterGroup)` that nothing calls with a known router
    ///
    /// ## How to fix
    /// Declare the routes one by one, or check the generated routes
    /// yourself and suppress the finding with a reason.
    pub static DYNAMIC: Rule = ("rbac/dynamic-route", "Routes registered dynamically: cannot verify", Severity::Low);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Route files of a framework the check does not read yet (hapi,
    /// Spring controllers in Kotlin), route files that could not be
    /// parsed cleanly, and a framework whose route declarations were
    /// followed to a handler with known guards for less than 90% of them
    /// (the others are listed: a controller not in the repository, routes
    /// registered at run time).
    ///
    /// ## Why it matters
    /// Routes the check cannot see are not known to be protected: the
    /// access-control item cannot pass on them.
    ///
    /// ## Example
    /// - hapi: `server.route({ method: 'GET', path: '/admin/users', handler })`
    /// - Spring in Kotlin: `@RestController class AdminController`
    /// - Any: a routes file with syntax errors (its routes are read from the partial tree)
    /// - Rails: `Rails: 212 of 280 route declarations followed to a handler (75%)`, most routes pointing at controllers of an engine
    ///
    /// ## How to fix
    /// Review those routes by hand; the finding names the files.
    pub static NOT_ANALYSED: Rule = ("rbac/not-analysed", "Routes the check cannot read", Severity::Low);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// With `--url`: each privileged `GET` route found in the source
    /// (admin, internal, staff, exports of every user; routes without path
    /// parameters) is requested on the live application without
    /// credentials, redirects not followed, at most 20 requests per origin.
    /// A `200` with content that is not a sign-in page and not the
    /// single-page-app fallback (what a path that cannot exist answers) is
    /// reported.
    ///
    /// ## Why it matters
    /// The source can be right and production wrong: a proxy rule, a
    /// feature flag, a forgotten debug mount. This is the proof that
    /// anyone can open the page.
    ///
    /// ## Example
    /// - `GET https://app.example.com/admin/users` answers `200` with the user list
    /// - `GET https://app.example.com/internal/metrics` answers `200` JSON
    ///
    /// ## How to fix
    /// Put the route behind authentication and a role check in the
    /// application (see `rbac/unauthenticated-route` and
    /// `rbac/unprivileged-admin-route`), then check the live URL again.
    pub static EXPOSED: Rule = ("rbac/exposed-admin-route", "Privileged route open on the live application", Severity::Critical);
}

pub static ALL: &[&Rule] = &[
    &ROUTE,
    &UNAUTHENTICATED,
    &UNPRIVILEGED_ADMIN,
    &NO_ROLE_MODEL,
    &WEAK_HASH,
    &RATE_LIMIT,
    &CSRF,
    &CORS,
    &JWT,
    &SESSION_COOKIE,
    &AUDIT_LOG,
    &DYNAMIC,
    &NOT_ANALYSED,
    &EXPOSED,
];

//! The check on fixture apps in nine stacks (`tests/fixtures/rbac`), scored
//! against the `expect:` markers written in them, and on the bad inputs:
//! routes built at run time, several frameworks in one repository, files
//! that do not parse, bad settings.

use std::collections::BTreeSet;
use std::path::Path;

use shipready_sdk::Outcome;
use shipready_sdk::testing::{FakeRepo, assert_apps_exact, found};

use super::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/rbac");

/// A blind set written to break the check, scored the same way.
const HOLDOUT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/rbac-holdout"
);

/// The guard names the fixtures' README says the apps are checked with.
fn configured(repo: FakeRepo) -> FakeRepo {
    repo.setting(
        "auth_guards",
        r#"["requireAuth", "ensureLoggedIn", "require_login"]"#,
    )
    .setting(
        "role_guards",
        r#"["requireRole", "require_admin", "roles_required"]"#,
    )
}

/// The check's outcome on one fixture app.
fn run_app(app: &str) -> Outcome {
    configured(FakeRepo::from_dir(&Path::new(FIXTURES).join(app)))
        .run::<Rbac>()
        .unwrap()
}

#[test]
fn precision_and_recall_on_every_fixture_app() {
    assert_apps_exact::<Rbac>("rbac", Path::new(FIXTURES), configured, &["rbac/route"]);
}

#[test]
fn precision_and_recall_on_the_blind_holdout_apps() {
    assert_apps_exact::<Rbac>(
        "rbac holdout",
        Path::new(HOLDOUT),
        configured,
        &["rbac/route"],
    );
}

#[test]
fn routes_of_frameworks_not_read_yet_are_reported_not_passed() {
    let outcome = FakeRepo::new()
        .file(
            "server.js",
            "const Hapi = require('@hapi/hapi');\nconst server = Hapi.server({ port: 3000 });\nserver.route({ method: 'GET', path: '/admin/users', handler: () => [] });\n",
        )
        .run::<Rbac>()
        .unwrap();
    assert_eq!(
        findings(&outcome),
        vec![("server.js".into(), 0, "rbac/not-analysed".into())]
    );
}

#[test]
fn every_rule_is_documented_with_examples() {
    shipready_sdk::testing::assert_documented(rules::ALL);
}

#[test]
fn the_inventory_lists_every_route_with_its_guards() {
    let outcome = run_app("express");
    let routes: BTreeSet<(String, u32, &str)> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == "rbac/route")
        .map(|f| match &f.location {
            Some(shipready_sdk::Location::File { path, span, .. }) => (
                path.clone(),
                span.map_or(0, |s| s.start_line),
                f.message.as_str(),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(routes.len(), 17, "{routes:#?}");
    for (path, line, message) in [
        (
            "app.js",
            28,
            "GET /healthz (Express): public by design; no guard",
        ),
        (
            "routes/admin.js",
            9,
            "GET /admin/queue (Express): open; no guard",
        ),
        (
            "routes/admin.js",
            32,
            "POST /admin/users/:id/impersonate (Express): authenticated; guards: requireAuth",
        ),
        (
            "routes/admin.js",
            21,
            "POST /admin/users/:id/role (Express): role-checked; guards: requireAuth, requireRole('admin')",
        ),
        (
            "routes/auth.js",
            12,
            "POST /auth/login (Express): public by design; guards: authLimiter",
        ),
        (
            "routes/projects.js",
            18,
            "GET /projects/:id (Express): authenticated; guards: requireAuth",
        ),
        (
            "routes/webhooks.js",
            8,
            "POST /webhooks/stripe (Express): public (a webhook that checks its signature); no guard",
        ),
    ] {
        assert!(
            routes.contains(&(path.to_string(), line, message)),
            "{message} not in {routes:#?}"
        );
    }
}

#[test]
#[ignore]
fn print_inventory() {
    let stack = std::env::var("STACK").unwrap();
    let outcome = run_app(&stack);
    for f in &outcome.findings {
        println!("{} {:?} {}", f.rule, f.location, f.message);
    }
}

/// The inventory's lines: `GET /x (Express): open; no guard`.
fn inventory(outcome: &Outcome) -> Vec<&str> {
    outcome
        .findings
        .iter()
        .filter(|f| f.rule == "rbac/route")
        .map(|f| f.message.as_str())
        .collect()
}

/// Each of `wanted` is a line of the inventory.
fn assert_listed(outcome: &Outcome, wanted: &[&str]) {
    let routes = inventory(outcome);
    for want in wanted {
        assert!(routes.contains(want), "{want} not in {routes:#?}");
    }
}

/// Rules and lines of the findings that count (the inventory left out).
fn findings(outcome: &Outcome) -> Vec<(String, u32, String)> {
    found(outcome)
        .into_iter()
        .filter(|(_, _, rule)| rule != "rbac/route")
        .collect()
}

#[test]
fn several_frameworks_in_one_repository_are_all_read() {
    let outcome = FakeRepo::new()
        .file(
            "web/server.js",
            "const express = require('express');\nconst app = express();\napp.get('/billing', (req, res) => res.json({}));\n",
        )
        .file(
            "api/app.py",
            "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/exports', methods=['POST'])\ndef exports():\n    return ''\n",
        )
        .file(
            "svc/main.go",
            "package main\nimport \"github.com/gin-gonic/gin\"\nfunc main() {\n\tr := gin.Default()\n\tr.GET(\"/reports\", h)\n}\n",
        )
        .run::<Rbac>()
        .unwrap();
    assert_eq!(
        findings(&outcome),
        vec![
            ("api/app.py".into(), 4, "rbac/unauthenticated-route".into()),
            ("svc/main.go".into(), 5, "rbac/unauthenticated-route".into()),
            (
                "web/server.js".into(),
                3,
                "rbac/unauthenticated-route".into()
            ),
        ]
    );
    let high = outcome
        .findings
        .iter()
        .find(|f| f.rule == "rbac/unauthenticated-route" && f.message.starts_with("POST /exports"))
        .expect("the Flask route");
    assert_eq!(
        high.severity,
        Some(Severity::High),
        "a mutating route is high"
    );
}

#[test]
fn a_file_that_does_not_parse_still_yields_its_routes_and_is_named() {
    let outcome = FakeRepo::new()
        .file(
            "routes.js",
            "const router = require('express').Router();\nconst express = require('express');\nconst app = express();\napp.post('/orders', (req, res) => res.json({}));\nfunction broken( {\n",
        )
        .run::<Rbac>()
        .unwrap();
    let found = findings(&outcome);
    assert!(
        found.contains(&("routes.js".into(), 4, "rbac/unauthenticated-route".into())),
        "{found:#?}"
    );
    let partial = outcome
        .findings
        .iter()
        .find(|f| f.rule == "rbac/not-analysed")
        .expect("the broken file is named");
    assert!(
        partial.message.contains("syntax error"),
        "{}",
        partial.message
    );
}

#[test]
fn a_decorator_longer_than_the_host_sends_of_a_capture_is_read_not_a_crash() {
    // Seen on a real FastAPI repository: a 130 KB `pytest.mark.parametrize`
    // above a function; the host cuts capture text at 64 KB, so the
    // function's own offsets point past the text it sent.
    let big = "    {\"openapi\": \"3.1.0\"},\n".repeat(4_000);
    let source = format!(
        "from fastapi import APIRouter\nrouter = APIRouter()\n\n@pytest.mark.parametrize(\"specs\", [\n{big}])\n@router.get(\"/specs\")\ndef specs():\n    return []\n\n@router.post(\"/orders\")\ndef create_order():\n    return {{}}\n"
    );
    let outcome = FakeRepo::new()
        .file("app/routes.py", &source)
        .run::<Rbac>()
        .unwrap();
    let found = findings(&outcome);
    let orders_line = source.lines().position(|l| l.contains("/orders")).unwrap() as u32 + 1;
    assert!(
        found.contains(&(
            "app/routes.py".into(),
            orders_line,
            "rbac/unauthenticated-route".into()
        )),
        "{found:#?}"
    );
}

#[test]
fn routes_registered_in_a_loop_cannot_be_verified_and_do_not_pass() {
    let outcome = FakeRepo::new()
        .file(
            "app.js",
            "const express = require('express');\nconst app = express();\nfor (const r of table) {\n  app[r.method](r.path, r.handler);\n  app.get(r.path, r.handler);\n}\n",
        )
        .run::<Rbac>()
        .unwrap();
    assert_eq!(
        findings(&outcome),
        vec![
            // None of the declarations followed.
            (String::new(), 0, "rbac/not-analysed".into()),
            ("app.js".into(), 4, "rbac/dynamic-route".into()),
            ("app.js".into(), 5, "rbac/dynamic-route".into()),
        ]
    );
    assert!(
        outcome.not_applicable.is_empty(),
        "dynamic routes are routes"
    );
}

#[test]
fn signed_in_users_without_any_role_check_have_no_role_model() {
    let outcome = FakeRepo::new()
        .file(
            "app.js",
            "const express = require('express');\nconst app = express();\napp.use(requireAuth);\napp.get('/projects', list);\napp.post('/projects', create);\n",
        )
        .run::<Rbac>()
        .unwrap();
    assert_eq!(
        findings(&outcome),
        vec![(String::new(), 0, "rbac/no-role-model".into())]
    );
}

#[test]
fn a_repository_without_routes_is_not_applicable_for_the_route_rules() {
    let outcome = FakeRepo::new()
        .file("lib/util.py", "def add(a, b):\n    return a + b\n")
        .run::<Rbac>()
        .unwrap();
    assert!(findings(&outcome).is_empty());
    assert!(
        outcome
            .not_applicable
            .iter()
            .any(|n| n.rule == "rbac/unauthenticated-route")
    );
}

#[test]
fn bad_guard_settings_are_a_clear_error() {
    let err = FakeRepo::new()
        .setting("auth_guards", r#""requireAuth""#)
        .run::<Rbac>()
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("auth_guards must be a list of names"),
        "{err:?}"
    );
}

#[test]
fn rails_nested_member_and_collection_routes_get_their_paths_and_filters() {
    let outcome = FakeRepo::new()
        .file(
            "config/routes.rb",
            "Rails.application.routes.draw do\n  resources :projects, only: [:show] do\n    resources :tasks, only: [:create]\n    member do\n      post :archive\n    end\n    collection do\n      get :search\n    end\n  end\n  %w[a b].each do |name|\n    get \"pages/#{name}\", to: \"pages##{name}\"\n  end\nend\n",
        )
        .file(
            "app/controllers/application_controller.rb",
            "class ApplicationController < ActionController::Base\nend\n",
        )
        .file(
            "app/controllers/projects_controller.rb",
            "class ProjectsController < ApplicationController\n  before_action :authenticate_user!, except: [:search]\n\n  def show; end\n\n  def archive; end\n\n  def search; end\nend\n",
        )
        .file(
            "app/controllers/tasks_controller.rb",
            "class TasksController < ApplicationController\n  def create; end\nend\n",
        )
        .run::<Rbac>()
        .unwrap();
    assert_listed(
        &outcome,
        &[
            "GET /projects/:id (Rails): authenticated; guards: authenticate_user!; handler app/controllers/projects_controller.rb:4",
            "POST /projects/:project_id/tasks (Rails): open; no guard; handler app/controllers/tasks_controller.rb:2",
            "POST /projects/:id/archive (Rails): authenticated; guards: authenticate_user!; handler app/controllers/projects_controller.rb:6",
            "GET /projects/search (Rails): open; no guard; handler app/controllers/projects_controller.rb:8",
        ],
    );
    assert_eq!(
        findings(&outcome),
        vec![
            (String::new(), 0, "rbac/no-role-model".into()),
            // 4 of the 5 declarations followed: under 90%.
            (String::new(), 0, "rbac/not-analysed".into()),
            (
                "config/routes.rb".into(),
                3,
                "rbac/unauthenticated-route".into()
            ),
            (
                "config/routes.rb".into(),
                8,
                "rbac/unauthenticated-route".into()
            ),
            ("config/routes.rb".into(), 12, "rbac/dynamic-route".into()),
        ]
    );
}

mod live {
    use shipready_sdk::{HttpMethod, HttpResponse};

    use super::*;

    fn page(url: &str, status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            url: url.to_string(),
            status,
            headers: vec![("content-type".into(), "text/html".into())],
            body: body.as_bytes().to_vec(),
            ..HttpResponse::default()
        }
    }

    const APP: &str = "const express = require('express');\nconst app = express();\n\
        app.get('/admin/stats', requireAuth, requireRole('admin'), stats);\n\
        app.get('/admin/users', requireAuth, requireRole('admin'), users);\n\
        app.get('/admin/queue', requireAuth, requireRole('admin'), queue);\n\
        app.get('/admin/users/:id', requireAuth, requireRole('admin'), user);\n\
        app.get('/projects', requireAuth, projects);\n";

    #[test]
    fn privileged_routes_that_answer_without_credentials_are_confirmed() {
        let origin = "https://app.example.com";
        let outcome = FakeRepo::new()
            .file("server.js", APP)
            .url(origin)
            .answer(
                HttpMethod::Get,
                &format!("{origin}/shipready-probe-no-such-page-7f3a"),
                Ok(page("x", 404, "Not Found")),
            )
            .answer(
                HttpMethod::Get,
                &format!("{origin}/admin/stats"),
                Ok(page(
                    &format!("{origin}/admin/stats"),
                    200,
                    "{\"users\": 1204}",
                )),
            )
            .answer(
                HttpMethod::Get,
                &format!("{origin}/admin/users"),
                Ok(page("x", 302, "")),
            )
            .answer(
                HttpMethod::Get,
                &format!("{origin}/admin/queue"),
                Ok(page("x", 200, "<form><input type=\"password\"></form>")),
            )
            .run::<Rbac>()
            .unwrap();
        let exposed: Vec<&Finding> = outcome
            .findings
            .iter()
            .filter(|f| f.rule == "rbac/exposed-admin-route")
            .collect();
        assert_eq!(exposed.len(), 1, "{exposed:#?}");
        assert!(
            exposed[0]
                .message
                .starts_with("GET /admin/stats answers 200"),
            "{}",
            exposed[0].message
        );
        assert_eq!(
            exposed[0].evidence.as_deref(),
            Some("200, 15 bytes, text/html")
        );
        assert_eq!(
            exposed[0].location,
            Some(shipready_sdk::Location::Url(format!(
                "{origin}/admin/stats"
            )))
        );
    }

    #[test]
    fn a_single_page_app_fallback_is_not_an_exposure() {
        let origin = "https://app.example.com";
        let shell = "<!doctype html><div id=\"root\"></div>";
        let mut repo = FakeRepo::new().file("server.js", APP).url(origin);
        for path in [
            "/shipready-probe-no-such-page-7f3a",
            "/admin/stats",
            "/admin/users",
            "/admin/queue",
        ] {
            repo = repo.answer(
                HttpMethod::Get,
                &format!("{origin}{path}"),
                Ok(page("x", 200, shell)),
            );
        }
        let outcome = repo.run::<Rbac>().unwrap();
        assert!(
            !outcome
                .findings
                .iter()
                .any(|f| f.rule == "rbac/exposed-admin-route")
        );
    }
}

#[test]
fn koa_routers_and_express_routers_mounted_in_the_same_file_get_prefix_and_guards() {
    let outcome = FakeRepo::new()
        .file(
            "koa.js",
            "const Koa = require('koa');\nconst Router = require('@koa/router');\nconst app = new Koa();\n\
             const api = new Router({ prefix: '/api' });\napi.use(requireAuth);\napi.get('/projects', list);\n\
             const open = new Router();\nopen.get('/exports', exportAll);\n\
             app.use(api.routes());\napp.use(open.routes());\n",
        )
        .file(
            "express.js",
            "const express = require('express');\nconst app = express();\nconst admin = express.Router();\n\
             admin.get('/stats', stats);\napp.use('/admin', requireAuth, requireRole('admin'), admin);\n",
        )
        .run::<Rbac>()
        .unwrap();
    assert_listed(
        &outcome,
        &[
            "GET /api/projects (Koa): authenticated; guards: requireAuth",
            "GET /exports (Koa): open; no guard",
            "GET /admin/stats (Express): role-checked; guards: requireAuth, requireRole('admin')",
        ],
    );
}

#[test]
fn fastify_plugins_registered_with_a_prefix_inherit_the_hooks_before_them() {
    let outcome = FakeRepo::new()
        .file(
            "src/server.js",
            "const Fastify = require('fastify');\nconst app = Fastify();\n\
             app.register(require('@fastify/rate-limit'), { max: 100 });\n\
             app.get('/healthz', async () => ({ ok: true }));\n\
             app.register(require('./routes/public'), { prefix: '/reports' });\n\
             app.addHook('onRequest', app.authenticate);\n\
             app.register(require('./routes/admin'), { prefix: '/admin' });\n\
             app.route({ method: ['GET'], url: '/me', handler: me });\n",
        )
        .file(
            "src/routes/admin.js",
            "module.exports = async function (fastify) {\n\
             fastify.get('/stats', { preHandler: [fastify.requireRole('admin')] }, stats);\n\
             fastify.post('/cache/flush', flush);\n};\n",
        )
        .file(
            "src/routes/public.js",
            "module.exports = async function (fastify) {\n  fastify.get('/:id', report);\n};\n",
        )
        .run::<Rbac>()
        .unwrap();
    assert_listed(
        &outcome,
        &[
            "GET /healthz (Fastify): public by design; guards: require('@fastify/rate-limit')",
            "GET /reports/:id (Fastify): open; guards: require('@fastify/rate-limit')",
            "GET /admin/stats (Fastify): role-checked; guards: require('@fastify/rate-limit'), app.authenticate, fastify.requireRole('admin')",
            "POST /admin/cache/flush (Fastify): authenticated; guards: require('@fastify/rate-limit'), app.authenticate",
            "GET /me (Fastify): authenticated; guards: require('@fastify/rate-limit'), app.authenticate",
        ],
    );
    assert_eq!(
        findings(&outcome),
        vec![
            (
                "src/routes/admin.js".into(),
                3,
                "rbac/unprivileged-admin-route".into()
            ),
            (
                "src/routes/public.js".into(),
                2,
                "rbac/unauthenticated-route".into()
            ),
        ]
    );
}

#[test]
fn echo_chi_and_net_http_routes_get_their_middleware() {
    let outcome = FakeRepo::new()
        .file(
            "cmd/echo/main.go",
            "package main\n\nimport \"github.com/labstack/echo/v4\"\n\nfunc main() {\n\te := echo.New()\n\tadmin := e.Group(\"/admin\", echojwt.JWT(secret))\n\tadmin.GET(\"/stats\", stats, requireRole(\"admin\"))\n\te.DELETE(\"/projects/:id\", deleteProject)\n}\n",
        )
        .file(
            "cmd/chi/main.go",
            "package main\n\nfunc main() {\n\tr := chi.NewRouter()\n\tr.Route(\"/api\", func(r chi.Router) {\n\t\tr.Use(requireAuth)\n\t\tr.Get(\"/projects\", listProjects)\n\t})\n\tr.Get(\"/exports\", exportAll)\n}\n",
        )
        .file(
            "cmd/std/main.go",
            "package main\n\nfunc main() {\n\tmux := http.NewServeMux()\n\tmux.Handle(\"GET /me\", requireAuth(http.HandlerFunc(me)))\n\tmux.HandleFunc(\"POST /internal/reindex\", reindex)\n}\n",
        )
        .run::<Rbac>()
        .unwrap();
    assert_listed(
        &outcome,
        &[
            "GET /admin/stats (echo): role-checked; guards: echojwt.JWT(secret), requireRole(\"admin\")",
            "DELETE /projects/:id (echo): open; no guard",
            "GET /api/projects (chi): authenticated; guards: requireAuth",
            "GET /exports (chi): open; no guard",
            "GET /me (net/http): authenticated; guards: requireAuth",
            "POST /internal/reindex (net/http): open; no guard",
        ],
    );
}

#[test]
fn a_huge_inventory_is_capped_and_says_so() {
    let mut app = String::from(
        "const express = require('express');\nconst app = express();\napp.use(requireAuth);\n",
    );
    for i in 0..judge::MAX_LISTED + 7 {
        app.push_str(&format!("app.get('/r{i}', h);\n"));
    }
    let outcome = FakeRepo::new().file("app.js", &app).run::<Rbac>().unwrap();
    let listed: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == "rbac/route")
        .collect();
    assert_eq!(listed.len(), judge::MAX_LISTED + 1);
    assert!(
        listed[0]
            .message
            .contains("7 more are judged but not listed"),
        "{}",
        listed[0].message
    );
}

#[test]
fn go_routes_registered_in_functions_get_the_router_their_caller_passes() {
    let outcome = FakeRepo::new()
        .file(
            "main.go",
            "package main\n\nimport \"github.com/gin-gonic/gin\"\n\nfunc main() {\n\tr := gin.Default()\n\tapi := r.Group(\"/api\", ensureLoggedIn())\n\troutes.RegisterProjects(api)\n\tRegisterPublic(r)\n}\n",
        )
        .file(
            "routes/projects.go",
            "package routes\n\nfunc RegisterProjects(rg *gin.RouterGroup) {\n\tadmin := rg.Group(\"/admin\")\n\tadmin.DELETE(\"/users/:id\", deleteUser)\n\trg.GET(\"/projects\", listProjects)\n}\n",
        )
        .file(
            "routes/public.go",
            "package main\n\nfunc RegisterPublic(e *gin.Engine) {\n\te.GET(\"/reports/:id\", report)\n}\n\nfunc Orphan(g *gin.RouterGroup) {\n\tg.GET(\"/orphan\", orphan)\n}\n",
        )
        .run::<Rbac>()
        .unwrap();
    assert_listed(
        &outcome,
        &[
            "DELETE /api/admin/users/:id (gin): authenticated; guards: ensureLoggedIn()",
            "GET /api/projects (gin): authenticated; guards: ensureLoggedIn()",
            "GET /reports/:id (gin): open; no guard",
        ],
    );
    let orphan = outcome
        .findings
        .iter()
        .find(|f| f.rule == "rbac/dynamic-route")
        .expect("the orphan's route cannot be verified");
    assert_eq!(
        orphan.evidence.as_deref(),
        Some("GET /orphan (registered by Orphan, which is never called with a known router)")
    );
}

#[test]
fn passwords_stored_as_they_came_are_plain_text_but_rails_setters_hash() {
    let outcome = FakeRepo::new()
        .file(
            "app/views.py",
            "def signup(request):\n    user.password = request.POST[\"password\"]\n    User.objects.create(email=e, password=request.POST[\"password\"])\n    User.objects.create_user(email=e, password=request.POST[\"password\"])\n",
        )
        .file("src/signup.js", "user.password = req.body.password;\nuser.passwordHash = await bcrypt.hash(req.body.password, 12);\n")
        .file("app/controllers/users_controller.rb", "user.password = params[:password]\n")
        .run::<Rbac>()
        .unwrap();
    assert_eq!(
        findings(&outcome),
        vec![
            ("app/views.py".into(), 2, "rbac/weak-password-hash".into()),
            ("app/views.py".into(), 3, "rbac/weak-password-hash".into()),
            ("src/signup.js".into(), 1, "rbac/weak-password-hash".into()),
        ]
    );
}

/// An Express app whose one route, `POST /orders` on line 3, is open.
const OPEN_ORDERS: &str =
    "const express = require('express');\nconst app = express();\napp.post('/orders', create);\n";

/// The outcome is that route of `OPEN_ORDERS` in `server.js`, and nothing else.
fn assert_only_open_orders(outcome: &Outcome) {
    assert_eq!(
        findings(outcome),
        vec![("server.js".into(), 3, "rbac/unauthenticated-route".into())]
    );
}

#[test]
fn a_change_without_source_or_configuration_costs_nothing() {
    let app = OPEN_ORDERS;
    let outcome = FakeRepo::new()
        .file("server.js", app)
        .file("README.md", "# shop\n")
        .changed(&["README.md"])
        .run::<Rbac>()
        .unwrap();
    assert!(outcome.findings.is_empty(), "{:#?}", outcome.findings);
    let outcome = FakeRepo::new()
        .file("server.js", app)
        .changed(&["server.js"])
        .run::<Rbac>()
        .unwrap();
    assert_only_open_orders(&outcome);
}

#[test]
fn a_nestjs_global_prefix_prefixes_every_controller() {
    let outcome = FakeRepo::new()
        .file(
            "src/main.ts",
            "async function bootstrap() {\n  const app = await NestFactory.create(AppModule);\n  app.setGlobalPrefix('api');\n  await app.listen(3000);\n}\n",
        )
        .file(
            "src/admin.controller.ts",
            "import { Controller, Get, UseGuards } from '@nestjs/common';\n@Controller('admin')\nexport class AdminController {\n  @UseGuards(JwtAuthGuard)\n  @Get('stats')\n  stats() {\n    return {};\n  }\n}\n",
        )
        .run::<Rbac>()
        .unwrap();
    assert_eq!(
        inventory(&outcome),
        vec!["GET /api/admin/stats (NestJS): authenticated; guards: UseGuards(JwtAuthGuard)"]
    );
}

#[test]
fn express_route_chains_are_routes() {
    let outcome = FakeRepo::new()
        .file(
            "app.js",
            "const express = require('express');\nconst router = express.Router();\n\
             router.route('/items/:id')\n  .get(requireAuth, getItem)\n  .delete(deleteItem);\n",
        )
        .run::<Rbac>()
        .unwrap();
    let mut routes = inventory(&outcome);
    routes.sort();
    assert_eq!(
        routes,
        vec![
            "DELETE /items/:id (Express): open; no guard",
            "GET /items/:id (Express): authenticated; guards: requireAuth",
        ]
    );
}

#[test]
fn chi_routers_mounted_from_a_factory_get_the_mount_prefix_and_middleware() {
    let outcome = FakeRepo::new()
        .file(
            "main.go",
            "package main\n\nimport \"github.com/go-chi/chi/v5\"\n\nfunc main() {\n\tr := chi.NewRouter()\n\tr.Use(requireAuth)\n\tr.Mount(\"/admin\", adminRouter())\n\thttp.ListenAndServe(\":8080\", r)\n}\n\n\
             func adminRouter() http.Handler {\n\tr := chi.NewRouter()\n\tr.Use(AdminOnly)\n\tr.Get(\"/stats\", stats)\n\treturn r\n}\n",
        )
        .file(
            "web/routes.go",
            "package web\n\nimport \"net/http\"\n\nfunc NewRouter() http.Handler {\n\tr := chi.NewRouter()\n\tr.Get(\"/orders\", orders)\n\treturn r\n}\n",
        )
        .run::<Rbac>()
        .unwrap();
    let mut routes = inventory(&outcome);
    routes.sort();
    assert_eq!(
        routes,
        vec![
            "GET /admin/stats (chi): role-checked; guards: requireAuth, AdminOnly",
            "GET /orders (chi): open; no guard",
        ]
    );
}

#[test]
fn routes_in_tests_and_examples_are_not_the_applications() {
    let app = OPEN_ORDERS;
    let outcome = FakeRepo::new()
        .file("server.js", app)
        .file("test/server.test.js", app)
        .file("src/orders.spec.js", app)
        .file("examples/basic/app.js", app)
        .run::<Rbac>()
        .unwrap();
    assert_only_open_orders(&outcome);
}

#[test]
fn rails_routes_to_controllers_not_in_the_repository_are_counted_not_judged() {
    let outcome = FakeRepo::new()
        .file(
            "config/routes.rb",
            "Rails.application.routes.draw do\n  get \"up\", to: \"rails/health#show\"\n  get \"old\", to: redirect(\"/new\")\n  resources :notes, only: [:index]\n  get \"billing\", to: \"billing#show\"\n  get \"engine\", to: \"engine/pages#show\"\nend\n",
        )
        .file(
            "app/controllers/notes_controller.rb",
            "class NotesController < ActionController::Base\n  before_action :authenticate_user!\n\n  def index; end\nend\n",
        )
        .run::<Rbac>()
        .unwrap();
    // Three declarations with a handler to judge (up, notes, and the two
    // missing ones): 2 of 4 followed, under 90%; nothing reported as open.
    let coverage: Vec<&str> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == "rbac/not-analysed")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(coverage.len(), 1, "{coverage:?}");
    assert!(
        coverage[0].starts_with("Rails: 2 of 4 route declarations followed"),
        "{}",
        coverage[0]
    );
    assert!(
        findings(&outcome)
            .iter()
            .all(|(_, _, rule)| rule == "rbac/not-analysed"),
        "{:?}",
        findings(&outcome)
    );
}

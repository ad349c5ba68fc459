//! The built-in `rbac` check through the real host: every fixture app's
//! findings are the ones its markers expect, the JSON report carries the
//! route inventory, and the access-control item never passes on routes
//! the check cannot read.

use shipready_tests::TempRepo;

use crate::{check_json, fixture_apps, found, item, marked};

fn app(set: &str, stack: &str) -> TempRepo {
    TempRepo::copy_of(&shipready_tests::fixture(set).join(stack)).file(
        "shipready.toml",
        "[checks.rbac]\nsettings = { auth_guards = [\"requireAuth\", \"ensureLoggedIn\", \"require_login\"], role_guards = [\"requireRole\", \"require_admin\", \"roles_required\"] }\n",
    )
}

/// Every app of a fixture set through the real host: exactly the marked
/// findings, the item failing, the inventory in the JSON.
fn every_marked_finding_is_found(set: &str, apps: usize) {
    let stacks = fixture_apps(set);
    assert_eq!(stacks.len(), apps, "{stacks:?}");
    for stack in &stacks {
        let repo = app(set, stack);
        let (run, report) = check_json(repo.path(), &["--only", "rbac"]);
        assert_eq!(run.code, 1, "{stack}: {}", run.stderr);
        let findings = report["findings"].as_array().unwrap();
        let found = found(&report, "rbac/route");
        let expected: Vec<_> = marked(repo.path())
            .into_iter()
            .filter(|(_, _, r)| r != "rbac/route")
            .collect();
        assert_eq!(found, expected, "{stack}");
        assert_eq!(
            item(&report, "access.routes-authenticated")["status"],
            "fail",
            "{stack}"
        );
        let routes = findings
            .iter()
            .filter(|f| f["rule"] == "rbac/route")
            .count();
        assert!(routes >= 10, "{stack}: the inventory has {routes} routes");
    }
}

#[test]
fn every_marked_finding_of_every_fixture_app_is_found_through_the_host() {
    every_marked_finding_is_found("rbac", 9);
}

#[test]
fn every_marked_finding_of_the_blind_holdout_apps_is_found_through_the_host() {
    every_marked_finding_is_found("rbac-holdout", 6);
}

#[test]
fn a_well_guarded_app_passes_and_its_inventory_is_in_the_json_report() {
    let repo = TempRepo::new().file(
        "server.js",
        "const express = require('express');\nconst rateLimit = require('express-rate-limit');\nconst app = express();\n\
         app.get('/healthz', (req, res) => res.json({ ok: true }));\n\
         app.post('/login', rateLimit({ max: 5 }), login);\n\
         app.use(requireAuth);\n\
         app.get('/projects', list);\n\
         app.delete('/admin/projects/:id', requireRole('admin'), remove);\n",
    );
    let (run, report) = check_json(repo.path(), &["--only", "rbac"]);
    assert_eq!(run.code, 0, "{}\n{report:#}", run.stderr);
    assert_eq!(
        item(&report, "access.routes-authenticated")["status"],
        "pass"
    );
    let inventory: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "rbac/route")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        inventory,
        vec![
            "GET /healthz (Express): public by design; no guard",
            "POST /login (Express): public by design; guards: rateLimit({ max: 5 })",
            "GET /projects (Express): authenticated; guards: requireAuth",
            "DELETE /admin/projects/:id (Express): role-checked; guards: requireAuth, requireRole('admin')",
        ]
    );
}

#[test]
fn a_repository_with_routes_the_check_cannot_read_does_not_pass() {
    let repo = TempRepo::new().file(
        "server.js",
        "const Hapi = require('@hapi/hapi');\nconst server = Hapi.server({ port: 3000 });\nserver.route({ method: 'GET', path: '/reports/{id}', handler: () => ({}) });\n",
    );
    let (run, report) = check_json(repo.path(), &["--only", "rbac"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let status = &item(&report, "access.routes-authenticated")["status"];
    assert_eq!(status, "warn", "{report:#}");
}

#[test]
fn with_a_url_open_admin_pages_are_confirmed_on_the_live_app() {
    use shipready_tests::live::{Behaviour, LiveServer, Route};
    let server = LiveServer::http(Behaviour::site(&[
        (
            "/admin/stats",
            Route::new(200, "{\"users\": 1204, \"mrr\": 51000}")
                .header("Content-Type", "application/json"),
        ),
        (
            "/admin/users",
            Route::new(401, "{\"error\": \"unauthenticated\"}"),
        ),
        ("/internal/metrics", Route::redirect(302, "/login")),
    ]));
    let repo = TempRepo::new().file(
        "server.js",
        "const express = require('express');\nconst app = express();\n\
         app.get('/admin/stats', requireRole('admin'), stats);\n\
         app.get('/admin/users', requireRole('admin'), users);\n\
         app.get('/admin/users/:id', requireRole('admin'), user);\n\
         app.get('/internal/metrics', requireRole('admin'), metrics);\n",
    );
    let origin = server.origin();
    let (run, report) = check_json(repo.path(), &["--only", "rbac", "--url", &origin]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let exposed: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "rbac/exposed-admin-route")
        .collect();
    assert_eq!(exposed.len(), 1, "{report:#}");
    assert_eq!(
        exposed[0]["location"]["url"],
        format!("{origin}/admin/stats")
    );
    assert!(
        !exposed[0]["evidence"].as_str().unwrap().contains("1204"),
        "no body in the evidence"
    );
    assert_eq!(
        item(&report, "access.routes-authenticated")["status"],
        "fail"
    );
    // The fallback probe and three parameterless routes: bounded, GET only.
    assert_eq!(server.requests(), 4);
}

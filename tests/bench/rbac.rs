//! `cargo bench -p shipready --bench rbac`: the access-control check on a
//! generated application of 4,000 source files (Express routers in
//! JavaScript, Flask blueprints in Python, gin handlers in Go, Rails
//! controllers with their routes file; four routes per router file and
//! seven per controller, one of them unguarded), against parsing the same files with
//! tree-sitter natively in this process (read and parse only, on every
//! core), measured in the same run. Prints the ratio.
//! `SHIPREADY_BENCH_SCALE` scales the file count.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Tree, best_of_interleaved, check_only, measure, parse_natively, scale};
use shipready_syntax::Language;

/// Routes per Express, Flask and gin file.
const ROUTES: usize = 4;
/// What the check lists at most (`judge::MAX_LISTED`), plus one note
/// saying how many more there are.
const LISTED: usize = 5_000;

fn express(i: usize) -> String {
    let mut s = String::from(
        "const express = require('express');\nconst { requireAuth, requireRole } = require('../middleware/auth');\nconst db = require('../lib/db');\n\nconst router = express.Router();\n",
    );
    for k in 0..ROUTES {
        let guard = match k {
            0 => "",
            1 => "requireAuth, requireRole('admin'), ",
            _ => "requireAuth, ",
        };
        s.push_str(&format!(
            "\nrouter.get('/r{i}/items{k}/:id', {guard}async (req, res) => {{\n  const values = [1, 2, 3].map((v) => v * {k});\n  const {{ rows }} = await db.query('SELECT * FROM items WHERE id = $1', [req.params.id]);\n  res.json({{ rows, values }});\n}});\n"
        ));
    }
    s.push_str("\nmodule.exports = router;\n");
    s
}

fn flask(i: usize) -> String {
    let mut s = format!(
        "from flask import Blueprint, jsonify\nfrom flask_login import login_required\n\nbp = Blueprint(\"b{i}\", __name__)\n"
    );
    for k in 0..ROUTES {
        let guard = if k == 0 { "" } else { "@login_required\n" };
        s.push_str(&format!(
            "\n\n@bp.route(\"/b{i}/page{k}\")\n{guard}def page_{k}():\n    items = [x * 2 for x in range({k})]\n    return jsonify(total=sum(items) + {i})\n"
        ));
    }
    s
}

fn gin(i: usize) -> String {
    let mut s = String::from("package api\n\nimport \"github.com/gin-gonic/gin\"\n\n");
    s.push_str(&format!(
        "func Register{i}(r *gin.Engine) {{\n\tapi := r.Group(\"/g{i}\", ensureLoggedIn())\n\topen := r.Group(\"/o{i}\")\n"
    ));
    for k in 0..ROUTES {
        let router = if k == 0 { "open" } else { "api" };
        s.push_str(&format!("\t{router}.GET(\"/items{k}\", handle{i}_{k})\n"));
    }
    s.push_str("}\n\n");
    for k in 0..ROUTES {
        s.push_str(&format!(
            "func handle{i}_{k}(c *gin.Context) {{\n\tx := {k} * 2\n\tc.JSON(200, gin.H{{\"x\": x}})\n}}\n\n"
        ));
    }
    s
}

fn rails(i: usize) -> String {
    let mut s = format!(
        "class Things{i}Controller < ApplicationController\n  skip_before_action :authenticate_user!, only: [:index]\n"
    );
    for action in [
        "index", "show", "new", "create", "edit", "update", "destroy",
    ] {
        s.push_str(&format!(
            "\n  def {action}\n    @things = current_user.things.order(:created_at).limit({i})\n    render json: @things\n  end\n"
        ));
    }
    s.push_str("end\n");
    s
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let per_kind = (1_000.0 * scale()) as usize;
    let tree = Tree::new();
    let root = tree.root.as_path();
    let write = |rel: &str, text: &str| tree.write(rel, text);
    let mut app = String::from("const express = require('express');\nconst app = express();\n");
    let mut routes_rb = String::from("Rails.application.routes.draw do\n");
    let mut server = String::from("package main\n\nfunc main() {\n\tr := gin.Default()\n");
    write(
        "app/controllers/application_controller.rb",
        "class ApplicationController < ActionController::Base\n  before_action :authenticate_user!\nend\n",
    );
    let mut files: Vec<(PathBuf, Language)> = Vec::new();
    let mut bytes = 0;
    for i in 0..per_kind {
        app.push_str(&format!("app.use('/v1', require('./routes/r{i}'));\n"));
        routes_rb.push_str(&format!("  resources :things{i}\n"));
        server.push_str(&format!("\tapi.Register{i}(r)\n"));
        let generated = [
            (format!("routes/r{i}.js"), express(i), Language::JavaScript),
            (
                format!("web/blueprints/b{i}.py"),
                flask(i),
                Language::Python,
            ),
            (format!("internal/api/g{i}.go"), gin(i), Language::Go),
            (
                format!("app/controllers/things{i}_controller.rb"),
                rails(i),
                Language::Ruby,
            ),
        ];
        for (rel, text, language) in generated {
            bytes += text.len();
            files.push((write(&rel, &text), language));
        }
    }
    app.push_str("app.listen(3000);\n");
    routes_rb.push_str("end\n");
    write("app.js", &app);
    write("config/routes.rb", &routes_rb);
    server.push_str("\t_ = r.Run()\n}\n");
    write("cmd/server/main.go", &server);
    let cache = tempfile::tempdir().unwrap();
    let run = || check_only(root, "rbac", cache.path());
    let out = run().output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    let routes = findings
        .iter()
        .filter(|f| f["rule"] == "rbac/route")
        .count();
    let open = findings
        .iter()
        .filter(|f| f["rule"] == "rbac/unauthenticated-route")
        .count();
    // Four routes per Express, Flask and gin file, seven per Rails
    // controller; one of each file's routes is open.
    let total = per_kind * (ROUTES * 3 + 7);
    if total > LISTED {
        assert_eq!(routes, LISTED + 1, "{:#}", report["checks"]);
        assert!(findings.iter().any(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{total} routes"))
        }));
    } else {
        assert_eq!(routes, total, "{:#}", report["checks"]);
    }
    assert_eq!(open, per_kind * 4, "{:#}", report["checks"]);

    let native = || parse_natively(&files);
    let ((ours, _), (reference, _)) = best_of_interleaved(5, || measure(&mut run()), native);
    println!(
        "shipready rbac benchmark: {} source files, {:.1} MB, {total} routes, best of 5 runs in turns",
        files.len(),
        bytes as f64 / 1e6
    );
    println!(
        "  --only rbac {:>7.0} ms ({open} open routes)   tree-sitter parsing the same files natively {:>7.0} ms   ratio {:.2}",
        ms(ours),
        ms(reference),
        ours.as_secs_f64() / reference.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

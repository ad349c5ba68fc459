//! `cargo bench -p shipready --bench org_scope`: the tenant-isolation
//! check on a generated multi-tenant codebase of 4,000 source files
//! (Python, JavaScript, Ruby and Go, about 3 KB each, with raw SQL, ORM
//! calls and plain code; one unscoped query per file), against parsing the
//! same files with
//! tree-sitter natively in this process (read and parse only, on every
//! core), measured in the same run. Prints the ratio.
//! `SHIPREADY_BENCH_SCALE` scales the file count.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Tree, best_of_interleaved, check_only, measure, parse_natively, scale};
use shipready_syntax::Language;

fn python(i: usize) -> String {
    let mut s = String::from(
        "from django.http import JsonResponse\nfrom billing.models import Invoice\n\n",
    );
    for k in 0..12 {
        s.push_str(&format!(
            "def view_{i}_{k}(request, pk):\n    items = [x * 2 for x in range({k})]\n    total = sum(items) + {i}\n"
        ));
        s.push_str(match k % 4 {
            0 => "    rows = Invoice.objects.filter(org=request.org, status=\"open\")\n",
            1 if k == 1 => "    rows = Invoice.objects.get(pk=pk)\n",
            1 => "    rows = request.org.invoices.get(pk=pk)\n",
            2 => "    cursor.execute(\"SELECT * FROM billing_invoice WHERE org_id = %s\", [request.org.id])\n",
            _ => "    rows = Invoice.objects.filter(org_id=request.org.id).order_by(\"-id\")\n",
        });
        s.push_str("    return JsonResponse({\"total\": total})\n\n");
    }
    s
}

fn javascript(i: usize) -> String {
    let mut s = String::from("const pool = require('./db');\n\n");
    for k in 0..12 {
        s.push_str(&format!(
            "async function handler{i}_{k}(req, res) {{\n  const values = [1, 2, 3].map((v) => v * {k});\n"
        ));
        s.push_str(match k % 3 {
            0 => "  const { rows } = await pool.query('SELECT * FROM invoices WHERE org_id = $1', [req.orgId]);\n",
            1 if k == 1 => "  const { rows } = await pool.query('SELECT * FROM invoices WHERE id = $1', [req.params.id]);\n",
            1 => "  const { rows } = await pool.query('SELECT * FROM invoices WHERE id = $1 AND org_id = $2', [req.params.id, req.orgId]);\n",
            _ => "  const rows = values.filter((v) => v > 2).find((v) => v === 3);\n",
        });
        s.push_str("  res.json({ rows, values });\n}\n\n");
    }
    s
}

fn ruby(i: usize) -> String {
    let mut s = format!("class Controller{i} < ApplicationController\n");
    for k in 0..12 {
        s.push_str(&format!(
            "  def action_{k}\n    total = [1, 2, 3].sum * {k}\n"
        ));
        s.push_str(match k % 3 {
            0 => "    @invoices = Invoice.where(organization: current_organization)\n",
            1 if k == 1 => "    @invoice = Invoice.find(params[:id])\n",
            1 => "    @invoice = current_organization.invoices.find(params[:id])\n",
            _ => "    @invoices = current_organization.invoices.order(:due_at)\n",
        });
        s.push_str("    render json: { total: total }\n  end\n\n");
    }
    s.push_str("end\n");
    s
}

fn go(i: usize) -> String {
    let mut s = String::from("package store\n\nimport \"context\"\n\n");
    for k in 0..12 {
        s.push_str(&format!(
            "func (s *Store) Get{i}_{k}(ctx context.Context, orgID, id int64) error {{\n\tx := {k} * 2\n\t_ = x\n"
        ));
        s.push_str(match k {
            1 => "\t_, err := s.db.ExecContext(ctx, \"DELETE FROM invoices WHERE id = $1\", id)\n\treturn err\n}\n\n",
            _ => "\treturn s.db.GetContext(ctx, &v, \"SELECT * FROM invoices WHERE org_id = $1 AND id = $2\", orgID, id)\n}\n\n",
        });
    }
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
    write(
        "db/migrations/001_init.sql",
        "CREATE TABLE invoices (id bigint, org_id bigint, status text);\n",
    );
    write(
        "billing/models.py",
        "from django.db import models\n\nclass Invoice(models.Model):\n    org = models.ForeignKey(\"accounts.Organization\", on_delete=models.CASCADE)\n",
    );
    write(
        "app/models/invoice.rb",
        "class Invoice < ApplicationRecord\n  belongs_to :organization\nend\n",
    );
    let mut files: Vec<(PathBuf, Language)> = Vec::new();
    let mut bytes = 0;
    for i in 0..per_kind {
        let generated = [
            (format!("billing/views_{i}.py"), python(i), Language::Python),
            (
                format!("routes/r{i}.js"),
                javascript(i),
                Language::JavaScript,
            ),
            (
                format!("app/controllers/c{i}_controller.rb"),
                ruby(i),
                Language::Ruby,
            ),
            (format!("internal/store/s{i}.go"), go(i), Language::Go),
        ];
        for (rel, text, language) in generated {
            bytes += text.len();
            files.push((write(&rel, &text), language));
        }
    }
    let cache = tempfile::tempdir().unwrap();
    let run = || check_only(root, "org-scope", cache.path());
    let out = run().output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let findings = report["findings"].as_array().map_or(0, Vec::len);
    assert!(
        findings >= files.len(),
        "{findings} findings for {} files: {:#}",
        files.len(),
        report["checks"]
    );

    // The reference: read and parse every file with tree-sitter, natively,
    // on every core, no queries.
    let native = || parse_natively(&files);
    let ((ours, _), (reference, _)) = best_of_interleaved(5, || measure(&mut run()), native);
    println!(
        "shipready org-scope benchmark: {} source files, {:.1} MB, best of 5 runs in turns",
        files.len(),
        bytes as f64 / 1e6
    );
    println!(
        "  --only org-scope {:>7.0} ms ({findings} findings)   tree-sitter parsing the same files natively {:>7.0} ms   ratio {:.2}",
        ms(ours),
        ms(reference),
        ours.as_secs_f64() / reference.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

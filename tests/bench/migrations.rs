//! `cargo bench -p shipready --bench migrations`: the migrations check on a
//! repository of 5,000 migration files (2,500 golang-migrate up/down pairs
//! of realistic size, some dangerous statements in them) against the host
//! just reading the same files into a check (test plugin `reader`),
//! measured in the same run. Prints the ratio (target: under 2).
//! `SHIPREADY_BENCH_SCALE` scales the file count.

mod common;

use std::process::Command;

use common::{BIN, best_of_interleaved, measure, scale};

fn migration(i: usize) -> (String, String) {
    let mut up = String::from("SET lock_timeout = '5s';\n");
    up.push_str(&format!(
        "CREATE TABLE t{i} (\n  id bigserial PRIMARY KEY,\n  org_id bigint NOT NULL,\n  name text NOT NULL,\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n"
    ));
    up.push_str(&format!("CREATE INDEX t{i}_org ON t{i} (org_id);\n"));
    if i > 0 {
        let prev = i - 1;
        up.push_str(&format!("ALTER TABLE t{prev} ADD COLUMN note_{i} text;\n"));
        up.push_str(&format!(
            "ALTER TABLE t{prev} ADD CONSTRAINT t{prev}_org_{i} FOREIGN KEY (org_id) REFERENCES t{i} (id) NOT VALID;\n"
        ));
        if i.is_multiple_of(10) {
            up.push_str(&format!("CREATE INDEX t{prev}_name ON t{prev} (name);\n"));
        }
    }
    for k in 0..20 {
        up.push_str(&format!(
            "COMMENT ON COLUMN t{i}.name IS 'generated comment {k} explaining the column at some length';\n"
        ));
    }
    let down = format!("DROP TABLE t{i};\n");
    (up, down)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let pairs = (2_500.0 * scale()) as usize;
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("db/migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    let mut bytes = 0;
    for i in 0..pairs {
        let (up, down) = migration(i);
        bytes += up.len() + down.len();
        std::fs::write(migrations.join(format!("{i:06}_step.up.sql")), up).unwrap();
        std::fs::write(migrations.join(format!("{i:06}_step.down.sql")), down).unwrap();
    }
    let cache = tempfile::tempdir().unwrap();
    let reader = shipready_tests::plugin("reader");
    let run = |args: &[&str]| {
        let mut cmd = Command::new(BIN);
        cmd.args(["check", dir.path().to_str().unwrap(), "--format", "json"])
            .args(args)
            .env("SHIPREADY_CACHE_DIR", cache.path());
        cmd
    };
    let check = ["--only", "migrations"];
    let read = ["--only", "reader", "--plugin", reader.to_str().unwrap()];
    // Warm the cache; check the findings are real.
    let out = run(&check).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let findings = report["findings"].as_array().map_or(0, Vec::len);
    assert!(findings >= pairs / 10 - 1, "{findings} findings");
    measure(&mut run(&read));

    let ((ours, _), (reference, _)) =
        best_of_interleaved(7, || measure(&mut run(&check)), || measure(&mut run(&read)));
    println!(
        "shipready migrations benchmark: {} files, {:.1} MB, best of 7 runs in turns",
        pairs * 2,
        bytes as f64 / 1e6
    );
    println!(
        "  --only migrations {:>7.0} ms ({findings} findings)   host reading the same files (plugin reader) {:>7.0} ms   ratio {:.2}",
        ours.as_secs_f64() * 1e3,
        reference.as_secs_f64() * 1e3,
        ours.as_secs_f64() / reference.as_secs_f64()
    );
}

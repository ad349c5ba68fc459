//! Dockerfile hygiene: an unprivileged user, a pinned base image, a health check.

use shipready_sdk::prelude::*;

use crate::set_aside::SetAside;

shipready_sdk::rule! {
    /// ## What it checks
    /// That the final stage of each Dockerfile switches to a non-root `USER`.
    /// Dockerfiles of dev containers, local development and tests are not
    /// production images: they are counted in `delivery/set-aside`.
    ///
    /// ## Why it matters
    /// A process running as root inside the container turns any remote code
    /// execution into root on the container, one kernel bug away from the host.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:20-slim
    /// COPY . /app
    /// CMD ["node", "/app/server.js"]
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM node:20-slim
    /// COPY --chown=node:node . /app
    /// USER node
    /// CMD ["node", "/app/server.js"]
    /// ```
    pub static DOCKERFILE_RUNS_AS_ROOT: Rule =
        ("delivery/dockerfile-runs-as-root", "Container runs as root", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// That every `FROM` names its image by a tag other than `latest`, or by
    /// digest (`@sha256:...`), in production Dockerfiles (see
    /// `delivery/set-aside`).
    ///
    /// ## Why it matters
    /// An untagged or `latest` base changes under you: two builds of the same
    /// commit differ, and a rollback rebuilds something new.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// ```
    pub static DOCKERFILE_UNPINNED_BASE: Rule =
        ("delivery/dockerfile-unpinned-base", "Base image not pinned", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// That the service's health is probed: a `HEALTHCHECK` in the
    /// Dockerfile's final stage, or an orchestrator probe in the repository
    /// (Kubernetes `livenessProbe` / `readinessProbe`, Compose `healthcheck:`,
    /// Fly.io, Render or ECS health checks).
    ///
    /// ## Why it matters
    /// Without a probe a hung or half-started container keeps receiving
    /// traffic, and a bad deploy is not rolled back automatically.
    ///
    /// ## Example
    /// ```dockerfile
    /// HEALTHCHECK --interval=30s CMD curl -fsS http://localhost:8080/healthz || exit 1
    /// ```
    pub static DOCKERFILE_NO_HEALTHCHECK: Rule =
        ("delivery/dockerfile-no-healthcheck", "No container health check", Severity::Low);
}

/// Orchestrator health probes that make a Dockerfile `HEALTHCHECK` unnecessary.
const PROBE: &str = r"(?i)\b(livenessProbe|readinessProbe|startupProbe|healthcheck\s*:|healthCheckPath|health_check_path|http_checks|\[\[http_service\.checks\]\]|\x22healthCheck\x22)";

/// One instruction with its (1-based) line and upper-cased keyword.
struct Instruction {
    line: u32,
    keyword: String,
    args: String,
}

/// Split a Dockerfile into instructions, joining `\` continuations and
/// dropping comments.
fn instructions(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut pending: Option<Instruction> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        // Comments and blank lines are dropped, even inside a continuation.
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (body, continues) = match line.strip_suffix('\\') {
            Some(b) => (b.trim_end(), true),
            None => (line, false),
        };
        match pending.as_mut() {
            Some(p) => {
                p.args.push(' ');
                p.args.push_str(body);
            }
            None => {
                let (kw, args) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
                pending = Some(Instruction {
                    line: i as u32 + 1,
                    keyword: kw.to_ascii_uppercase(),
                    args: args.trim().to_string(),
                });
            }
        }
        if !continues {
            out.extend(pending.take());
        }
    }
    out.extend(pending);
    out
}

/// `ARG NAME=default` values declared before the first `FROM`, substituted into `image`.
fn expand(image: &str, args: &[(String, String)]) -> String {
    let mut out = image.to_string();
    for (k, v) in args {
        out = out
            .replace(&format!("${{{k}}}"), v)
            .replace(&format!("${k}"), v);
    }
    out
}

/// Whether an image reference is pinned by digest or by a tag other than `latest`.
fn pinned(image: &str) -> bool {
    if image.contains("@sha256:") {
        return true;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) => !tag.is_empty() && tag != "latest",
        None => false,
    }
}

pub fn check(cx: &mut Cx<'_>, files: &[ListedFile], set_aside: &mut SetAside) -> Result<()> {
    let dockerfiles: Vec<&ListedFile> = files
        .iter()
        .filter(|f| f.language.as_deref() == Some("dockerfile"))
        .filter(|f| set_aside.is_production(cx, &f.path, "Dockerfile"))
        .collect();
    if dockerfiles.is_empty() {
        for rule in [
            &DOCKERFILE_RUNS_AS_ROOT,
            &DOCKERFILE_UNPINNED_BASE,
            &DOCKERFILE_NO_HEALTHCHECK,
        ] {
            cx.not_applicable(rule, "no Dockerfile for production");
        }
        return Ok(());
    }
    let probed = !cx
        .search(
            &[Pattern::new(0, PROBE)],
            &["*.yml", "*.yaml", "*.toml", "*.json"],
        )?
        .hits
        .is_empty();
    for file in dockerfiles {
        let Some(text) = cx.read_utf8(&file.path) else {
            continue;
        };
        check_one(cx, &file.path, &text, probed);
    }
    Ok(())
}

fn check_one(cx: &mut Cx<'_>, path: &str, text: &str, probed: bool) {
    let mut global_args = Vec::new();
    let mut stages: Vec<String> = Vec::new();
    // Per final stage: the last USER seen, the HEALTHCHECK seen, the FROM line.
    let mut user: Option<(u32, String)> = None;
    let mut healthcheck = false;
    let mut final_from: Option<(u32, String)> = None;
    for ins in instructions(text) {
        match ins.keyword.as_str() {
            "ARG" if final_from.is_none() => {
                if let Some((k, v)) = ins.args.split_once('=') {
                    global_args
                        .push((k.trim().to_string(), v.trim().trim_matches('"').to_string()));
                }
            }
            "FROM" => {
                let words: Vec<&str> = ins
                    .args
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let image = expand(words.first().copied().unwrap_or(""), &global_args);
                if let [_, as_kw, name, ..] = words.as_slice()
                    && as_kw.eq_ignore_ascii_case("as")
                {
                    stages.push(name.to_ascii_lowercase());
                }
                let is_stage = stages.iter().any(|s| *s == image.to_ascii_lowercase());
                if !is_stage && image != "scratch" && !image.contains('$') && !pinned(&image) {
                    cx.report(
                        Finding::new(&DOCKERFILE_UNPINNED_BASE, format!("Base image `{image}` is not pinned"))
                            .at_line(path, ins.line)
                            .evidence(format!("FROM {}", ins.args))
                            .remediation("Pin the base image to a version tag, or a digest (`image:tag@sha256:...`).")
                            .fingerprint(image.clone()),
                    );
                }
                user = None;
                healthcheck = false;
                final_from = Some((ins.line, image));
            }
            "USER" => user = Some((ins.line, ins.args.clone())),
            "HEALTHCHECK" => healthcheck = !ins.args.eq_ignore_ascii_case("none"),
            _ => {}
        }
    }
    let Some((from_line, image)) = final_from else {
        return;
    };
    let nonroot_base = image.contains("nonroot") || image.contains("rootless");
    let root = match &user {
        None => !nonroot_base,
        Some((_, u)) => {
            let name = u.split(':').next().unwrap_or("").trim();
            name == "root" || name == "0"
        }
    };
    if root {
        let (line, evidence) = match &user {
            Some((l, u)) => (*l, format!("USER {u}")),
            None => (from_line, format!("final stage FROM {image} has no USER")),
        };
        cx.report(
            Finding::new(&DOCKERFILE_RUNS_AS_ROOT, "The container's final stage runs as root")
                .at_line(path, line)
                .evidence(evidence)
                .remediation("Create an unprivileged user and switch to it: `RUN useradd -r app` then `USER app`."),
        );
    }
    if !healthcheck && !probed {
        cx.report(
            Finding::new(&DOCKERFILE_NO_HEALTHCHECK, "No HEALTHCHECK and no orchestrator probe")
                .at_file(path)
                .remediation("Add a `HEALTHCHECK` to the final stage, or liveness/readiness probes to the deployment."),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{instructions, pinned};
    use crate::Delivery;
    use shipready_sdk::testing::FakeRepo;

    fn found(dockerfile: &str) -> Vec<String> {
        let outcome = FakeRepo::new()
            .file("Dockerfile", dockerfile)
            .run::<Delivery>()
            .unwrap();
        outcome
            .findings
            .into_iter()
            .map(|f| f.rule)
            .filter(|r| r.contains("dockerfile"))
            .collect()
    }

    #[test]
    fn dev_container_and_test_images_are_set_aside_not_judged() {
        let root = "FROM python\n";
        let outcome = FakeRepo::new()
            .file(".devcontainer/Dockerfile", root)
            .file("apps/api/Dockerfile.dev", root)
            .file("document.e2e.Dockerfile", root)
            .file("frontend/Dockerfile.playwright", root)
            .file("Dockerfile", root)
            .run::<Delivery>()
            .unwrap();
        let judged: Vec<String> = outcome
            .findings
            .iter()
            .filter(|f| f.rule.contains("dockerfile"))
            .map(|f| match &f.location {
                Some(shipready_sdk::Location::File { path, .. }) => path.clone(),
                _ => String::new(),
            })
            .collect();
        assert!(
            judged.iter().all(|p| p == "Dockerfile") && !judged.is_empty(),
            "{judged:?}"
        );
        let aside = outcome
            .findings
            .iter()
            .find(|f| f.rule == "delivery/set-aside")
            .expect("counted");
        assert_eq!(
            aside.message,
            "4 files set aside as not production: 2 Dockerfiles in a local development set-up, 2 Dockerfiles in test code"
        );
    }

    #[test]
    fn pinning() {
        assert!(pinned("node:20-slim"));
        assert!(pinned("localhost:5000/team/app:1.2"));
        assert!(pinned("python@sha256:abcd"));
        assert!(!pinned("python"));
        assert!(!pinned("python:latest"));
        assert!(!pinned("localhost:5000/team/app"));
    }

    #[test]
    fn continuations_and_comments() {
        let ins = instructions("# c\nRUN a \\\n  # inner\n  b\nUSER app\n");
        assert_eq!(ins.len(), 2);
        assert_eq!(ins[0].args, "a b");
        assert_eq!(ins[1].line, 5);
    }

    #[test]
    fn a_careless_dockerfile_fails_all_three() {
        let mut rules = found("FROM node\nCOPY . .\nCMD node server.js\n");
        rules.sort();
        assert_eq!(
            rules,
            [
                "delivery/dockerfile-no-healthcheck",
                "delivery/dockerfile-runs-as-root",
                "delivery/dockerfile-unpinned-base"
            ]
        );
    }

    #[test]
    fn a_careful_multi_stage_dockerfile_passes() {
        let dockerfile = "ARG BASE=python:3.12-slim\nFROM ${BASE} AS build\nRUN pip wheel .\n\
                          FROM build AS test\nRUN pytest\n\
                          FROM gcr.io/distroless/python3:nonroot\nCOPY --from=build /w /w\n\
                          HEALTHCHECK CMD [\"/w/health\"]\n";
        assert!(found(dockerfile).is_empty(), "{:?}", found(dockerfile));
    }

    #[test]
    fn user_in_a_build_stage_does_not_cover_the_final_stage() {
        let rules = found(
            "FROM node:20 AS b\nUSER node\nFROM node:20-slim\nUSER root\nHEALTHCHECK CMD true\n",
        );
        assert_eq!(rules, ["delivery/dockerfile-runs-as-root"]);
    }

    #[test]
    fn a_kubernetes_probe_counts_as_a_health_check() {
        let outcome = FakeRepo::new()
            .file("Dockerfile", "FROM node:20\nUSER node\n")
            .file(
                "k8s/deploy.yaml",
                "livenessProbe:\n  httpGet: {path: /healthz}\n",
            )
            .run::<Delivery>()
            .unwrap();
        assert!(
            !outcome
                .findings
                .iter()
                .any(|f| f.rule.contains("dockerfile"))
        );
    }
}

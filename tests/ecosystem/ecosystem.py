#!/usr/bin/env python3
"""The ecosystem check: shipready over real public repositories.

Like ruff's ecosystem CI. The repositories are pinned in `repos.toml`; their
clones live outside this repository (`--clones`, default
`$SHIPREADY_ECOSYSTEM_DIR` or `~/.cache/shipready-ecosystem`), cloned here
on first use from `--mirror DIR` (a directory of `owner+name/repo` git
mirrors) when it holds them, else from the repository's URL. None of their
code is committed; the labels in `labels/` are ours.

Commands:
  run [--bin BIN]            run every repository (or `--repo NAME`), write the
                             reports and `summary.json`, print per repository
                             the time, peak memory and findings, per rule the
                             counts, and per check the precision from the labels
  diff OLD_BIN NEW_BIN       run both binaries, list findings added and removed
                             per rule (by fingerprint)
  precision [--bin BIN]      like run, printing only the precision table
  sample [--per-rule N]      print label stubs (TOML) for unlabelled findings of
                             the last run, N per repository and rule, to review

Labels (`labels/<repo>.toml`): one `[[label]]` per reviewed finding, with
`fingerprint`, `rule`, `where` (path:line, for the reader), `verdict`
("TRUE": a real problem worth a team's time, or "FALSE") and `reason` (one
line). Precision per check = TRUE / (TRUE + FALSE) over the labelled findings
the run still reports; labelled TRUE findings that are no longer reported are
listed as lost, so a precision gain cannot hide a recall loss.

Exit status: 0 when every repository ran with no check error (and, with
`--min-precision P`, every check with labels reached P), 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LABELS = HERE / "labels"


def load_repos(only: list[str] | None) -> list[dict]:
    with open(HERE / "repos.toml", "rb") as f:
        repos = tomllib.load(f)["repo"]
    names = [r["name"] for r in repos]
    if len(set(names)) != len(names):
        sys.exit("repos.toml: two repositories share a name")
    if only:
        unknown = set(only) - set(names)
        if unknown:
            sys.exit(f"unknown repository {sorted(unknown)}; repos.toml lists {names}")
        repos = [r for r in repos if r["name"] in only]
    return repos


def git(*args: str, cwd: Path | None = None) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.strip()


def ensure_clone(repo: dict, clones: Path, mirror: Path | None) -> Path:
    """The repository's clone, checked out at its pinned commit."""
    dest = clones / repo["name"]
    if not (dest / ".git").exists():
        owner_name = "+".join(repo["url"].rstrip("/").split("/")[-2:])
        source = repo["url"]
        if mirror and (mirror / owner_name / "repo").exists():
            source = str(mirror / owner_name / "repo")
        print(f"cloning {repo['name']} from {source}", file=sys.stderr)
        if dest.exists():
            shutil.rmtree(dest)
        git("clone", "--quiet", "--no-checkout", source, str(dest))
        leave_out_absent_blobs(dest, repo["commit"])
        git("checkout", "--quiet", "--force", "--detach", repo["commit"], cwd=dest)
    if git("rev-parse", "HEAD", cwd=dest) != repo["commit"]:
        try:
            git("cat-file", "-e", repo["commit"] + "^{commit}", cwd=dest)
        except RuntimeError:
            git("fetch", "--quiet", "origin", repo["commit"], cwd=dest)
        git("checkout", "--quiet", "--force", "--detach", repo["commit"], cwd=dest)
    return dest


def leave_out_absent_blobs(dest: Path, commit: str) -> None:
    """A snapshot mirror may lack its largest blobs: check out the rest.

    The files left out are named on stderr; they are data files too large
    for the checks to read anyway (the default --max-file-size is 10M).
    """
    tree = git("ls-tree", "-r", "-z", commit, cwd=dest).split("\0")
    blobs = [entry.split("\t", 1) for entry in tree if entry]
    blobs = [(meta.split()[2], path) for meta, path in blobs if meta.split()[1] == "blob"]
    check = subprocess.run(
        ["git", "cat-file", "--batch-check=%(objectname) %(objecttype)"],
        cwd=dest, input="\n".join(oid for oid, _ in blobs) + "\n", capture_output=True, text=True,
    )
    absent = {line.split()[0] for line in check.stdout.splitlines() if line.endswith(" missing")}
    missing = [path for oid, path in blobs if oid in absent]
    if not missing:
        return
    print(f"  {len(missing)} file(s) absent from the source, left out: {', '.join(missing[:5])}", file=sys.stderr)
    git("sparse-checkout", "set", "--no-cone", "/*", *("!/" + glob_escape(p) for p in missing), cwd=dest)


def glob_escape(path: str) -> str:
    return re.sub(r"([*?\[\]\\!])", r"\\\1", path)


def peak_rss_kib(stderr: str) -> int | None:
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(m.group(1)) if m else None


ONLY: str | None = None


def run_one(bin_: Path, repo: dict, clone: Path, out: Path) -> dict:
    """One `shipready check` over a clone: its report, time and peak memory."""
    report = out / f"{repo['name']}.json"
    cmd = [str(bin_), "check", ".", "--format", "json", "--output", str(report), "--quiet"]
    cmd += repo.get("args", ["--no-history"])
    if ONLY:
        cmd += ["--only", ONLY]
    config_file = None
    if "config" in repo:
        config_file = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
        config_file.write(repo["config"])
        config_file.close()
        cmd += ["--config", config_file.name]
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    start = time.monotonic()
    proc = subprocess.run(timer + cmd, cwd=clone, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if config_file:
        os.unlink(config_file.name)
    result = {
        "name": repo["name"],
        "stack": repo.get("stack", ""),
        "exit": proc.returncode,
        "seconds": round(seconds, 2),
        "peak-mib": None,
        "error": None,
    }
    kib = peak_rss_kib(proc.stderr)
    if kib:
        result["peak-mib"] = round(kib / 1024, 1)
    if not report.exists():  # exit 2 with a report: a check errored, listed below
        tail = "\n".join(l for l in proc.stderr.splitlines() if not l.startswith("\t"))[-2000:]
        result["error"] = f"exit {proc.returncode}: {tail}"
        return result
    data = json.loads(report.read_text())
    result["files"] = data["stats"]["files"]
    result["findings"] = len(data["findings"])
    result["rules"] = dict(collections.Counter(f["rule"] for f in data["findings"]))
    result["check-errors"] = {
        c["id"]: c["status"] for c in data["checks"] if c["status"].get("status") != "ok"
    }
    result["check-ms"] = {c["id"]: c.get("duration-ms") for c in data["checks"]}
    return result


def run_all(args, bin_: Path, out: Path) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    clones = Path(args.clones).expanduser().resolve()
    if clones == ROOT or ROOT in clones.parents:
        sys.exit(f"--clones {clones} is inside the shipready repository: keep clones outside it")
    clones.mkdir(parents=True, exist_ok=True)
    mirror = Path(args.mirror) if args.mirror else None
    results = []
    for repo in load_repos(args.repo):
        try:
            clone = ensure_clone(repo, clones, mirror)
        except RuntimeError as e:
            results.append({"name": repo["name"], "stack": repo.get("stack", ""), "error": str(e)})
            continue
        print(f"running {repo['name']}", file=sys.stderr)
        results.append(run_one(bin_, repo, clone, out))
    (out / "summary.json").write_text(json.dumps(results, indent=1) + "\n")
    return results


def findings_of(out: Path, name: str) -> list[dict]:
    report = out / f"{name}.json"
    if not report.exists():
        return []
    return json.loads(report.read_text())["findings"]


def where(f: dict) -> str:
    loc = f.get("location") or {}
    if loc.get("kind") == "file":
        span = loc.get("span") or {}
        return f"{loc['path']}:{span.get('start-line', '')}".rstrip(":")
    return loc.get("url") or loc.get("kind", "")


def load_labels() -> dict[str, dict[str, dict]]:
    """Labels by repository, then fingerprint."""
    labels: dict[str, dict[str, dict]] = {}
    for path in sorted(LABELS.glob("*.toml")):
        with open(path, "rb") as f:
            entries = tomllib.load(f).get("label", [])
        by_fp = {}
        for e in entries:
            if e.get("verdict") not in ("TRUE", "FALSE"):
                sys.exit(f"{path}: label {e.get('fingerprint')} has verdict {e.get('verdict')!r}, not TRUE or FALSE")
            by_fp[e["fingerprint"]] = e
        labels[path.stem] = by_fp
    return labels


def table(headers: list[str], rows: list[list]) -> str:
    cells = [headers] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    return "\n".join([line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in cells[1:]])


def print_repos(results: list[dict]) -> None:
    rows = []
    for r in results:
        errors = r.get("error") or ", ".join(f"{k}: {v.get('reason', v.get('status'))}" for k, v in r.get("check-errors", {}).items())
        rows.append([r["name"], r.get("stack", ""), r.get("files", "-"), r.get("seconds", "-"), r.get("peak-mib", "-"), r.get("findings", "-"), (errors or "none")[:120]])
    print(table(["repository", "stack", "files", "seconds", "peak MiB", "findings", "errors"], rows))


def print_rules(results: list[dict]) -> None:
    per_rule: dict[str, dict[str, int]] = collections.defaultdict(dict)
    for r in results:
        for rule, n in r.get("rules", {}).items():
            per_rule[rule][r["name"]] = n
    rows = []
    for rule in sorted(per_rule, key=lambda k: (-sum(per_rule[k].values()), k)):
        counts = per_rule[rule]
        spread = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
        rows.append([rule, sum(counts.values()), spread])
    print(table(["rule", "findings", "by repository"], rows))


def precision(results: list[dict], out: Path) -> dict[str, float]:
    labels = load_labels()
    per_check = collections.defaultdict(lambda: collections.Counter())
    lost = []
    for r in results:
        present = {f["fingerprint"]: f for f in findings_of(out, r["name"])}
        repo_labels = labels.get(r["name"], {})
        for f in present.values():
            check = f["rule"].split("/")[0]
            label = repo_labels.get(f["fingerprint"])
            if f.get("severity") == "info":
                continue  # inventory entries (the route list) are not findings
            if label is None:
                per_check[check]["unlabelled"] += 1
            else:
                per_check[check][label["verdict"]] += 1
        for fp, label in repo_labels.items():
            if fp not in present:
                per_check[label["rule"].split("/")[0]]["gone-" + label["verdict"]] += 1
                if label["verdict"] == "TRUE":
                    lost.append(f"{r['name']} {label['rule']} {label.get('where', '')}: {label['reason']}")
    rows, scores = [], {}
    for check in sorted(per_check):
        c = per_check[check]
        judged = c["TRUE"] + c["FALSE"]
        p = c["TRUE"] / judged if judged else None
        if p is not None:
            scores[check] = p
        rows.append([check, judged, c["TRUE"], c["FALSE"], "-" if p is None else f"{p:.2f}", c["unlabelled"], c["gone-FALSE"], c["gone-TRUE"]])
    print(table(["check", "labelled", "TRUE", "FALSE", "precision", "unlabelled", "gone FALSE", "gone TRUE (lost)"], rows))
    for l in lost:
        print(f"  lost: {l}")
    return scores


def cmd_run(args) -> int:
    bin_ = Path(args.bin).resolve()
    out = Path(args.out or Path(args.clones).expanduser() / "results" / "current")
    results = run_all(args, bin_, out)
    failed = [r["name"] for r in results if r.get("error") or r.get("check-errors")]
    if not args.precision_only:
        print_repos(results)
        print()
        print_rules(results)
        print()
    scores = precision(results, out)
    print(f"\nreports: {out}")
    low = [c for c, p in scores.items() if args.min_precision and p < args.min_precision]
    if low:
        print(f"precision below {args.min_precision}: {', '.join(low)}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed or low else 0


def cmd_diff(args) -> int:
    base = Path(args.out or Path(args.clones).expanduser() / "results")
    sides = {}
    for label, b in (("old", args.old), ("new", args.new)):
        sides[label] = (base / label, run_all(args, Path(b).resolve(), base / label))
    changed = False
    for repo in load_repos(args.repo):
        old = {f["fingerprint"]: f for f in findings_of(sides["old"][0], repo["name"])}
        new = {f["fingerprint"]: f for f in findings_of(sides["new"][0], repo["name"])}
        added = [new[k] for k in new.keys() - old.keys()]
        removed = [old[k] for k in old.keys() - new.keys()]
        if not added and not removed:
            continue
        changed = True
        print(f"## {repo['name']}")
        by_rule = collections.defaultdict(lambda: ([], []))
        for f in added:
            by_rule[f["rule"]][0].append(f)
        for f in removed:
            by_rule[f["rule"]][1].append(f)
        for rule in sorted(by_rule):
            a, r = by_rule[rule]
            print(f"{rule}: +{len(a)} -{len(r)}")
            for sign, fs in (("+", a), ("-", r)):
                for f in sorted(fs, key=where)[: args.show]:
                    print(f"  {sign} {where(f)} {f['message'][:100]}")
                if len(fs) > args.show:
                    print(f"  {sign} ... {len(fs) - args.show} more")
    times = [
        [o["name"], o.get("seconds"), n.get("seconds"), o.get("peak-mib"), n.get("peak-mib")]
        for o, n in zip(sides["old"][1], sides["new"][1])
    ]
    print(table(["repository", "old s", "new s", "old MiB", "new MiB"], times))
    if not changed:
        print("no finding added or removed")
    return 0


def cmd_sample(args) -> int:
    out = Path(args.out or Path(args.clones).expanduser() / "results" / "current")
    labels = load_labels()
    rng = random.Random(args.seed)
    for repo in load_repos(args.repo):
        by_rule = collections.defaultdict(list)
        known = labels.get(repo["name"], {})
        for f in findings_of(out, repo["name"]):
            if f["fingerprint"] not in known and f.get("severity") != "info":
                by_rule[f["rule"]].append(f)
        for rule in sorted(by_rule):
            fs = sorted({f["fingerprint"]: f for f in by_rule[rule]}.values(), key=where)
            for f in rng.sample(fs, min(args.per_rule, len(fs))):
                print(f"# {repo['name']}: {f['message'][:160]}")
                if f.get("evidence"):
                    print(f"# evidence: {f['evidence'][:160]}")
                print("[[label]]")
                print(f'fingerprint = "{f["fingerprint"]}"')
                print(f'rule = "{rule}"')
                print(f'where = "{where(f)}"')
                print('verdict = ""')
                print('reason = ""\n')
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--clones", default=os.environ.get("SHIPREADY_ECOSYSTEM_DIR", "~/.cache/shipready-ecosystem"), help="where the clones (and results) live, outside this repository")
    common.add_argument("--mirror", help="a directory of owner+name/repo git mirrors to clone from instead of the network")
    common.add_argument("--repo", action="append", help="only this repository (repeatable)")
    common.add_argument("--out", help="where the reports go [default: CLONES/results/...]")
    common.add_argument("--only", help="run only these checks (shipready's --only), to measure one check quickly")
    sub = p.add_subparsers(dest="command", required=True)
    default_bin = str(ROOT / "target" / "release" / "shipready")
    r = sub.add_parser("run", parents=[common], help="run every repository and print the tables")
    r.add_argument("--bin", default=default_bin)
    r.add_argument("--min-precision", type=float, default=None)
    r.set_defaults(func=cmd_run, precision_only=False)
    pr = sub.add_parser("precision", parents=[common], help="run and print only the precision table")
    pr.add_argument("--bin", default=default_bin)
    pr.add_argument("--min-precision", type=float, default=None)
    pr.set_defaults(func=cmd_run, precision_only=True)
    d = sub.add_parser("diff", parents=[common], help="findings added and removed between two binaries")
    d.add_argument("old")
    d.add_argument("new")
    d.add_argument("--show", type=int, default=5, help="findings shown per rule and side")
    d.set_defaults(func=cmd_diff)
    s = sub.add_parser("sample", parents=[common], help="label stubs for unlabelled findings of the last run")
    s.add_argument("--per-rule", type=int, default=5)
    s.add_argument("--seed", type=int, default=16)
    s.set_defaults(func=cmd_sample)
    args = p.parse_args()
    global ONLY
    ONLY = args.only
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

"""The CLI round trip: `spikard init` for each language (the new project passes its
linters and its test), then for each document of documents.txt and each language, generate a
project with `spikard generate openapi` (twice: the output must be byte-identical), lint it
(Python: ruff and mypy --strict; Rust: cargo clippy -D warnings, against the workspace's
crates through a path dependency), run its generated tests, start the generated app as is
and check it with `spikard check`: its /openapi.json is equivalent to the document and it
answers 422 problems to requests the document's schemas reject.

Differences the framework cannot avoid yet are listed with their reason in
known_differences.json; a listed difference that no longer occurs fails the run, so the
list stays honest.

    python3 crates/spikard-cli/roundtrip/roundtrip.py [--lang python|rust] [DOCUMENT ...]
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EXAMPLES = HERE / "node_modules" / "@readme" / "oas-examples"
SPIKARD = ROOT / "target" / "debug" / "spikard"
VENV = ROOT / ".venv" / "bin"
WORK = ROOT / "target" / "cli-roundtrip"


def documents(selected: list[str]) -> list[Path]:
    lines = [line.strip() for line in (HERE / "documents.txt").read_text().splitlines()]
    names = [line for line in lines if line and not line.startswith("#")]
    if selected:
        names = [n for n in names if any(s in n for s in selected)]
    return [(ROOT / n) if (ROOT / n).exists() else (EXAMPLES / n) for n in names]


def slug(doc: Path) -> str:
    rel = doc.relative_to(EXAMPLES) if doc.is_relative_to(EXAMPLES) else doc.relative_to(ROOT)
    return "rt_" + re.sub(r"[^a-z0-9]+", "_", str(rel).lower()).strip("_")


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[bool, str]:
    proc = subprocess.run(cmd, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def generate(doc: Path, lang: str, out: Path, name: str) -> tuple[bool, str]:
    cmd = [
        str(SPIKARD),
        "generate",
        "openapi",
        str(doc),
        "--lang",
        lang,
        "--output",
        str(out),
        "--name",
        name,
        "--force",
    ]
    if lang == "rust":
        cmd += ["--spikard-dependency", f'{{ path = "{ROOT / "crates" / "spikard"}" }}']
    return run(cmd, ROOT)


def same_tree(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    return not mismatch and not errors and all(same_tree(a / d, b / d) for d in cmp.common_dirs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_and_check(cmd: list[str], cwd: Path, doc: Path, env: dict[str, str]) -> tuple[bool, list[str], str]:
    """Start the app, run `spikard check` against it; (ran, differences, output)."""
    port = free_port()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env={**os.environ, **env, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    return False, [], f"the app did not start: {proc.stdout.read() if proc.stdout else ''}"
                time.sleep(0.2)
        ok, output = run([str(SPIKARD), "check", str(doc), "--url", f"http://127.0.0.1:{port}"], ROOT)
        differences = [] if ok else [line.strip() for line in output.splitlines() if line.startswith("  ")]
        if not ok and not differences:
            return False, [], output
        return True, differences, output
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def python_steps(out: Path, name: str) -> list[tuple[str, list[str]]]:
    py = str(VENV / "python")
    return [
        ("ruff", [str(VENV / "ruff"), "check", "--no-cache", "."]),
        ("mypy --strict", [py, "-m", "mypy", "--no-incremental", "--cache-dir", "/dev/null"]),
        ("pytest", [py, "-m", "pytest", "-q", "-p", "no:cacheprovider"]),
    ]


def rust_steps(out: Path, name: str) -> list[tuple[str, list[str]]]:
    return [
        ("cargo clippy -D warnings", ["cargo", "clippy", "--quiet", "--all-targets", "--", "-D", "warnings"]),
        ("cargo test", ["cargo", "test", "--quiet"]),
        ("cargo build", ["cargo", "build", "--quiet"]),
    ]


#: Cargo settings of the generated Rust projects: the workspace's target directory, so the
#: workspace crates they depend on are built once.
RUST_ENV = {"CARGO_TARGET_DIR": str(ROOT / "target")}


def check(doc: Path, lang: str, known: dict[str, list[str]]) -> list[str]:
    name = slug(doc)
    out, again = WORK / lang / name, WORK / lang / f"{name}.again"
    ok, output = generate(doc, lang, out, name)
    if not ok:
        return [f"generate: {output}"]
    ok, output = generate(doc, lang, again, name)
    problems = [] if ok and same_tree(out, again) else ["a second generation is not byte-identical"]
    shutil.rmtree(again, ignore_errors=True)
    env = RUST_ENV if lang == "rust" else {}
    if lang == "rust":
        shutil.copy(ROOT / "Cargo.lock", out / "Cargo.lock")  # the workspace's versions, built once
        try:
            return check_built(doc, lang, out, env=env, known=known, problems=problems)
        finally:
            clean_rust(out)
    return check_built(doc, lang, out, env=env, known=known, problems=problems)


def clean_rust(project: Path) -> None:
    """Remove a generated crate's own build output (binaries of some 150 MB each, its
    incremental cache); the workspace dependencies it was built against stay for the next."""
    run(["cargo", "clean", "--quiet", "-p", project_crate(project)], project, RUST_ENV)


def project_crate(project: Path) -> str:
    match = re.search(r'^name = "([^"]+)"', (project / "Cargo.toml").read_text(), re.M)
    return match.group(1) if match else project.name


def check_built(
    doc: Path, lang: str, out: Path, *, env: dict[str, str], known: dict[str, list[str]], problems: list[str]
) -> list[str]:
    """Lint, test, serve and check a generated project."""
    name = out.name
    steps = python_steps(out, name) if lang == "python" else rust_steps(out, name)
    for label, cmd in steps:
        ok, output = run(cmd, out, env)
        if not ok:
            problems.append(f"{label}:\n{output[-3000:]}")
    if problems:
        return problems
    serve = (
        [str(VENV / "python"), "-m", f"{name}.main"]
        if lang == "python"
        else [str(ROOT / "target" / "debug" / name.replace("_", "-"))]
    )
    if lang == "rust" and not Path(serve[0]).exists():
        serve = [str(ROOT / "target" / "debug" / name)]
    started, differences, output = serve_and_check(serve, out, doc, env)
    if not started:
        return [f"serve: {output}"]
    expected = known.get(f"{lang}:{doc.relative_to(ROOT)}", []) + known.get(f"*:{doc.relative_to(ROOT)}", [])
    problems += [f"differs: {d}" for d in differences if d not in expected]
    problems += [
        f"listed in known_differences.json but no longer differs: {d}" for d in expected if d not in differences
    ]
    return problems


def check_init(lang: str) -> list[str]:
    """`spikard init`: the new project passes its linters and its test."""
    out = WORK / "init" / lang
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(SPIKARD), "init", f"hello_{lang}", "--lang", lang, "--dir", str(out)]
    if lang == "rust":
        cmd += ["--spikard-dependency", f'{{ path = "{ROOT / "crates" / "spikard"}" }}']
    ok, output = run(cmd, ROOT)
    if not ok:
        return [f"init: {output}"]
    env = RUST_ENV if lang == "rust" else {}
    if lang == "rust":
        shutil.copy(ROOT / "Cargo.lock", out / "Cargo.lock")
    steps = python_steps(out, "") if lang == "python" else rust_steps(out, "")[:2]
    try:
        return run_steps(steps, out, env)
    finally:
        if lang == "rust":
            clean_rust(out)


def run_steps(steps: list[tuple[str, list[str]]], out: Path, env: dict[str, str]) -> list[str]:
    problems = []
    for label, step in steps:
        ok, output = run(step, out, env)
        if not ok:
            problems.append(f"{label}:\n{output[-3000:]}")
        elif "test" in label and "1 passed" not in output:
            problems.append(f"{label}: the project's one test did not run:\n{output[-3000:]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", choices=["python", "rust"], action="append")
    parser.add_argument("documents", nargs="*", help="only documents whose path contains one of these")
    args = parser.parse_args()
    known_file = json.loads((HERE / "known_differences.json").read_text())
    known: dict[str, list[str]] = {
        k: [d["difference"] for d in v] for k, v in known_file.items() if not k.startswith("_")
    }
    failed = 0
    total = 0
    for lang in args.lang or ["python", "rust"]:
        if not args.documents:
            total += 1
            problems = check_init(lang)
            print(f"{lang:6} spikard init: {'ok' if not problems else 'FAILED'}", flush=True)
            for p in problems:
                print("    " + p.replace("\n", "\n    "), flush=True)
            failed += bool(problems)
        for doc in documents(args.documents):
            total += 1
            started = time.monotonic()
            problems = check(doc, lang, known)
            status = "ok" if not problems else "FAILED"
            print(f"{lang:6} {doc.relative_to(ROOT)}: {status} ({time.monotonic() - started:.1f}s)", flush=True)
            for p in problems:
                print("    " + p.replace("\n", "\n    "), flush=True)
            failed += bool(problems)
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

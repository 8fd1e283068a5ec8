"""Schemathesis against the Python and Rust demos: every check, zero failures.

Each demo is started on a free loopback port in its own process group, Schemathesis
(``st run``, the version pinned in the Taskfile's ``PYTHON_DEPS``) runs all its checks
against the demo's ``/openapi.json`` with a bounded number of examples per operation,
and the process group is stopped whatever happens. The run fails when any check fails
for any demo. ``./task test:schemathesis`` builds the demos and calls this; see
``tools/schemathesis/README.md`` for the options and the last recorded counts.

Usage: ``python tools/schemathesis/run.py [--demo python|rust ...] [--max-examples N] [--seed N]
[--profile debug|release]`` (the Python demo runs on the extension installed in ``.venv``,
whichever build that is).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
#: The key the Python demo's writes need (its ``DEMO_API_KEY``).
DEMO_KEY = "schemathesis-key"


def demo_command(name: str, profile: str) -> list[str]:
    if name == "python":
        return [str(VENV / "bin" / "python"), str(ROOT / "examples/python/app.py")]
    target = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
    return [str(target / profile / "demo")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the demo exited with {proc.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as res:
                if res.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the demo's process group, SIGKILL after 10 s: no orphan survives."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_demo(name: str, args: argparse.Namespace, log_dir: Path) -> tuple[bool, str]:
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "DEMO_API_KEY": DEMO_KEY}
    log = (log_dir / f"{name}-demo.log").open("wb")
    proc = subprocess.Popen(
        demo_command(name, args.profile),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=ROOT,
    )
    try:
        schema = f"http://127.0.0.1:{port}/openapi.json"
        wait_for(schema, proc)
        cmd = [
            str(VENV / "bin" / "st"),
            "run",
            schema,
            "--checks",
            "all",
            "--max-examples",
            str(args.max_examples),
            "--seed",
            str(args.seed),
            "--workers",
            "1",
            "--no-color",
            "--request-timeout",
            "10",
        ]
        if name == "python":
            # Writes need the key; `ignored_auth` still checks that they are refused without it.
            cmd += ["--header", f"X-API-Key: {DEMO_KEY}"]
        print(f"== {name} demo on port {port}: {' '.join(cmd[1:])}", flush=True)
        started = time.monotonic()
        result = subprocess.run(cmd, cwd=log_dir, capture_output=True, text=True, check=False)
        output = result.stdout + result.stderr
        (log_dir / f"{name}-schemathesis.log").write_text(output)
        print(output, flush=True)
        cases = re.search(r"Test cases:\s*\n\s*(.+)", output)
        summary = f"{name}: {cases.group(1).strip() if cases else '?'} ({time.monotonic() - started:.0f} s)"
        if proc.poll() is not None:
            return False, f"{summary}; the demo exited with {proc.returncode} during the run"
        return result.returncode == 0, summary
    finally:
        stop(proc)
        log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", action="append", choices=["python", "rust"], help="default: both")
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("ST_MAX_EXAMPLES", "150")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("ST_SEED", "18")))
    parser.add_argument(
        "--profile", default="debug", choices=["debug", "release"], help="the cargo profile of the Rust demo binary"
    )
    args = parser.parse_args()
    log_dir = ROOT / "target" / "schemathesis"
    log_dir.mkdir(parents=True, exist_ok=True)
    results = [run_demo(name, args, log_dir) for name in args.demo or ["python", "rust"]]
    for ok, summary in results:
        print(("PASS " if ok else "FAIL ") + summary)
    passed = sum(ok for ok, _ in results)
    print(f"schemathesis: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())

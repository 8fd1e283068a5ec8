#!/usr/bin/env python3
"""Count a binding crate's lines the way issue 10 does: every non-blank line of
``<crate>/src/**/*.rs``, comments included, except the ``#[cfg(test)]`` modules
(``#[cfg(test)] mod name { ... }`` blocks, and files declared ``#[cfg(test)] mod name;``).

Usage: ``python3 tools/binding_lines.py crates/spikard-py [--max N]`` prints one line per
file and the total; with ``--max`` it exits 1 when the total is above ``N``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

_CFG_TEST = re.compile(r"^\s*#\[cfg\(test\)\]\s*$")
_MOD_BLOCK = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{")
_MOD_FILE = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?mod\s+(\w+)\s*;")


def _braces(line: str, in_block_comment: bool) -> tuple[int, bool]:
    """The change in brace depth over one line, skipping comments, strings and chars,
    and whether a block comment is still open at its end. Raw strings that span lines
    are not expected in test modules' headers and are treated as ordinary text."""
    depth, i, n = 0, 0, len(line)
    while i < n:
        if in_block_comment:
            end = line.find("*/", i)
            if end < 0:
                return depth, True
            i, in_block_comment = end + 2, False
            continue
        c = line[i]
        if line.startswith("//", i):
            break
        if line.startswith("/*", i):
            in_block_comment, i = True, i + 2
            continue
        raw = re.match(r'(?:b|c)?r(#*)"', line[i:])
        if raw:
            close = '"' + raw.group(1)
            end = line.find(close, i + raw.end())
            i = n if end < 0 else end + len(close)
            continue
        if c == '"':
            i += 1
            while i < n and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
            continue
        if c == "'":
            char = re.match(r"'(\\.[^']*|[^\\'])'", line[i:])
            if char:
                i += char.end()
                continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        i += 1
    return depth, in_block_comment


def count(path: Path) -> tuple[int, set[str]]:
    """Non-blank lines of `path` outside `#[cfg(test)]` modules, and the names of the
    modules it declares test-only (`#[cfg(test)] mod name;`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    total, i, test_files = 0, 0, set()
    while i < len(lines):
        if _CFG_TEST.match(lines[i]) and i + 1 < len(lines):
            declared = _MOD_FILE.match(lines[i + 1])
            if declared:
                test_files.add(declared.group(3))
                i += 2
                continue
            if _MOD_BLOCK.match(lines[i + 1]):
                depth, in_comment, j = 0, False, i + 1
                while j < len(lines):
                    delta, in_comment = _braces(lines[j], in_comment)
                    depth += delta
                    j += 1
                    if depth <= 0:
                        break
                i = j
                continue
        if lines[i].strip():
            total += 1
        i += 1
    return total, test_files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("crate", type=Path, help="a binding crate, e.g. crates/spikard-py")
    parser.add_argument("--max", type=int, help="fail when the total is above this")
    args = parser.parse_args()
    src = args.crate / "src"
    files = sorted(src.rglob("*.rs"))
    if not files:
        print(f"no Rust sources under {src}", file=sys.stderr)
        return 2
    counts, test_only = {}, set()
    for f in files:
        counts[f], declared = count(f)
        test_only |= {f.parent / f"{name}.rs" for name in declared}
        test_only |= {f.parent / name / "mod.rs" for name in declared}
    total = 0
    for f in files:
        rel = f.relative_to(args.crate)
        if f in test_only:
            print(f"{'test':>6}  {rel}")
            continue
        total += counts[f]
        print(f"{counts[f]:>6}  {rel}")
    print(f"{total:>6}  total")
    if args.max is not None and total > args.max:
        print(f"above the limit of {args.max}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

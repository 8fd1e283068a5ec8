#!/usr/bin/env bash
# Render the demo app's Swagger UI (/docs) and Redoc (/redoc) pages in headless Chromium,
# with background networking off (the pages must work from the embedded assets alone),
# and check that the operations were rendered by the pages' scripts.
# Skips (exit 0) when Chromium is not installed. Screenshots go to $OUT (default: target/docs-pages).
set -euo pipefail

chrome="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$chrome" ]; then
    echo "check-pages: no chromium found, skipping"
    exit 0
fi

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
out="${OUT:-$target/docs-pages}"
mkdir -p "$out"
port="${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"

cargo build -q -p spikard-examples --bin demo
PORT="$port" "$target/debug/demo" >"$out/demo.log" 2>&1 &
demo=$!
trap 'kill "$demo" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$port/openapi.json" >/dev/null && break
    sleep 0.2
done

render() { # page name
    local url="http://127.0.0.1:$port$1"
    local flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
        --window-size=1280,900 --virtual-time-budget=5000)
    "$chrome" "${flags[@]}" --screenshot="$out/$2.png" "$url" >/dev/null 2>&1
    "$chrome" "${flags[@]}" --dump-dom "$url" 2>/dev/null >"$out/$2.html"
}

fail=0
expect() { # file needle
    if grep -qF -- "$2" "$1"; then
        echo "ok: $(basename "$1") contains $2"
    else
        echo "FAIL: $(basename "$1") lacks $2"
        fail=1
    fi
}

render /docs swagger
# Swagger UI renders one block per operation with its method and path.
expect "$out/swagger.html" 'opblock-summary-method">GET'
expect "$out/swagger.html" 'opblock-summary-method">DELETE'
expect "$out/swagger.html" 'data-path="/items/{id}"'
expect "$out/swagger.html" 'Create an item'

render /redoc redoc
expect "$out/redoc.html" 'List items'
expect "$out/redoc.html" 'Delete an item'
expect "$out/redoc.html" '/items/{id}'

echo "screenshots: $out/swagger.png $out/redoc.png"
exit "$fail"

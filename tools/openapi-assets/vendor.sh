#!/usr/bin/env bash
# Refresh the docs-page assets embedded by crates/spikard-http/src/docs.rs from the npm registry.
# The files are committed (so a fresh clone builds offline); run this only to change versions,
# then update the version constants in crates/spikard-http/src/docs.rs to match.
set -euo pipefail

SWAGGER_UI_VERSION="${SWAGGER_UI_VERSION:-5.35.0}"
REDOC_VERSION="${REDOC_VERSION:-2.5.4}"

root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="$root/crates/spikard-http/assets/docs"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "swagger-ui-dist@$SWAGGER_UI_VERSION" "redoc@$REDOC_VERSION" >/dev/null
mkdir swagger redoc
tar xzf "swagger-ui-dist-$SWAGGER_UI_VERSION.tgz" -C swagger
tar xzf "redoc-$REDOC_VERSION.tgz" -C redoc

mkdir -p "$dest"
cp swagger/package/swagger-ui-bundle.js swagger/package/swagger-ui.css "$dest/"
cp swagger/package/LICENSE "$dest/swagger-ui-dist.LICENSE"
cp swagger/package/NOTICE "$dest/swagger-ui-dist.NOTICE"
cp swagger/package/swagger-ui-bundle.js.LICENSE.txt "$dest/swagger-ui-bundle.js.LICENSE.txt"
cp redoc/package/bundles/redoc.standalone.js "$dest/"
cp redoc/package/bundles/redoc.standalone.js.LICENSE.txt "$dest/redoc.standalone.js.LICENSE.txt"
cp redoc/package/LICENSE "$dest/redoc.LICENSE"
# The source-map comments point at files that are not vendored.
sed -i -e '/^\/\/# sourceMappingURL=/d' "$dest/swagger-ui-bundle.js" "$dest/redoc.standalone.js"
sed -i -e 's#/\*\# sourceMappingURL=[^*]*\*/##' "$dest/swagger-ui.css"
printf 'swagger-ui-dist %s\nredoc %s\n' "$SWAGGER_UI_VERSION" "$REDOC_VERSION" > "$dest/VERSIONS"
echo "vendored into $dest:"
ls -l "$dest"

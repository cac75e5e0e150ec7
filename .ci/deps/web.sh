#!/usr/bin/env bash
# Browser tests (tests/test_web_demo.py): Debian's Chromium + chromedriver, node/npm, openssl, and the page's
# npm packages (LiteRT.js, playwright-core; face-api.js and lighthouse for the benchmarks) from web_demo/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v openssl >/dev/null || need+=(openssl)  # the https test of `edge serve --cert/--key`
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# npm ci only when node_modules was not installed from this very lock file (stamp written after)
stamp=web_demo/node_modules/.edge-installed-lock.json
if ! cmp -s web_demo/package-lock.json "$stamp" 2>/dev/null; then
  (cd web_demo && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp web_demo/package-lock.json "$stamp"
fi
echo "web: $(/usr/bin/chromium --version 2>/dev/null | head -1), node $(node --version), web_demo/node_modules ready${need:+ (installed: ${need[*]})}"

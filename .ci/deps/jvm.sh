#!/usr/bin/env bash
# The JVM toolchain of the Android demo's core tests (tests/test_android_core.py):
# javac 17+, JUnit 4 (+ hamcrest) and org.json (the API Android has built in), all from Debian.
set -euo pipefail
needed=()
command -v javac >/dev/null 2>&1 || needed+=(default-jdk-headless)
[ -f /usr/share/java/junit4.jar ] || needed+=(junit4)
[ -f /usr/share/java/com.android.json.jar ] || needed+=(libandroid-json-java)
if [ ${#needed[@]} -eq 0 ]; then
  echo "jvm: javac, junit4 and org.json already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
echo "jvm: installed ${needed[*]}"

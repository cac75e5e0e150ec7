#!/usr/bin/env bash
# The Android app's checks (tests/test_android_app.py, tests/test_android_arm64.py), all from registries:
#   npm   kotlin-compiler, pinned to the catalog's Kotlin (android_demo/gradle/libs.versions.toml);
#   PyPI  chaquopy-stubs-android (API 36) and chaquopy-stubs-androidx-* (the real jars' signatures),
#         the aarch64 wheels of ai-edge-litert and numpy for the emulated phone CPU;
#   apt   qemu-user-static (7.2, bookworm) and the arm64 Debian packages of python3.11, unpacked into a
#         sysroot with dpkg -x (dpkg's own architecture list is left alone); trixie's newer QEMU is
#         unpacked beside it (static binary) to tell emulator faults from runtime faults.
# Everything lands under .ci/deps/android/ (git-ignored). Idempotent: a stamp per step.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=.ci/deps/android
mkdir -p "$root"
done_steps=()

# --- Kotlin compiler (npm), same version as the app's Gradle build
kotlin_version=$(sed -n 's/^kotlin = "\(.*\)"/\1/p' android_demo/gradle/libs.versions.toml)
kotlinc="$root/kotlin/node_modules/kotlin-compiler/bin/kotlinc"
if [ ! -x "$kotlinc" ] || ! grep -q "\"version\": \"$kotlin_version\"" "$root/kotlin/node_modules/kotlin-compiler/package.json"; then
  command -v npm >/dev/null || { apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
  npm install --no-audit --no-fund --loglevel=error --prefix "$root/kotlin" "kotlin-compiler@$kotlin_version" >/dev/null
  done_steps+=("kotlin-compiler $kotlin_version")
fi

# --- API signatures (PyPI): the platform and the AndroidX artifacts the app imports, at the catalog's versions
# (lifecycle, which the app gets through appcompat and activity: 2.7.0, the newest the signature packages have)
python=${PYTHON:-python3}
[ -x .venv/bin/python ] && python=.venv/bin/python
stub_packages=(chaquopy-stubs-android==36.20260406
  chaquopy-stubs-androidx-activity-activity==1.10.1.20260401
  chaquopy-stubs-androidx-appcompat-appcompat==1.7.1.20260401
  chaquopy-stubs-androidx-core-core==1.16.0.20260401
  chaquopy-stubs-androidx-fragment-fragment==1.8.9.20260401
  chaquopy-stubs-androidx-lifecycle-lifecycle-common==2.7.0.20260401
  chaquopy-stubs-androidx-lifecycle-lifecycle-runtime==2.7.0.20260401)
if [ ! -f "$root/stubs/.stamp" ] || [ "$(cat "$root/stubs/.stamp")" != "${stub_packages[*]}" ]; then
  rm -rf "$root/stubs"
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps -d "$root/stubs/wheels" "${stub_packages[@]}"
  mkdir -p "$root/stubs/pyi"
  # one folder per wheel: several wheels fill the same Python package (androidx/lifecycle/__init__.pyi)
  for wheel in "$root"/stubs/wheels/*.whl; do
    "$python" -m zipfile -e "$wheel" "$root/stubs/pyi/$(basename "$wheel" .whl)"
  done
  echo "${stub_packages[*]}" > "$root/stubs/.stamp"
  done_steps+=("${#stub_packages[@]} signature packages")
fi

# --- ARM64: qemu-user-static + an arm64 python3.11 sysroot + aarch64 wheels
if ! command -v qemu-aarch64-static >/dev/null; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
  done_steps+=("qemu-user-static")
fi
sysroot="$root/arm64/sysroot"
arm64_packages=(libc6 libgcc-s1 libstdc++6 zlib1g libexpat1 libffi8 libbz2-1.0 liblzma5 libssl3 libcrypt1
  libuuid1 libsqlite3-0 libncursesw6 libtinfo6 libreadline8 media-types
  python3.11-minimal libpython3.11-minimal libpython3.11-stdlib python3.11)
if [ ! -f "$root/arm64/.stamp" ] || [ "$(cat "$root/arm64/.stamp")" != "${arm64_packages[*]}" ]; then
  rm -rf "$root/arm64"
  mkdir -p "$root/arm64/lists/partial" "$root/arm64/debs" "$sysroot"
  chmod 777 "$root/arm64/debs"  # apt downloads as _apt where it can
  apt_arm64=(-o APT::Architecture=arm64 -o APT::Architectures=arm64 -o "Dir::State::Lists=$PWD/$root/arm64/lists"
             -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
  apt-get "${apt_arm64[@]}" update -qq >/dev/null
  (cd "$root/arm64/debs" && apt-get "${apt_arm64[@]}" download -qq "${arm64_packages[@]/%/:arm64}" >/dev/null)
  for deb in "$root"/arm64/debs/*.deb; do dpkg -x "$deb" "$sysroot"; done
  # QEMU hands the guest the host's x86 /proc/cpuinfo; LiteRT reads it at start-up (-L redirects the open)
  mkdir -p "$sysroot/proc"
  "$python" -m pip install --quiet --target "$sysroot/opt/site" --only-binary=:all: \
    --platform manylinux2014_aarch64 --platform manylinux_2_27_aarch64 --platform manylinux_2_28_aarch64 \
    --python-version 3.11 --implementation cp --abi cp311 "ai-edge-litert==2.3.0" "numpy==2.3.5"
  echo "${arm64_packages[*]}" > "$root/arm64/.stamp"
  done_steps+=("arm64 sysroot (python3.11, ai-edge-litert 2.3.0)")
fi

# --- a newer QEMU (trixie's static build) beside bookworm's, for the emulator-or-runtime question
if [ ! -x "$root/qemu-new/usr/bin/qemu-aarch64" ] && [ ! -x "$root/qemu-new/usr/bin/qemu-aarch64-static" ]; then
  mkdir -p "$root/qemu-new/lists/partial" "$root/qemu-new/debs"
  chmod 777 "$root/qemu-new/debs"
  printf 'deb http://deb.debian.org/debian trixie main\n' > "$root/qemu-new/trixie.list"
  apt_new=(-o "Dir::Etc::SourceList=$PWD/$root/qemu-new/trixie.list" -o Dir::Etc::SourceParts=/dev/null
           -o "Dir::State::Lists=$PWD/$root/qemu-new/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
  if apt-get "${apt_new[@]}" update -qq >/dev/null 2>&1 \
     && (cd "$root/qemu-new/debs" && apt-get "${apt_new[@]}" download -qq qemu-user >/dev/null 2>&1); then
    for deb in "$root"/qemu-new/debs/*.deb; do dpkg -x "$deb" "$root/qemu-new"; done
    done_steps+=("trixie qemu-user")
  else
    echo "android: trixie's qemu-user could not be fetched (the newer-QEMU comparison will be skipped)"
  fi
fi
echo "android: kotlinc $kotlin_version, API signatures, qemu $(qemu-aarch64-static --version | head -1 | awk '{print $3}'), arm64 sysroot ready${done_steps:+ (installed: ${done_steps[*]})}"

"""The app's instrumented (on-device) test, compiled here; it cannot RUN here (no Android device or emulator).

android_demo/app/src/androidTest/.../GoldenImageTest.kt runs on a device under ``./gradlew connectedDebugAndroidTest``:
the golden faces classified whole (classifier parity with golden.json), and golden scenes (two golden faces side by
side on a grey canvas) through the app's whole pipeline, detector + crop + classifier (FaceAnalyzer.analyze). This
file proves what a machine without a device can: that test's Kotlin compiles with the real Kotlin compiler, together
with the app's Kotlin, against the real API signatures (tests/test_android_app.py's toolchain and inputs, imported),
JUnit 4 from Debian (/usr/share/java/junit4.jar, .ci/deps/jvm.sh) and compile-only stubs of the androidx.test classes
it uses (android_demo/tools/stubs/androidx/test, each citing its upstream file and version); and that the check is not
vacuous: a misspelt call in a copy of the test fails that compile.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import TOOLCHAIN_SUMMARIES
from tests.test_android_app import (  # noqa: F401  (compile_inputs, signature_sources: fixtures)
    ANDROID, APP_SOURCES, _kotlinc, _toolchain, compile_inputs, signature_sources)

ANDROID_TEST_SOURCES = ANDROID / "app" / "src" / "androidTest" / "java" / "dev" / "edge" / "demo"
JUNIT_JARS = ("/usr/share/java/junit4.jar", "/usr/share/java/hamcrest-core.jar")


@pytest.fixture(scope="module")
def test_inputs(compile_inputs) -> tuple[list[Path], list[str]]:
    """The app's compile inputs plus JUnit 4 (and the hamcrest it depends on)."""
    _toolchain()
    if not Path(JUNIT_JARS[0]).is_file():
        pytest.skip(f"{JUNIT_JARS[0]} missing: run `bash .ci/deps/jvm.sh` (as root)")
    roots, classpath = compile_inputs
    return roots, classpath + [jar for jar in JUNIT_JARS if Path(jar).is_file()]


@pytest.mark.slow
def test_instrumented_test_compiles_and_misuse_fails(test_inputs, tmp_path):
    roots, classpath = test_inputs
    app = sorted(APP_SOURCES.glob("*.kt"))
    tests = sorted(ANDROID_TEST_SOURCES.glob("*.kt"))
    assert [p.name for p in tests] == ["GoldenImageTest.kt"]
    text = tests[0].read_text()
    # the scene test goes through the whole pipeline (detector, crop, classifier), not only classify()
    assert "analyzer.analyze(scene)" in text and "analyzer.hasDetector" in text, "the scene test lost its pipeline call"

    result = _kotlinc(tmp_path / "androidTest.jar", app + tests + roots, classpath)
    assert result.returncode == 0, f"kotlinc failed on the instrumented test:\n{result.stdout}{result.stderr}"

    # negative: a misspelt call in a copy of the test (the app's sources unchanged) must fail the same compile
    broken = tmp_path / "broken" / tests[0].name
    broken.parent.mkdir()
    misspelt = text.replace("analyzer.analyze(scene)", "analyzer.analyse(scene)", 1)
    misspelt = misspelt.replace("InstrumentationRegistry.getInstrumentation()", "InstrumentationRegistry.instrumentation()", 1)
    assert misspelt.count("analyse(scene)") == 1 and "instrumentation()" in misspelt
    broken.write_text(misspelt)
    failed = _kotlinc(tmp_path / "broken.jar", app + [broken] + roots, classpath)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert re.search(r"GoldenImageTest\.kt:\d+:\d+: error: unresolved reference 'analyse'", output), output
    assert re.search(r"GoldenImageTest\.kt:\d+:\d+: error: unresolved reference 'instrumentation'", output), output
    TOOLCHAIN_SUMMARIES.append("android instrumented test: GoldenImageTest.kt compiled with the app against API 36 + "
                               "androidx.test + JUnit 4 (not run: no device here)")

// Compile-only signature of AndroidX Test's InstrumentationRegistry (androidx.test:monitor, which the catalog's
// androidx.test:runner 1.6.2 brings in as monitor 1.7.2), written from the upstream source
// runner/monitor/java/androidx/test/platform/app/InstrumentationRegistry.java of github.com/android/android-test.
// Only what the instrumented tests call; nothing here runs (tests/test_android_instrumented.py compiles against it).
package androidx.test.platform.app;

public final class InstrumentationRegistry {
    private InstrumentationRegistry() {
    }

    public static android.app.Instrumentation getInstrumentation() {
        throw new RuntimeException("compile-only stub");
    }

    public static android.os.Bundle getArguments() {
        throw new RuntimeException("compile-only stub");
    }
}

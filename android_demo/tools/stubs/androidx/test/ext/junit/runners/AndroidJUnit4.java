// Compile-only signature of AndroidX Test's AndroidJUnit4 runner (androidx.test.ext:junit 1.2.1, the catalog's
// androidxTestJunit), written from the upstream source ext/junit/java/androidx/test/ext/junit/runners/AndroidJUnit4.java
// of github.com/android/android-test: a JUnit 4 Runner (so @RunWith(AndroidJUnit4::class) type-checks), Filterable
// and Sortable. Nothing here runs (tests/test_android_instrumented.py compiles against it with Debian's junit4.jar).
package androidx.test.ext.junit.runners;

import org.junit.runner.Description;
import org.junit.runner.Runner;
import org.junit.runner.manipulation.Filter;
import org.junit.runner.manipulation.Filterable;
import org.junit.runner.manipulation.NoTestsRemainException;
import org.junit.runner.manipulation.Sortable;
import org.junit.runner.manipulation.Sorter;
import org.junit.runner.notification.RunNotifier;
import org.junit.runners.model.InitializationError;

public final class AndroidJUnit4 extends Runner implements Filterable, Sortable {
    public AndroidJUnit4(Class<?> klass) throws InitializationError {
        throw new RuntimeException("compile-only stub");
    }

    @Override
    public Description getDescription() {
        throw new RuntimeException("compile-only stub");
    }

    @Override
    public void run(RunNotifier notifier) {
        throw new RuntimeException("compile-only stub");
    }

    @Override
    public void filter(Filter filter) throws NoTestsRemainException {
        throw new RuntimeException("compile-only stub");
    }

    @Override
    public void sort(Sorter sorter) {
        throw new RuntimeException("compile-only stub");
    }
}

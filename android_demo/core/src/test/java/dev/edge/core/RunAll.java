package dev.edge.core;

import org.junit.runner.Description;
import org.junit.runner.JUnitCore;
import org.junit.runner.Result;
import org.junit.runner.notification.Failure;
import org.junit.runner.notification.RunListener;

/**
 * Runs every core test class and closes with {@code N passed, N failed, N skipped}
 * (tests/test_android_core.py reads that line; JUnit's own "OK (N tests)" is not a count CI reads).
 * Gradle's {@code :core:test} runs the same classes without this class.
 */
public final class RunAll {
    static final Class<?>[] TESTS = {
        EmbeddedSpecTest.class, GoldenParityTest.class, ResizeParityTest.class, FaceCropTest.class,
        BlazeFaceTest.class, OutputDecoderTest.class, FramesTest.class, TooSmallTest.class,
    };

    private RunAll() {
    }

    public static void main(String[] args) {
        JUnitCore core = new JUnitCore();
        int[] skipped = {0};
        core.addListener(new RunListener() {
            @Override
            public void testFailure(Failure failure) {
                System.out.println("FAILED " + failure.getDescription().getDisplayName() + ": " + failure.getMessage());
                String[] trace = failure.getTrace().split("\n");
                for (int i = 1; i < Math.min(trace.length, 8); i++) {
                    System.out.println(trace[i]);  // where it failed; the rest is JUnit's own frames
                }
            }

            @Override
            public void testAssumptionFailure(Failure failure) {
                skipped[0]++;
                System.out.println("SKIPPED " + failure.getDescription().getDisplayName() + ": " + failure.getMessage());
            }

            @Override
            public void testIgnored(Description description) {
                skipped[0]++;
            }
        });
        Result result = core.run(TESTS);
        int failed = result.getFailureCount();
        int passed = result.getRunCount() - failed - skipped[0];
        System.out.println(passed + " passed, " + failed + " failed, " + skipped[0] + " skipped");
        System.exit(failed == 0 ? 0 : 1);
    }
}

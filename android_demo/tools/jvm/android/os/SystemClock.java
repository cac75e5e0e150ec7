// Run-time double of android.os.SystemClock (API 36): the monotonic clock the inference code times itself with.
package android.os;

/** Monotonic time. */
public final class SystemClock {
    private SystemClock() {
    }

    public static long elapsedRealtimeNanos() {
        return System.nanoTime();
    }
}

// Compile-only signature of CameraX 1.4 (androidx.camera:camera-core), written from the published API file
// camera/camera-core/api/1.4.0-beta02.txt of the androidx repository (the 1.4.x API; the app pins 1.4.2).
package androidx.camera.core;

public final class ImageAnalysis extends UseCase {
    public static final int COORDINATE_SYSTEM_ORIGINAL = 0;
    public static final int OUTPUT_IMAGE_FORMAT_RGBA_8888 = 2;
    public static final int OUTPUT_IMAGE_FORMAT_YUV_420_888 = 1;
    public static final int STRATEGY_BLOCK_PRODUCER = 1;
    public static final int STRATEGY_KEEP_ONLY_LATEST = 0;

    private ImageAnalysis() {}
    public void clearAnalyzer() { throw new RuntimeException(); }
    public int getBackpressureStrategy() { throw new RuntimeException(); }
    public int getOutputImageFormat() { throw new RuntimeException(); }
    public int getTargetRotation() { throw new RuntimeException(); }
    public boolean isOutputImageRotationEnabled() { throw new RuntimeException(); }
    public void setAnalyzer(java.util.concurrent.Executor executor, Analyzer analyzer) { throw new RuntimeException(); }
    public void setTargetRotation(int rotation) { throw new RuntimeException(); }

    public interface Analyzer {
        void analyze(ImageProxy image);
        default android.util.Size getDefaultTargetResolution() { throw new RuntimeException(); }
        default int getTargetCoordinateSystem() { throw new RuntimeException(); }
        default void updateTransform(android.graphics.Matrix matrix) { throw new RuntimeException(); }
    }

    public static final class Builder {
        public Builder() {}
        public ImageAnalysis build() { throw new RuntimeException(); }
        public Builder setBackgroundExecutor(java.util.concurrent.Executor executor) { throw new RuntimeException(); }
        public Builder setBackpressureStrategy(int strategy) { throw new RuntimeException(); }
        public Builder setImageQueueDepth(int depth) { throw new RuntimeException(); }
        public Builder setOutputImageFormat(int outputImageFormat) { throw new RuntimeException(); }
        public Builder setOutputImageRotationEnabled(boolean enabled) { throw new RuntimeException(); }
        public Builder setTargetName(String targetName) { throw new RuntimeException(); }
        public Builder setTargetRotation(int rotation) { throw new RuntimeException(); }
    }
}

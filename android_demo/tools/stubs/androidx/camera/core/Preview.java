// Compile-only signature of CameraX 1.4 (androidx.camera:camera-core), written from the published API file
// camera/camera-core/api/1.4.0-beta02.txt of the androidx repository (the 1.4.x API; the app pins 1.4.2).
package androidx.camera.core;

public final class Preview extends UseCase {
    private Preview() {}
    public int getTargetRotation() { throw new RuntimeException(); }
    public void setSurfaceProvider(SurfaceProvider surfaceProvider) { throw new RuntimeException(); }
    public void setSurfaceProvider(java.util.concurrent.Executor executor, SurfaceProvider surfaceProvider) { throw new RuntimeException(); }
    public void setTargetRotation(int rotation) { throw new RuntimeException(); }

    public interface SurfaceProvider {
        void onSurfaceRequested(SurfaceRequest request);
    }

    public static final class Builder {
        public Builder() {}
        public Preview build() { throw new RuntimeException(); }
        public Builder setTargetName(String targetName) { throw new RuntimeException(); }
        public Builder setTargetRotation(int rotation) { throw new RuntimeException(); }
    }
}

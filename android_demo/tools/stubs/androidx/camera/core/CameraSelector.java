// Compile-only signatures of CameraX 1.4 (androidx.camera:camera-core), written from the published API file
// camera/camera-core/api/1.4.0-beta02.txt of the androidx repository (the 1.4.x API; the app pins 1.4.2).
package androidx.camera.core;

public final class CameraSelector {
    public static final CameraSelector DEFAULT_BACK_CAMERA;
    public static final CameraSelector DEFAULT_FRONT_CAMERA;
    public static final int LENS_FACING_BACK = 1;
    public static final int LENS_FACING_FRONT = 0;
    public static final int LENS_FACING_UNKNOWN = -1;

    public java.util.List<CameraInfo> filter(java.util.List<CameraInfo> cameraInfos) { throw new RuntimeException(); }

    public static final class Builder {
        public Builder() {}
        public Builder addCameraFilter(CameraFilter filter) { throw new RuntimeException(); }
        public CameraSelector build() { throw new RuntimeException(); }
        public Builder requireLensFacing(int lensFacing) { throw new RuntimeException(); }
    }
}

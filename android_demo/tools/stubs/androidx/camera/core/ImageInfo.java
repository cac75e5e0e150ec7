// Compile-only signature of CameraX 1.4 (androidx.camera:camera-core), written from the published API file
// camera/camera-core/api/1.4.0-beta02.txt of the androidx repository (the 1.4.x API; the app pins 1.4.2).
package androidx.camera.core;

public interface ImageInfo {
    int getRotationDegrees();
    long getTimestamp();
    default android.graphics.Matrix getSensorToBufferTransformMatrix() { throw new RuntimeException(); }
}

// Compile-only signature of CameraX 1.4 (androidx.camera:camera-core), written from the published API file
// camera/camera-core/api/1.4.0-beta02.txt of the androidx repository (the 1.4.x API; the app pins 1.4.2).
package androidx.camera.core;

public interface ImageProxy extends AutoCloseable {
    @Override
    void close();
    android.graphics.Rect getCropRect();
    int getFormat();
    int getHeight();
    ImageInfo getImageInfo();
    PlaneProxy[] getPlanes();
    int getWidth();
    void setCropRect(android.graphics.Rect rect);
    default android.graphics.Bitmap toBitmap() { throw new RuntimeException(); }

    interface PlaneProxy {
        java.nio.ByteBuffer getBuffer();
        int getPixelStride();
        int getRowStride();
    }
}

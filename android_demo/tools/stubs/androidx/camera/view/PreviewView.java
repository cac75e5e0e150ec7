// Compile-only signature of CameraX 1.4 (androidx.camera:camera-view), written from the published API file
// camera/camera-view/api/restricted_1.4.0-beta03.txt and PreviewView.java of the androidx repository (1.4.x API).
package androidx.camera.view;

public final class PreviewView extends android.widget.FrameLayout {
    public PreviewView(android.content.Context context) { super(context); }
    public PreviewView(android.content.Context context, android.util.AttributeSet attrs) { super(context); }
    public PreviewView(android.content.Context context, android.util.AttributeSet attrs, int defStyleAttr) { super(context); }
    public androidx.camera.core.Preview.SurfaceProvider getSurfaceProvider() { throw new RuntimeException(); }
    public ScaleType getScaleType() { throw new RuntimeException(); }
    public void setScaleType(ScaleType scaleType) { throw new RuntimeException(); }
    public android.graphics.Bitmap getBitmap() { throw new RuntimeException(); }

    public enum ScaleType { FILL_START, FILL_CENTER, FILL_END, FIT_START, FIT_CENTER, FIT_END }
}

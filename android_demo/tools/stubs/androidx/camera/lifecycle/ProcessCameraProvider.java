// Compile-only signature of CameraX 1.4 (androidx.camera:camera-lifecycle), written from the published API file
// camera/camera-lifecycle/api/1.4.0-beta01.txt of the androidx repository (the 1.4.x API; the app pins 1.4.2).
package androidx.camera.lifecycle;

import androidx.camera.core.Camera;
import androidx.camera.core.CameraInfo;
import androidx.camera.core.CameraInfoUnavailableException;
import androidx.camera.core.CameraSelector;
import androidx.camera.core.UseCase;

public final class ProcessCameraProvider implements androidx.camera.core.CameraProvider {
    private ProcessCameraProvider() {}
    public Camera bindToLifecycle(androidx.lifecycle.LifecycleOwner lifecycleOwner, CameraSelector cameraSelector, UseCase... useCases) { throw new RuntimeException(); }
    @Override
    public java.util.List<CameraInfo> getAvailableCameraInfos() { throw new RuntimeException(); }
    public static com.google.common.util.concurrent.ListenableFuture<ProcessCameraProvider> getInstance(android.content.Context context) { throw new RuntimeException(); }
    @Override
    public boolean hasCamera(CameraSelector cameraSelector) throws CameraInfoUnavailableException { throw new RuntimeException(); }
    public boolean isBound(UseCase useCase) { throw new RuntimeException(); }
    public void unbind(UseCase... useCases) { throw new RuntimeException(); }
    public void unbindAll() { throw new RuntimeException(); }
}

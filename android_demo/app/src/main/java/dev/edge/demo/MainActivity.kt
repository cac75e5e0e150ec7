package dev.edge.demo

import android.Manifest
import android.content.pm.PackageManager
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.graphics.ImageDecoder
import android.media.ExifInterface
import android.net.Uri
import android.os.Build
import android.os.Bundle
import android.view.OrientationEventListener
import android.view.View
import androidx.activity.result.contract.ActivityResultContracts
import androidx.appcompat.app.AppCompatActivity
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.core.content.ContextCompat
import androidx.core.view.ViewCompat
import androidx.core.view.WindowInsetsCompat
import dev.edge.core.FaceLabel
import dev.edge.core.Frames
import dev.edge.demo.databinding.ActivityMainBinding
import java.util.Locale
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

/**
 * Live camera (CameraX preview + ImageAnalysis, latest frame only) or a photo from the gallery;
 * every face is labelled on screen with its per-face latency, the frame latency on top.
 * Android wiring only: the arithmetic on frames, boxes, tensors and photo sizes is in the core (Frames).
 */
class MainActivity : AppCompatActivity() {
    private lateinit var binding: ActivityMainBinding
    // One thread owns the interpreters: camera frames and photos are analysed on it in turn.
    private val analysisExecutor: ExecutorService = Executors.newSingleThreadExecutor()
    @Volatile private var analyzer: FaceAnalyzer? = null
    private var threads = FaceAnalyzer.DEFAULT_THREADS
    private var lensFacing = CameraSelector.LENS_FACING_BACK
    private var cameraProvider: ProcessCameraProvider? = null
    private var preview: Preview? = null
    private var analysis: ImageAnalysis? = null
    private var photoMode = false

    // The display's rotation, from the device orientation: right after a rotation the PreviewView's display is not
    // attached yet, and a 180-degree turn recreates nothing, so reading preview.display would leave frames sideways.
    private val orientationListener by lazy {
        object : OrientationEventListener(this) {
            override fun onOrientationChanged(orientation: Int) {
                val rotation = Frames.surfaceRotation(orientation)
                if (rotation >= 0) {
                    preview?.setTargetRotation(rotation)
                    analysis?.setTargetRotation(rotation)
                }
            }
        }
    }

    private val cameraPermission = registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) startCamera() else binding.status.setText(R.string.camera_permission_needed)
    }
    private val pickPhoto = registerForActivityResult(ActivityResultContracts.GetContent()) { uri ->
        if (uri != null) showPhoto(uri)
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        binding = ActivityMainBinding.inflate(layoutInflater)
        setContentView(binding.root)
        // targetSdk 35+ draws edge to edge: keep the status line and the buttons off the system bars
        val statusPadding = binding.status.paddingTop  // the layout's own 8dp
        ViewCompat.setOnApplyWindowInsetsListener(binding.root) { _, insets ->
            val bars = insets.getInsets(WindowInsetsCompat.Type.systemBars() or WindowInsetsCompat.Type.displayCutout())
            binding.status.setPadding(bars.left + statusPadding, bars.top + statusPadding, bars.right + statusPadding, statusPadding)
            binding.buttons.setPadding(bars.left, statusPadding, bars.right, bars.bottom + statusPadding)
            insets
        }
        binding.threads.text = getString(R.string.threads, threads)
        binding.threads.setOnClickListener {
            threads = if (threads >= MAX_THREADS) 1 else threads * 2
            binding.threads.text = getString(R.string.threads, threads)
            loadAnalyzer()
        }
        binding.switchCamera.setOnClickListener {
            lensFacing = if (lensFacing == CameraSelector.LENS_FACING_BACK) CameraSelector.LENS_FACING_FRONT
            else CameraSelector.LENS_FACING_BACK
            if (!photoMode) bindCamera()
        }
        binding.photoMode.setOnClickListener {
            if (photoMode) leavePhotoMode() else pickPhoto.launch("image/*")
        }
        loadAnalyzer()
        if (ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) {
            startCamera()
        } else {
            cameraPermission.launch(Manifest.permission.CAMERA)
        }
    }

    override fun onStart() {
        super.onStart()
        orientationListener.enable()
    }

    override fun onStop() {
        orientationListener.disable()
        super.onStop()
    }

    /** (Re)create the interpreters with the current thread count, on the analysis thread. */
    private fun loadAnalyzer() {
        analysisExecutor.execute {
            analyzer?.close()
            analyzer = try {
                FaceAnalyzer(this, threads)
            } catch (error: Exception) {
                showError(error)
                null
            }
        }
    }

    private fun startCamera() {
        val future = ProcessCameraProvider.getInstance(this)
        future.addListener({
            cameraProvider = future.get()
            if (!photoMode) bindCamera()
        }, ContextCompat.getMainExecutor(this))
    }

    private fun bindCamera() {
        val provider = cameraProvider ?: return
        val selector = CameraSelector.Builder().requireLensFacing(lensFacing).build()
        if (!provider.hasCamera(selector)) {
            binding.status.text = "No ${if (lensFacing == CameraSelector.LENS_FACING_FRONT) "front" else "back"} camera"
            return
        }
        // no target rotation here: CameraX takes the display's at bind time, the orientation listener updates it
        val newPreview = Preview.Builder().build().also { it.setSurfaceProvider(binding.preview.surfaceProvider) }
        val newAnalysis = ImageAnalysis.Builder()
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
            .build()
        newAnalysis.setAnalyzer(analysisExecutor) { image -> analyzeFrame(image) }
        provider.unbindAll()
        provider.bindToLifecycle(this, selector, newPreview, newAnalysis)
        preview = newPreview
        analysis = newAnalysis
    }

    private fun analyzeFrame(image: ImageProxy) {
        val mirror = lensFacing == CameraSelector.LENS_FACING_FRONT
        try {
            val frame = image.use { proxy ->
                val current = analyzer ?: return
                val bitmap = proxy.toBitmap()
                val argb = IntArray(bitmap.width * bitmap.height)
                bitmap.getPixels(argb, 0, bitmap.width, 0, 0, bitmap.width, bitmap.height)
                val size = IntArray(2)
                val upright = Frames.rotate(argb, bitmap.width, bitmap.height, proxy.imageInfo.rotationDegrees, size)
                current.analyze(upright, size[0], size[1])
            }
            runOnUiThread {
                if (!photoMode) {
                    binding.overlay.show(frame, FaceOverlayView.Scaling.FILL, mirror)
                    binding.status.text = statusLine(frame)
                }
            }
        } catch (error: Throwable) {
            showError(error)  // one bad frame (or out of memory) is a message, never a crash
        }
    }

    private fun showPhoto(uri: Uri) {
        photoMode = true
        cameraProvider?.unbindAll()
        binding.preview.visibility = View.GONE
        binding.photo.visibility = View.VISIBLE
        binding.photoMode.setText(R.string.live_camera)
        analysisExecutor.execute {
            try {
                val bitmap = decodePhoto(uri)
                if (bitmap == null) {
                    runOnUiThread { binding.status.setText(R.string.not_an_image) }
                    return@execute
                }
                val frame = analyzer?.analyze(bitmap)
                runOnUiThread {
                    binding.photo.setImageBitmap(bitmap)
                    binding.overlay.show(frame, FaceOverlayView.Scaling.FIT, false)
                    if (frame != null) binding.status.text = statusLine(frame)
                }
            } catch (error: Throwable) {
                showError(error)  // a corrupt photo, a spec error or out of memory: a message, the app keeps running
            }
        }
    }

    private fun showError(error: Throwable) {
        val message = getString(R.string.analysis_failed, error.javaClass.simpleName, error.message ?: "")
        runOnUiThread { binding.status.text = message }
    }

    private fun leavePhotoMode() {
        photoMode = false
        binding.photo.visibility = View.GONE
        binding.preview.visibility = View.VISIBLE
        binding.photoMode.setText(R.string.pick_photo)
        binding.overlay.show(null, FaceOverlayView.Scaling.FILL, false)
        bindCamera()
    }

    /**
     * A software ARGB_8888 bitmap, upright, at most Frames.MAX_PHOTO_PIXELS (sampled while decoding, so a 50 MP photo
     * never sits in memory whole), stored values kept (no colour-space conversion); null when it is not an image.
     */
    private fun decodePhoto(uri: Uri): Bitmap? =
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            ImageDecoder.decodeBitmap(ImageDecoder.createSource(contentResolver, uri)) { decoder, info, _ ->
                decoder.allocator = ImageDecoder.ALLOCATOR_SOFTWARE
                val target = Frames.targetSize(info.size.width, info.size.height, Frames.MAX_PHOTO_PIXELS)
                decoder.setTargetSize(target[0], target[1])
            }.copy(Bitmap.Config.ARGB_8888, false)
        } else {
            decodeSampledUpright(uri)
        }

    /** Android 7-8.1: BitmapFactory samples but ignores EXIF orientation, so the core turns the pixels upright. */
    private fun decodeSampledUpright(uri: Uri): Bitmap? {
        val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
        contentResolver.openInputStream(uri)?.use { BitmapFactory.decodeStream(it, null, bounds) }
        if (bounds.outWidth <= 0 || bounds.outHeight <= 0) return null
        val options = BitmapFactory.Options().apply {
            inSampleSize = Frames.sampleSize(bounds.outWidth, bounds.outHeight, Frames.MAX_PHOTO_PIXELS)
            inPreferredConfig = Bitmap.Config.ARGB_8888
        }
        val decoded = contentResolver.openInputStream(uri)?.use { BitmapFactory.decodeStream(it, null, options) } ?: return null
        val orientation = contentResolver.openInputStream(uri)?.use {
            ExifInterface(it).getAttributeInt(ExifInterface.TAG_ORIENTATION, ExifInterface.ORIENTATION_NORMAL)
        } ?: ExifInterface.ORIENTATION_NORMAL
        val (degrees, mirrored) = Frames.exifTransform(orientation)
        if (degrees == 0 && mirrored == 0) return decoded
        var argb = IntArray(decoded.width * decoded.height)
        decoded.getPixels(argb, 0, decoded.width, 0, 0, decoded.width, decoded.height)
        if (mirrored == 1) argb = Frames.mirror(argb, decoded.width, decoded.height)
        val size = IntArray(2)
        val upright = Frames.rotate(argb, decoded.width, decoded.height, degrees, size)
        return Bitmap.createBitmap(upright, size[0], size[1], Bitmap.Config.ARGB_8888)
    }

    private fun statusLine(frame: FrameResult): String {
        val spec = analyzer?.spec
        val model = spec?.let { "${it.family} ${it.imageSize}x${it.imageSize} ${it.color}" } ?: "no model"
        // the core's words, e.g. "1 face: Woman · 27 (22–33) · 84% sure · 2 faces too small to read: come closer"
        val faces = FaceLabel.summary(frame.faces.map { it.label }).ifEmpty { getString(R.string.no_faces) }
        return String.format(Locale.ROOT, "%s · %d thread(s) · frame %.1f ms (detect %.1f ms) · %s",
            model, threads, frame.frameMs, frame.detectMs, faces)
    }

    override fun onDestroy() {
        super.onDestroy()
        analysisExecutor.execute { analyzer?.close() }
        analysisExecutor.shutdown()
    }

    companion object {
        private const val MAX_THREADS = 4
    }
}

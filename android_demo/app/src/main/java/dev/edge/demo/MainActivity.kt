package dev.edge.demo

import android.Manifest
import android.content.pm.PackageManager
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.graphics.ImageDecoder
import android.graphics.Matrix
import android.net.Uri
import android.os.Build
import android.os.Bundle
import android.view.View
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.appcompat.app.AppCompatActivity
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.core.content.ContextCompat
import dev.edge.demo.databinding.ActivityMainBinding
import java.util.Locale
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

/**
 * Live camera (CameraX preview + ImageAnalysis, latest frame only) or a photo from the gallery;
 * every face is labelled on screen with its per-face latency, the frame latency on top.
 */
class MainActivity : AppCompatActivity() {
    private lateinit var binding: ActivityMainBinding
    // One thread owns the interpreters: camera frames and photos are analysed on it in turn.
    private val analysisExecutor: ExecutorService = Executors.newSingleThreadExecutor()
    @Volatile private var analyzer: FaceAnalyzer? = null
    private var threads = FaceAnalyzer.DEFAULT_THREADS
    private var lensFacing = CameraSelector.LENS_FACING_BACK
    private var cameraProvider: ProcessCameraProvider? = null
    private var photoMode = false

    private val cameraPermission = registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) startCamera() else binding.status.setText(R.string.camera_permission_needed)
    }
    private val pickPhoto = registerForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
        if (uri != null) showPhoto(uri)
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        binding = ActivityMainBinding.inflate(layoutInflater)
        setContentView(binding.root)
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
            if (photoMode) leavePhotoMode()
            else pickPhoto.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
        }
        loadAnalyzer()
        if (ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) {
            startCamera()
        } else {
            cameraPermission.launch(Manifest.permission.CAMERA)
        }
    }

    /** (Re)create the interpreters with the current thread count, on the analysis thread. */
    private fun loadAnalyzer() {
        analysisExecutor.execute {
            analyzer?.close()
            analyzer = try {
                FaceAnalyzer(this, threads)
            } catch (error: Exception) {
                runOnUiThread { binding.status.text = error.message }
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
        val rotation = binding.preview.display?.rotation ?: 0
        val preview = Preview.Builder().setTargetRotation(rotation).build()
            .also { it.setSurfaceProvider(binding.preview.surfaceProvider) }
        val analysis = ImageAnalysis.Builder()
            .setTargetRotation(rotation)
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
            .build()
        analysis.setAnalyzer(analysisExecutor) { image -> analyzeFrame(image) }
        provider.unbindAll()
        provider.bindToLifecycle(this, selector, preview, analysis)
    }

    private fun analyzeFrame(image: ImageProxy) {
        val bitmap = image.use { it.toBitmap().rotated(it.imageInfo.rotationDegrees) }
        val frame = analyzer?.analyze(bitmap) ?: return
        val mirror = lensFacing == CameraSelector.LENS_FACING_FRONT
        runOnUiThread {
            if (!photoMode) {
                binding.overlay.show(frame, FaceOverlayView.Scaling.FILL, mirror)
                binding.status.text = statusLine(frame)
            }
        }
    }

    private fun showPhoto(uri: Uri) {
        photoMode = true
        cameraProvider?.unbindAll()
        binding.preview.visibility = View.GONE
        binding.photo.visibility = View.VISIBLE
        binding.photoMode.setText(R.string.live_camera)
        analysisExecutor.execute {
            val bitmap = decodePhoto(uri)
            val frame = analyzer?.analyze(bitmap)
            runOnUiThread {
                binding.photo.setImageBitmap(bitmap)
                binding.overlay.show(frame, FaceOverlayView.Scaling.FIT, false)
                if (frame != null) binding.status.text = statusLine(frame)
            }
        }
    }

    private fun leavePhotoMode() {
        photoMode = false
        binding.photo.visibility = View.GONE
        binding.preview.visibility = View.VISIBLE
        binding.photoMode.setText(R.string.pick_photo)
        binding.overlay.show(null, FaceOverlayView.Scaling.FILL, false)
        bindCamera()
    }

    /** A software ARGB_8888 bitmap, upright (ImageDecoder applies EXIF rotation). */
    private fun decodePhoto(uri: Uri): Bitmap =
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            ImageDecoder.decodeBitmap(ImageDecoder.createSource(contentResolver, uri)) { decoder, _, _ ->
                decoder.allocator = ImageDecoder.ALLOCATOR_SOFTWARE
            }.copy(Bitmap.Config.ARGB_8888, false)
        } else {
            contentResolver.openInputStream(uri).use { BitmapFactory.decodeStream(it) }
                .copy(Bitmap.Config.ARGB_8888, false)
        }

    private fun statusLine(frame: FrameResult): String {
        val spec = analyzer?.spec
        val model = spec?.let { "${it.family} ${it.imageSize}x${it.imageSize} ${it.color}" } ?: "no model"
        val faces = if (frame.faces.isEmpty()) getString(R.string.no_faces) else "${frame.faces.size} face(s)"
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

/** The bitmap turned upright: CameraX reports how far the sensor image is rotated. */
fun Bitmap.rotated(degrees: Int): Bitmap =
    if (degrees == 0) this
    else Bitmap.createBitmap(this, 0, 0, width, height, Matrix().apply { postRotate(degrees.toFloat()) }, true)

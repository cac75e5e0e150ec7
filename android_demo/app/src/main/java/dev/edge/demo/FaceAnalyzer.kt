package dev.edge.demo

import android.content.Context
import android.graphics.Bitmap
import android.os.SystemClock
import dev.edge.core.BlazeFace
import dev.edge.core.CropBox
import dev.edge.core.EmbeddedSpec
import dev.edge.core.FaceLabel
import dev.edge.core.Frames
import dev.edge.core.ModelSpec
import dev.edge.core.OutputDecoder
import dev.edge.core.Preprocessor
import dev.edge.core.SpecException
import java.nio.ByteBuffer

/**
 * One face: where it is (image pixels), its crop, dequantized outputs, label and latency. A face too small to read
 * (the core's FaceLabel.tooSmall: below the spec's face_crop.min_face_px) has no outputs and reads "Too small to read".
 */
data class FaceResult(
    val face: BlazeFace.Face?,
    val crop: CropBox,
    val outputs: Map<String, FloatArray>,
    val label: FaceLabel,
    val latencyMs: Double,
)

/** Every face of one frame, with the frame's size and timings. */
data class FrameResult(
    val width: Int,
    val height: Int,
    val faces: List<FaceResult>,
    val detectMs: Double,
    val frameMs: Double,
) {
    /** How many faces were found but are too small to read. */
    val tooSmall: Int get() = faces.count { it.label.tooSmall }
}

/**
 * Owns both interpreters and runs a frame end to end: BlazeFace (in LiteRT, decoded by the
 * core) -> the spec's square crop -> the core's preprocessing -> classifier -> the core's
 * decoding. Everything model-specific comes from the model: input shape and type from the
 * tensors, preprocessing, labels and output order from the spec embedded in the .tflite.
 * Not thread-safe: call it from one thread (the analysis executor).
 */
class FaceAnalyzer(context: Context, threads: Int = DEFAULT_THREADS) : AutoCloseable {
    private val modelBytes = context.assetBytes(MODEL_ASSET)
    val spec: ModelSpec = loadSpec(context, modelBytes)
    private val classifier = LiteRtModel(modelBytes, threads)
    private val preprocessor = Preprocessor(spec)
    private val decoder = OutputDecoder(spec)
    private val inputBuffer = classifier.input.newBuffer()
    private val outputBuffers: Map<Int, ByteBuffer> =
        spec.outputs.associate { it.tfliteIndex to classifier.output(it.tfliteIndex).newBuffer() }

    private val detector: LiteRtModel?
    private val blazeFace: BlazeFace?
    private val detectorInput: ByteBuffer?
    private var boxesIndex = -1
    private var scoresIndex = -1

    init {
        checkInputTensor()
        if (context.hasAsset(DETECTOR_ASSET) && context.hasAsset(DETECTOR_CONFIG_ASSET)) {
            val config = BlazeFace.Config.fromJson(String(context.assetBytes(DETECTOR_CONFIG_ASSET)), DETECTOR_CONFIG_ASSET)
            val model = LiteRtModel(context.assetBytes(DETECTOR_ASSET), threads)
            // Outputs are told apart by their last dimension (face_detector.json "outputs"), never by position.
            for (i in 0 until model.interpreter.outputTensorCount) {
                when (model.output(i).shape().last()) {
                    config.boxWidth() -> boxesIndex = i
                    1 -> scoresIndex = i
                }
            }
            if (boxesIndex < 0 || scoresIndex < 0) {
                model.close()
                throw SpecException("$DETECTOR_ASSET has no outputs of width ${config.boxWidth()} and 1: " +
                    "copy the detector again with `edge export --android-assets`")
            }
            blazeFace = BlazeFace(config)
            detector = model
            detectorInput = model.input.newBuffer()
        } else {
            blazeFace = null
            detector = null
            detectorInput = null
        }
    }

    /** True when the assets hold a face detector; without one the whole frame is classified. */
    val hasDetector: Boolean get() = detector != null

    private fun checkInputTensor() {
        val shape = classifier.input.shape()  // [1, H, W, C]
        val expected = intArrayOf(1, spec.imageSize, spec.imageSize, spec.channels())
        if (!shape.contentEquals(expected)) {
            throw SpecException("$MODEL_ASSET input is ${shape.contentToString()} but its spec says ${expected.contentToString()}: re-export the model")
        }
    }

    /**
     * Detect, crop, classify and label every face of an upright ARGB_8888 bitmap. Its stored pixel values are used as
     * they are (copyPixelsToBuffer, no colour-space conversion): a Display-P3 photo gives the same pixels that
     * Python's OpenCV reads from the file, which ignores the colour profile too.
     */
    fun analyze(bitmap: Bitmap): FrameResult {
        val rgba = ByteBuffer.allocate(bitmap.width * bitmap.height * 4)
        bitmap.copyPixelsToBuffer(rgba)
        return analyze(Frames.rgbaToArgb(rgba.array(), bitmap.width * bitmap.height), bitmap.width, bitmap.height)
    }

    /**
     * Detect, crop, classify and label every face of upright ARGB pixels. Every face is found; one the core says is
     * not readable (smaller than the spec's min_face_px) is reported as too small, not classified (as edge predict).
     */
    fun analyze(argb: IntArray, width: Int, height: Int): FrameResult {
        val start = SystemClock.elapsedRealtimeNanos()
        val faces = detect(argb, width, height)
        val detectMs = (SystemClock.elapsedRealtimeNanos() - start) / 1e6
        val results = if (blazeFace == null) {
            listOf(classify(argb, width, height, null, CropBox(0, 0, width, height)))
        } else {
            faces.take(MAX_FACES)
                .map { face -> face to face.crop(spec.faceCropMargin, width, height) }
                .filter { (_, crop) -> !crop.isEmpty }
                .map { (face, crop) ->
                    if (face.readable(spec.faceCropMinFacePx)) classify(argb, width, height, face, crop)
                    else FaceResult(face, crop, emptyMap(), FaceLabel.tooSmall(face, spec.faceCropMinFacePx), 0.0)
                }
        }
        return FrameResult(width, height, results, detectMs, (SystemClock.elapsedRealtimeNanos() - start) / 1e6)
    }

    private fun detect(argb: IntArray, width: Int, height: Int): List<BlazeFace.Face> {
        val model = detector ?: return emptyList()
        val faceDecoder = blazeFace ?: return emptyList()
        val letterbox = faceDecoder.letterbox(argb, width, height)
        val input = detectorInput ?: return emptyList()
        Frames.fillInput(input, letterbox.input, model.input.dataType().name, model.input.quantization())
        val boxes = model.output(boxesIndex).newBuffer()
        val scores = model.output(scoresIndex).newBuffer()
        model.interpreter.runForMultipleInputsOutputs(arrayOf(input), mapOf(boxesIndex to boxes, scoresIndex to scores))
        return faceDecoder.decode(model.output(boxesIndex).readFloats(boxes), model.output(scoresIndex).readFloats(scores),
            letterbox.scale, 0)  // every face: those too small to read are said, not dropped
    }

    /** Classify one crop of an ARGB image (the golden test calls this with the whole image). */
    fun classify(argb: IntArray, width: Int, height: Int, face: BlazeFace.Face?, crop: CropBox): FaceResult {
        val start = SystemClock.elapsedRealtimeNanos()
        val input = classifier.input
        val floats = preprocessor.toFloat(preprocessor.pixels(argb, width, height, crop))
        Frames.fillInput(inputBuffer, floats, input.dataType().name, input.quantization())
        outputBuffers.values.forEach { it.clear() }  // LiteRT writes each output at its buffer's position
        classifier.interpreter.runForMultipleInputsOutputs(arrayOf(inputBuffer), outputBuffers)
        val outputs = spec.outputs.associate { out ->
            out.name to classifier.output(out.tfliteIndex).readFloats(outputBuffers.getValue(out.tfliteIndex))
        }
        val label = decoder.decode(outputs)
        return FaceResult(face, crop, outputs, label, (SystemClock.elapsedRealtimeNanos() - start) / 1e6)
    }

    override fun close() {
        classifier.close()
        detector?.close()
    }

    companion object {
        const val DEFAULT_THREADS = 2
        const val MODEL_ASSET = "model.tflite"
        const val SPEC_ASSET = "spec.json"
        const val DETECTOR_ASSET = "face_detector.tflite"
        const val DETECTOR_CONFIG_ASSET = "face_detector.json"
        const val MAX_FACES = 8  // a UI limit: beyond this, labels overlap and the frame rate drops

        /** The spec embedded in the model; the spec.json beside it only when the model carries none. */
        fun loadSpec(context: Context, modelBytes: ByteArray): ModelSpec {
            EmbeddedSpec.readJson(modelBytes, MODEL_ASSET)?.let { return ModelSpec.fromJson(it, MODEL_ASSET) }
            if (context.hasAsset(SPEC_ASSET)) {
                return ModelSpec.fromJson(String(context.assetBytes(SPEC_ASSET)), SPEC_ASSET)
            }
            return EmbeddedSpec.read(modelBytes, MODEL_ASSET)  // throws the clear "no embedded spec" error
        }
    }
}

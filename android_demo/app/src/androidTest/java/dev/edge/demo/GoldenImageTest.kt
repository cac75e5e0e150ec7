package dev.edge.demo

import android.content.Context
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import dev.edge.core.CropBox
import org.json.JSONArray
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assume.assumeTrue
import org.junit.Test
import org.junit.runner.RunWith
import kotlin.math.abs

/**
 * The golden faces that `edge export` wrote into the assets (golden.json + golden/\*.png), run on the device through
 * the real LiteRT interpreter and the app's own code path (Android's PNG decoder, the core's preprocessing, the
 * tensors' quantization, the core's decoding).
 *
 * 1. [goldenFacesGetTheLabelsPythonComputed]: each golden PNG classified whole, as Python did. Device int8 kernels may
 *    round a value differently from the desktop's, so outputs must be within one quantization step of Python's; labels
 *    (with the calibrated P(female), "not sure" and the age range) must be identical on every face whose outputs came
 *    out identical, and on at least 15 of 16 faces overall.
 * 2. [goldenScenesGoThroughDetectorCropAndClassifier]: the whole app pipeline, [FaceAnalyzer.analyze] on a Bitmap:
 *    BlazeFace in LiteRT, the core's decoding, the spec's crop, the classifier. Scenes are composed here from the
 *    golden PNGs, two faces side by side on a grey canvas, copied pixel for pixel (no scaling, no drawing). The crop
 *    the detector gives is not the golden image (it is the spec's square around the detected face, with some grey), so
 *    the classifier's input differs and the labels are held to what that allows: both faces found, each on its own
 *    face, the gender of golden.json wherever Python was sure of it, the age group golden.json's or a neighbour.
 *    (Measured off the device with `edge predict` on such scenes of 16 UTKFace faces and the shipped model: 16/16
 *    found, 15/15 sure genders equal, age groups 11/16 equal and 16/16 within one group.)
 *
 * Compiled (not run: no device there) by tests/test_android_instrumented.py.
 */
@RunWith(AndroidJUnit4::class)
class GoldenImageTest {
    private val context: Context = InstrumentationRegistry.getInstrumentation().targetContext

    private fun goldenFaces(): JSONArray {
        assumeTrue("no golden.json in the assets: run `edge export RUN --int8 --android-assets app/src/main/assets`",
            context.hasAsset("golden.json"))
        val faces = JSONObject(String(context.assetBytes("golden.json"))).getJSONArray("faces")
        assertTrue("golden.json holds faces", faces.length() > 0)
        return faces
    }

    private fun decode(name: String): Bitmap {
        return checkNotNull(context.assets.open(name).use { BitmapFactory.decodeStream(it) }) {
            "$name is not an image Android decodes"
        }
    }

    private fun argb(bitmap: Bitmap): IntArray {
        val pixels = IntArray(bitmap.width * bitmap.height)
        bitmap.getPixels(pixels, 0, bitmap.width, 0, 0, bitmap.width, bitmap.height)
        return pixels
    }

    @Test
    fun goldenFacesGetTheLabelsPythonComputed() {
        val faces = goldenFaces()
        var sameLabels = 0
        FaceAnalyzer(context, threads = 1).use { analyzer ->
            for (i in 0 until faces.length()) {
                val face = faces.getJSONObject(i)
                val name = face.getString("image")
                val bitmap = decode(name)
                val result = analyzer.classify(argb(bitmap), bitmap.width, bitmap.height, null, CropBox(0, 0, bitmap.width, bitmap.height))

                var identical = true
                for (out in analyzer.spec.outputs) {
                    val expected = face.getJSONObject("dequantized_outputs").getJSONArray(out.name)
                    val step = (out.quantization?.step() ?: 1e-5f).toDouble()
                    val got = result.outputs.getValue(out.name)
                    for (j in 0 until expected.length()) {
                        val difference = abs(expected.getDouble(j) - got[j])
                        assertTrue("$name ${out.name}[$j]: ${got[j]} vs Python ${expected.getDouble(j)}", difference <= step * 1.001)
                        if (difference > step * 0.001) identical = false
                    }
                }
                val decoded = face.getJSONObject("decoded")
                val label = result.label
                fun text(key: String) = if (decoded.isNull(key)) null else decoded.getString(key)
                // Number: the signature stubs this compiles against here type org.json's double getters as float
                fun near(expected: Number, got: Number, tolerance: Double) =
                    (expected.toDouble().isNaN() && got.toDouble().isNaN()) || abs(expected.toDouble() - got.toDouble()) <= tolerance
                // the calibration too: P(female) (4 decimals in golden.json), "not sure", the age range (2 decimals)
                val range = decoded.optJSONArray("age_range")
                val same = text("age_group") == label.ageGroup && text("gender") == label.genderName &&
                    decoded.getBoolean("undefined") == label.undefined &&
                    near(decoded.optDouble("gender_prob_female", Double.NaN), label.genderProbFemale, 6e-5) &&
                    decoded.optBoolean("gender_unsure", false) == label.genderUnsure &&
                    (range != null) == label.hasAgeRange() &&
                    (range == null || (near(range.getDouble(0), label.ageLow, 0.006) && near(range.getDouble(1), label.ageHigh, 0.006)))
                if (identical) assertTrue("$name: $label but Python decoded $decoded", same)
                if (same) sameLabels++
            }
        }
        assertTrue("labels equal on $sameLabels of ${faces.length()} faces", sameLabels >= faces.length() - faces.length() / 16)
    }

    @Test
    fun goldenScenesGoThroughDetectorCropAndClassifier() {
        val faces = goldenFaces()
        assumeTrue("two golden faces needed for a scene", faces.length() >= 2)
        FaceAnalyzer(context, threads = 1).use { analyzer ->
            assertTrue("no face detector in the assets (face_detector.tflite + .json): export again with --android-assets",
                analyzer.hasDetector)
            val groups = analyzer.spec.ageClassNames
            var exactLabels = 0
            for (first in 0 until faces.length() step 2) {
                val pair = listOf(first, (first + 1) % faces.length()).map { faces.getJSONObject(it) }
                val images = pair.map { decode(it.getString("image")) }
                // the scene: GAP px of grey around and between the two faces, each copied at its own size
                val scene = Bitmap.createBitmap(images.sumOf { it.width } + 3 * GAP, images.maxOf { it.height } + 2 * GAP,
                    Bitmap.Config.ARGB_8888)
                scene.eraseColor(GREY)
                val placed = ArrayList<CropBox>()
                var left = GAP
                for (image in images) {
                    scene.setPixels(argb(image), 0, image.width, left, GAP, image.width, image.height)
                    placed.add(CropBox(left, GAP, left + image.width, GAP + image.height))
                    left += image.width + GAP
                }
                val names = pair.map { it.getString("image") }

                val result = analyzer.analyze(scene)
                assertEquals("$names side by side: faces found ${result.faces.map { it.face }}", 2, result.faces.size)
                for ((k, found) in result.faces.sortedBy { it.crop.x0 }.withIndex()) {
                    val where = "${names[k]} in the scene at ${placed[k]}: ${found.face}, crop ${found.crop}, ${found.label}"
                    val face = checkNotNull(found.face) { "$where: no detection behind the face" }
                    val centreX = face.x + face.width / 2
                    val centreY = face.y + face.height / 2
                    assertTrue("$where: not on that face", centreX >= placed[k].x0 && centreX < placed[k].x1 &&
                        centreY >= placed[k].y0 && centreY < placed[k].y1)

                    val decoded = pair[k].getJSONObject("decoded")
                    val label = found.label
                    if (decoded.getBoolean("undefined")) continue
                    val goldenGender = if (decoded.isNull("gender")) null else decoded.getString("gender")
                    if (!decoded.optBoolean("gender_unsure", false) && goldenGender != null) {
                        assertEquals("$where: gender vs golden.json $decoded", goldenGender, label.genderName)
                    }
                    val goldenGroup = if (decoded.isNull("age_group")) null else decoded.getString("age_group")
                    if (goldenGroup != null && groups != null && groups.contains(goldenGroup) && label.ageClass >= 0) {
                        assertTrue("$where: age group ${label.ageGroup} vs golden.json $goldenGroup (a neighbour at most)",
                            abs(groups.indexOf(goldenGroup) - label.ageClass) <= 1)
                    }
                    if (goldenGroup == label.ageGroup && goldenGender == label.genderName) exactLabels++
                }
            }
            println("golden scenes: ${faces.length()} faces found, labels exactly golden.json's on $exactLabels")
        }
    }

    private companion object {
        const val GAP = 16
        const val GREY = 0xFF808080.toInt()
    }
}

package dev.edge.demo

import android.graphics.BitmapFactory
import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import dev.edge.core.CropBox
import org.json.JSONObject
import org.junit.Assert.assertTrue
import org.junit.Assume.assumeTrue
import org.junit.Test
import org.junit.runner.RunWith
import kotlin.math.abs

/**
 * The golden faces that `edge export` wrote into the assets (golden.json + golden/\*.png),
 * run on the device through the real LiteRT interpreter and the app's own code path
 * (Android's PNG decoder, the core's preprocessing, the tensors' quantization, the core's decoding).
 *
 * Device int8 kernels may round a value differently from the desktop's, so outputs must be
 * within one quantization step of Python's; labels (with the calibrated P(female), "not sure" and
 * the age range) must be identical on every face whose outputs came out identical, and on at
 * least 15 of 16 faces overall.
 */
@RunWith(AndroidJUnit4::class)
class GoldenImageTest {
    @Test
    fun goldenFacesGetTheLabelsPythonComputed() {
        val context = InstrumentationRegistry.getInstrumentation().targetContext
        assumeTrue("no golden.json in the assets: run `edge export RUN --int8 --android-assets app/src/main/assets`",
            context.hasAsset("golden.json"))
        val golden = JSONObject(String(context.assetBytes("golden.json")))
        val faces = golden.getJSONArray("faces")
        var sameLabels = 0
        FaceAnalyzer(context, threads = 1).use { analyzer ->
            for (i in 0 until faces.length()) {
                val face = faces.getJSONObject(i)
                val name = face.getString("image")
                val bitmap = context.assets.open(name).use { BitmapFactory.decodeStream(it) }
                val argb = IntArray(bitmap.width * bitmap.height)
                bitmap.getPixels(argb, 0, bitmap.width, 0, 0, bitmap.width, bitmap.height)
                val result = analyzer.classify(argb, bitmap.width, bitmap.height, null, CropBox(0, 0, bitmap.width, bitmap.height))

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
                fun near(expected: Double, got: Double, tolerance: Double) =
                    (expected.isNaN() && got.isNaN()) || abs(expected - got) <= tolerance
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
        assertTrue("golden.json holds faces", faces.length() > 0)
    }
}

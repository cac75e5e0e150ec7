package dev.edge.core;

import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.Test;

import java.io.File;
import java.util.HashMap;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

/**
 * The phone's pre- and post-processing against the golden vectors that {@code edge export}
 * computed with the Python pipeline and the shipped model (golden.json + golden/*.png).
 */
public class GoldenParityTest {
    private static final double MIN_EQUAL_SHARE = 0.99;

    private static ModelSpec shippedSpec(File export, JSONObject golden) throws Exception {
        File model = TestFiles.shippedModel(export);
        return EmbeddedSpec.read(TestFiles.bytes(model), model.getName());
    }

    @Test
    public void quantizedInputsMatchPythonOnEveryGoldenFace() throws Exception {
        for (File export : TestFiles.exportDirs()) {
            JSONObject golden = TestFiles.json(new File(export, "golden.json"));
            ModelSpec spec = shippedSpec(export, golden);
            Preprocessor preprocessor = new Preprocessor(spec);
            JSONArray faces = golden.getJSONArray("faces");
            assertTrue("golden.json has no faces", faces.length() > 0);
            long total = 0;
            long equal = 0;
            int worst = 0;
            for (int i = 0; i < faces.length(); i++) {
                JSONObject face = faces.getJSONObject(i);
                TestFiles.Argb image = TestFiles.argb(new File(export, face.getString("image")));
                int[] pixels = preprocessor.pixels(image.pixels, image.width, image.height, null);
                float[] input = preprocessor.toFloat(pixels);
                float[] expectedFloat = TestFiles.floats(face.getJSONArray("input_float"));
                assertEquals(face.getString("image") + ": input size", expectedFloat.length, input.length);
                for (int j = 0; j < input.length; j++) {
                    assertEquals(face.getString("image") + " input_float[" + j + "]", expectedFloat[j], input[j], 1e-5);
                }
                if (face.isNull("input_quantized")) {
                    continue;  // float-input model: the float input above is what it takes
                }
                assertNotNull("an int8 model's spec records its input quantization", spec.inputQuantization);
                int[] quantized = spec.inputQuantization.quantize(input, -128, 127);
                int[] expected = TestFiles.ints(face.getJSONArray("input_quantized"));
                for (int j = 0; j < quantized.length; j++) {
                    int difference = Math.abs(quantized[j] - expected[j]);
                    worst = Math.max(worst, difference);
                    equal += difference == 0 ? 1 : 0;
                    total++;
                }
            }
            double share = total == 0 ? 1.0 : equal / (double) total;
            if (total == 0) {
                System.out.printf("golden input parity (%s): float-input model, every input within 1e-5%n", TestFiles.label(export));
            } else {
                System.out.printf("golden input parity (%s): %d/%d quantized values equal (%.4f), max difference %d step(s)%n",
                        TestFiles.label(export), equal, total, share, worst);
            }
            assertTrue("quantized inputs equal on only " + share + " of values", share >= MIN_EQUAL_SHARE);
            assertTrue("a quantized input differs by " + worst + " steps", worst <= 1);
        }
    }

    @Test
    public void decodedLabelsMatchPythonOnEveryGoldenFace() throws Exception {
        for (File export : TestFiles.exportDirs()) {
            JSONObject golden = TestFiles.json(new File(export, "golden.json"));
            ModelSpec spec = shippedSpec(export, golden);
            int[] counts = assertLabelsMatch(golden, spec);
            System.out.printf("golden labels (%s, %s): %d faces decoded like Python, %d Undefined; calibration: "
                            + "temperature %s, %d not sure (below %s), %d age ranges (mass %s)%n",
                    TestFiles.label(export), spec.family, counts[0], counts[1], spec.genderTemperature, counts[2],
                    spec.genderUnsureBelow, counts[3], spec.ageIntervalMass);
        }
    }

    /**
     * Every golden face's outputs dequantized and decoded with {@code spec}, against golden.json's
     * {@code decoded} (Python's {@code Decoded.labels}): group, gender, Undefined, years, calibrated
     * P(female), "not sure" and the age range. Returns {faces, undefined, not sure, age ranges}.
     */
    private static int[] assertLabelsMatch(JSONObject golden, ModelSpec spec) throws Exception {
        OutputDecoder decoder = new OutputDecoder(spec);
        JSONArray faces = golden.getJSONArray("faces");
        int undefined = 0;
        int unsure = 0;
        int ranges = 0;
        for (int i = 0; i < faces.length(); i++) {
            JSONObject face = faces.getJSONObject(i);
            String name = face.getString("image");
            Map<String, float[]> outputs = new HashMap<>();
            for (ModelSpec.Output out : spec.outputs) {
                JSONArray raw = face.getJSONObject("raw_outputs").getJSONArray(out.name);
                float[] values = out.quantization == null
                        ? TestFiles.floats(raw)  // a float model's outputs are already real values
                        : OutputDecoder.dequantize(TestFiles.ints(raw), out.quantization);
                float[] expected = TestFiles.floats(face.getJSONObject("dequantized_outputs").getJSONArray(out.name));
                double step = out.quantization == null ? 1e-5 : out.quantization.step();
                for (int j = 0; j < values.length; j++) {
                    assertEquals(name + " " + out.name + "[" + j + "]", expected[j], values[j], step);
                }
                outputs.put(out.name, values);
            }
            FaceLabel label = decoder.decode(outputs);
            JSONObject expected = face.getJSONObject("decoded");
            assertEquals(name + " age group", expected.isNull("age_group") ? null : expected.getString("age_group"), label.ageGroup);
            assertEquals(name + " gender", expected.isNull("gender") ? null : expected.getString("gender"), label.genderName);
            assertEquals(name + " undefined", expected.getBoolean("undefined"), label.undefined);
            assertEquals(name + " age years", expected.getDouble("age_years"), label.ageYears, YEARS_TOLERANCE);
            assertEquals(name + " P(female), calibrated", expected.getDouble("gender_prob_female"), label.genderProbFemale,
                    P_FEMALE_TOLERANCE);
            // "not sure" and the age range: present exactly when the spec has the key, and equal
            assertEquals(name + ": gender_unsure present", !Double.isNaN(spec.genderUnsureBelow), expected.has("gender_unsure"));
            if (expected.has("gender_unsure")) {
                assertEquals(name + " gender_unsure", expected.getBoolean("gender_unsure"), label.genderUnsure);
                unsure += label.genderUnsure ? 1 : 0;
            }
            assertEquals(name + ": age_range present", expected.has("age_range"), label.hasAgeRange());
            if (expected.has("age_range")) {
                JSONArray range = expected.getJSONArray("age_range");
                assertEquals(name + " age range low", range.getDouble(0), label.ageLow, YEARS_TOLERANCE);
                assertEquals(name + " age range high", range.getDouble(1), label.ageHigh, YEARS_TOLERANCE);
                ranges++;
            }
            undefined += label.undefined ? 1 : 0;
            if (i < 3) {
                System.out.println("  " + name + ": " + label);
            }
        }
        return new int[]{faces.length(), undefined, unsure, ranges};
    }

    /**
     * The parity above is not vacuous: decoded with a wrong temperature (T x 1.25), without its
     * temperature, or with a wrong range mass (q - 0.1), the same golden faces fail it.
     */
    @Test
    public void aWrongCalibrationFailsTheParity() throws Exception {
        int checked = 0;
        for (File export : TestFiles.exportDirs()) {
            JSONObject golden = TestFiles.json(new File(export, "golden.json"));
            File model = TestFiles.shippedModel(export);
            String json = EmbeddedSpec.readJson(TestFiles.bytes(model), model.getName());
            ModelSpec spec = ModelSpec.fromJson(json, model.getName());
            if (!Double.isNaN(spec.genderTemperature)) {
                assertParityFails(golden, withDecoding(json, "gender_temperature", spec.genderTemperature * 1.25),
                        "P(female), calibrated", TestFiles.label(export) + ": temperature x 1.25");
                if (spec.genderTemperature != 1.0) {
                    assertParityFails(golden, withDecoding(json, "gender_temperature", null),
                            "P(female), calibrated", TestFiles.label(export) + ": no temperature");
                }
                checked++;
            }
            if (!Double.isNaN(spec.ageIntervalMass)) {
                assertParityFails(golden, withDecoding(json, "age_interval_mass", Math.max(0.01, spec.ageIntervalMass - 0.1)),
                        "age range", TestFiles.label(export) + ": range mass - 0.1");
                checked++;
            }
        }
        assertTrue("no export in this run has a calibrated spec (edge export writes one)", checked > 0);
    }

    private static void assertParityFails(JSONObject golden, ModelSpec wrong, String field, String what) throws Exception {
        try {
            assertLabelsMatch(golden, wrong);
        } catch (AssertionError expected) {
            assertTrue(what + " failed on another field than " + field + ": " + expected.getMessage(),
                    expected.getMessage().contains(field));
            System.out.println("golden parity catches a wrong calibration (" + what + "): " + expected.getMessage());
            return;
        }
        throw new AssertionError(what + ": the golden parity still passes with the wrong calibration");
    }

    private static final double P_FEMALE_TOLERANCE = 6e-5;  // golden.json rounds P(female) to 4 decimals
    private static final double YEARS_TOLERANCE = 0.006;  // golden.json rounds years to 2 decimals

    /** The spec's JSON with one decoding key set to {@code value} (removed when null). */
    private static ModelSpec withDecoding(String json, String key, Double value) throws Exception {
        JSONObject spec = new JSONObject(json);
        JSONObject decoding = spec.getJSONObject("decoding");
        if (value == null) {
            decoding.remove(key);
        } else {
            decoding.put(key, value.doubleValue());
        }
        return ModelSpec.fromJson(spec.toString(), "perturbed spec");
    }
}

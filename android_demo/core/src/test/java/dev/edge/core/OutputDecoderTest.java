package dev.edge.core;

import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * Decoding rules of edge/decode.py on hand-made outputs, the calibration of edge/calibration.py
 * (expected values computed there), and the words the screen shows.
 */
public class OutputDecoderTest {
    private static final String[] ADIENCE = {"0-2", "4-6", "8-12", "15-20", "25-32", "38-43", "48-53", "60+"};
    private static final double[] CENTERS = {1.0, 5.0, 10.0, 17.5, 28.5, 40.5, 50.5, 65.0};
    /** edge.calibration.calibrate_gender(float32(0.95), 2.0). */
    private static final double CALIBRATED_095_T2 = 0.8133944840902632;

    private static ModelSpec spec(JSONArray outputs, JSONObject decoding) throws Exception {
        JSONObject json = new JSONObject()
                .put("version", 1).put("image_size", 64).put("color", "gray").put("interpolation", "area")
                .put("pixel_scale", 1.0 / 255).put("pixel_offset", 0.0).put("label_scheme", "adience8")
                .put("age_class_names", new JSONArray(ADIENCE)).put("age_class_centers", new JSONArray(CENTERS))
                .put("gender_class_names", new JSONArray(new String[]{"male", "female"}))
                .put("outputs", outputs).put("decoding", decoding);
        return ModelSpec.fromJson(json.toString(), "spec.json");
    }

    private static JSONObject output(String name, String kind, int width) throws Exception {
        return new JSONObject().put("name", name).put("kind", kind).put("width", width);
    }

    private static FaceLabel decode(ModelSpec spec, String name, float... values) throws Exception {
        Map<String, float[]> outputs = new HashMap<>();
        outputs.put(name, values);
        return new OutputDecoder(spec).decode(outputs);
    }

    @Test
    public void softmaxAndSigmoidGiveTheScreenLabel() throws Exception {
        ModelSpec spec = spec(new JSONArray().put(output("age", "age_softmax", 8)).put(output("gender", "gender_sigmoid", 1)),
                new JSONObject());
        Map<String, float[]> outputs = new HashMap<>();
        outputs.put("age", new float[]{0, 0, 0, 0.05f, 0.91f, 0.04f, 0, 0});
        outputs.put("gender", new float[]{0.8f});
        FaceLabel label = new OutputDecoder(spec).decode(outputs);
        assertEquals("Woman · 28", label.text());
        assertEquals("80% sure", label.confidenceText());
        assertEquals(4, label.ageClass);
        assertEquals(0.05 * 17.5 + 0.91 * 28.5 + 0.04 * 40.5, label.ageYears, 1e-5);
        outputs.put("gender", new float[]{0.5f});
        assertEquals("0.5 is female, as edge/decode.py", "female", new OutputDecoder(spec).decode(outputs).genderName);
        outputs.put("gender", new float[]{0.49f});
        assertEquals("male", new OutputDecoder(spec).decode(outputs).genderName);
    }

    @Test
    public void twoHotIsUndefinedWhenEitherBlockIsUnsure() throws Exception {
        JSONObject thresholds = new JSONObject().put("undefined_age_threshold", 0.25).put("undefined_gender_threshold", 0.6);
        ModelSpec spec = spec(new JSONArray().put(output("age_gender", "age_gender_2hot", 10)), thresholds);
        FaceLabel clean = decode(spec, "age_gender", 0, 0, 0, 0.1f, 0.7f, 0.2f, 0, 0, 0.1f, 0.9f);
        assertFalse(clean.undefined);
        assertEquals("Woman · 30", clean.text());
        assertEquals("90% sure", clean.confidenceText());
        assertEquals(0.9, clean.genderProbFemale, 1e-6);
        FaceLabel unsureAge = decode(spec, "age_gender", 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0, 0, 0, 0.1f, 0.9f);
        assertTrue(unsureAge.undefined);
        assertEquals("Not sure: try again", unsureAge.text());
        assertEquals("no confidence on an undecided face", "", unsureAge.confidenceText());
        assertEquals("the argmax is still reported", 0, unsureAge.ageClass);
        assertTrue(decode(spec, "age_gender", 0, 0, 0, 0, 1, 0, 0, 0, 0.45f, 0.55f).undefined);
        // without thresholds in the spec: 2/K (0.25 for 8 groups) and 0.6
        ModelSpec defaults = spec(new JSONArray().put(output("age_gender", "age_gender_2hot", 10)), new JSONObject());
        assertTrue(decode(defaults, "age_gender", 0.2f, 0.2f, 0.2f, 0.24f, 0.16f, 0, 0, 0, 0, 1).undefined);
        assertFalse(decode(defaults, "age_gender", 0.2f, 0.2f, 0.2f, 0.4f, 0, 0, 0, 0, 0, 1).undefined);
    }

    @Test
    public void tupleUsesTheLearnedThresholds() throws Exception {
        JSONObject rules = new JSONObject().put("tuple_age_thresholds", new JSONArray(new double[]{0.5, 1.5, 2.5, 3.4, 4.6, 5.5, 6.5}))
                .put("tuple_gender_threshold", 0.4);
        ModelSpec spec = spec(new JSONArray().put(output("age_gender", "age_gender_tuple", 2)), rules);
        FaceLabel label = decode(spec, "age_gender", 3.5f, 0.41f);
        assertEquals(4, label.ageClass);
        assertEquals(28.5, label.ageYears, 0);
        assertEquals("Woman · 29", label.text());
        assertEquals("the tuple's gender value is not a probability", "", label.confidenceText());
        assertEquals("a value equal to a threshold counts as above it", 4, decode(spec, "age_gender", 3.4f, 0f).ageClass);
        assertEquals(7, decode(spec, "age_gender", 99f, 0f).ageClass);
        assertEquals(0, decode(spec, "age_gender", -3f, 0f).ageClass);
        assertEquals("male", decode(spec, "age_gender", 0f, 0.39f).genderName);
    }

    @Test
    public void int8OutputsAreDequantizedWithTheTensorParameters() throws Exception {
        QuantParams q = new QuantParams(0.00390625f, -128);
        float[] values = OutputDecoder.dequantize(new int[]{-128, 0, 127}, q);
        assertEquals(0f, values[0], 0);
        assertEquals(0.5f, values[1], 0);
        assertEquals(255 * 0.00390625f, values[2], 0);
        int[] back = q.quantize(new float[]{0f, 0.5f, 2f, -1f, 0.001953125f, 0.005859375f}, -128, 127);
        assertEquals(-128, back[0]);
        assertEquals(0, back[1]);
        assertEquals("clamped", 127, back[2]);
        assertEquals("clamped", -128, back[3]);
        assertEquals("half to even", -128, back[4]);  // 0.5 step -> -127.5 -> -128
        assertEquals("half to even", -126, back[5]);  // 1.5 steps -> -126.5 -> -126
    }

    @Test
    public void anUnknownOutputKindIsAClearError() throws Exception {
        ModelSpec spec = spec(new JSONArray().put(output("mood", "emotion_softmax", 7)), new JSONObject());
        try {
            decode(spec, "mood", 1, 0, 0, 0, 0, 0, 0);
            throw new AssertionError("expected a SpecException");
        } catch (SpecException error) {
            assertTrue(error.getMessage(), error.getMessage().contains("emotion_softmax"));
        }
    }

    private static JSONObject calibration(double temperature, double unsureBelow, double mass) throws Exception {
        return new JSONObject().put("gender_temperature", temperature).put("gender_unsure_below", unsureBelow)
                .put("age_interval_mass", mass).put("age_years", "median");
    }

    private static ModelSpec softmaxSigmoid(JSONObject decoding) throws Exception {
        return spec(new JSONArray().put(output("age", "age_softmax", 8)).put(output("gender", "gender_sigmoid", 1)), decoding);
    }

    private static FaceLabel decodeFace(ModelSpec spec, float pFemale) {
        Map<String, float[]> outputs = new HashMap<>();
        outputs.put("age", new float[]{0, 0, 0, 0.05f, 0.61f, 0.24f, 0.1f, 0});
        outputs.put("gender", new float[]{pFemale});
        return new OutputDecoder(spec).decode(outputs);
    }

    /** Expected values from edge.calibration (calibrate_gender, unsure, age_interval) on the same outputs. */
    @Test
    public void calibrationIsEdgeCalibrationsArithmetic() throws Exception {
        ModelSpec spec = softmaxSigmoid(calibration(1.5, 0.75, 0.7));
        assertEquals(1.5, spec.genderTemperature, 0);
        assertEquals(0.75, spec.genderUnsureBelow, 0);
        assertEquals(0.7, spec.ageIntervalMass, 0);
        FaceLabel label = decodeFace(spec, 0.8f);
        assertEquals(0.7158963465833499, label.genderProbFemale, 1e-7);  // sigmoid(logit(0.8) / 1.5)
        assertEquals("female: the temperature changes the confidence, never the answer", 1, label.gender);
        assertTrue("0.716 < 0.75: not sure", label.genderUnsure);
        assertTrue(label.hasAgeRange());
        assertEquals(24.88524587498615, label.ageLow, 1e-5);
        assertEquals(43.208333273573466, label.ageHigh, 1e-5);
        assertEquals(31.48360645, label.ageYears, 1e-5);
        assertEquals("Gender: not sure · 31 (25–43)", label.text());
        assertEquals("nothing to be sure of", "", label.confidenceText());
        // an output of exactly 0 or 1 is floored to half an int8 step before scaling
        assertEquals(0.9845956289874179, decodeFace(spec, 1f).genderProbFemale, 1e-7);
        assertEquals(0.015404371012582114, decodeFace(spec, 0f).genderProbFemale, 1e-7);
        FaceLabel man = decodeFace(spec, 0f);
        assertFalse(man.genderUnsure);
        assertEquals("Man · 31 (25–43)", man.text());
        assertEquals("98% sure", man.confidenceText());
        assertEquals("Man · 31 (25–43) · 98% sure", man.toString());
        assertEquals(0.5333953238269986, decodeFace(spec, 0.55f).genderProbFemale, 1e-7);
        // the threshold is on the calibrated confidence: 0.95 scaled by T = 2 is 0.813, above 0.75
        FaceLabel sure = decodeFace(softmaxSigmoid(calibration(2.0, 0.75, 0.7)), 0.95f);
        assertEquals(CALIBRATED_095_T2, sure.genderProbFemale, 1e-7);
        assertFalse(sure.genderUnsure);
        assertEquals("Woman · 31 (25–43)", sure.text());
        assertEquals("81% sure", sure.confidenceText());
    }

    @Test
    public void temperatureOneLeavesTheProbabilityAsItIs() throws Exception {
        ModelSpec spec = softmaxSigmoid(calibration(1.0, 0.6, 0.7));
        assertEquals("T == 1: no floor either, as edge.calibration.calibrate_gender", 1.0, decodeFace(spec, 1f).genderProbFemale, 0);
        assertEquals(0.0, decodeFace(spec, 0f).genderProbFemale, 0);
        assertEquals(0.8f, decodeFace(spec, 0.8f).genderProbFemale, 0);
        assertTrue(decodeFace(spec, 0.55f).genderUnsure);
        assertFalse(decodeFace(spec, 0.6f).genderUnsure);
        // the integer 1 in JSON is T == 1 too
        ModelSpec integer = softmaxSigmoid(new JSONObject().put("gender_temperature", 1));
        assertEquals(1.0, decodeFace(integer, 1f).genderProbFemale, 0);
    }

    @Test
    public void twoHotAgeRangeFromItsAgeBlock() throws Exception {
        JSONObject decoding = new JSONObject().put("age_interval_mass", 0.7);
        ModelSpec spec = spec(new JSONArray().put(output("age_gender", "age_gender_2hot", 10)), decoding);
        FaceLabel label = decode(spec, "age_gender", 0, 0, 0, 0.1f, 0.7f, 0.2f, 0, 0, 0.1f, 0.9f);
        assertEquals(23.82142854257658, label.ageLow, 1e-5);
        assertEquals(37.25000018440187, label.ageHigh, 1e-5);
        assertEquals("no temperature: P(female) as the model gives it", 0.9, label.genderProbFemale, 1e-6);
        assertFalse("no threshold: never not sure", label.genderUnsure);
        assertEquals("Woman · 30 (24–37)", label.text());
    }

    @Test
    public void aSpecWithoutCalibrationDecodesAsBefore() throws Exception {
        ModelSpec spec = softmaxSigmoid(new JSONObject().put("age_years", "median"));
        assertTrue(Double.isNaN(spec.genderTemperature) && Double.isNaN(spec.genderUnsureBelow) && Double.isNaN(spec.ageIntervalMass));
        FaceLabel label = decodeFace(spec, 0.52f);
        assertEquals(0.52f, label.genderProbFemale, 0);
        assertFalse("no threshold in the spec: never not sure", label.genderUnsure);
        assertFalse(label.hasAgeRange());
        assertTrue(Double.isNaN(label.ageLow) && Double.isNaN(label.ageHigh));
        assertEquals("Woman · 31", label.text());
        assertEquals("52% sure", label.confidenceText());
        // a regression model has no distribution: no range even when the spec asks for one
        ModelSpec regression = spec(new JSONArray().put(output("age", "age_regression", 1)).put(output("gender", "gender_sigmoid", 1)),
                new JSONObject().put("age_interval_mass", 0.8));
        Map<String, float[]> outputs = new HashMap<>();
        outputs.put("age", new float[]{33.4f});
        outputs.put("gender", new float[]{0.1f});
        FaceLabel years = new OutputDecoder(regression).decode(outputs);
        assertFalse(years.hasAgeRange());
        assertEquals("Man · 33", years.text());
        assertEquals("90% sure", years.confidenceText());
    }

    @Test
    public void quantileIsDistributionQuantile() throws Exception {
        double[] bounds = OutputDecoder.groupBounds(CENTERS);
        assertArrayEquals(new double[]{0, 3, 7.5, 13.75, 23, 34.5, 45.5, 57.75, 72.25}, bounds, 1e-12);
        float[] probs = {0, 0, 0, 0.05f, 0.61f, 0.24f, 0.1f, 0};
        assertEquals(31.48360645, OutputDecoder.quantile(probs, probs.length, bounds, 0.5), 1e-6);
        assertEquals(OutputDecoder.medianYears(probs, CENTERS), OutputDecoder.quantile(probs, probs.length, bounds, 0.5), 0);
        assertEquals("level 0: the first group's low edge", 0.0, OutputDecoder.quantile(probs, probs.length, bounds, 0.0), 0);
        float[] zeros = new float[8];
        assertEquals("no mass: the last group's top, as numpy", 72.25, OutputDecoder.quantile(zeros, 8, bounds, 0.5), 0);
    }

    @Test
    public void calibrationValuesOutOfRangeAreClearErrors() throws Exception {
        String[][] cases = {{"gender_temperature", "0"}, {"gender_temperature", "101"}, {"gender_unsure_below", "0.4"},
            {"gender_unsure_below", "1.5"}, {"age_interval_mass", "0"}, {"age_interval_mass", "1.2"}, {"gender_temperature", "\"2\""}};
        for (String[] entry : cases) {
            JSONObject decoding = new JSONObject("{\"" + entry[0] + "\": " + entry[1] + "}");
            try {
                softmaxSigmoid(decoding);
                throw new AssertionError("expected a SpecException for " + entry[0] + " = " + entry[1]);
            } catch (SpecException error) {
                assertTrue(error.getMessage(), error.getMessage().contains("decoding." + entry[0]));
            }
        }
    }
}

package dev.edge.core;

import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/** Decoding rules of edge/decode.py on hand-made outputs, and the label text the screen shows. */
public class OutputDecoderTest {
    private static final String[] ADIENCE = {"0-2", "4-6", "8-12", "15-20", "25-32", "38-43", "48-53", "60+"};
    private static final double[] CENTERS = {1.0, 5.0, 10.0, 17.5, 28.5, 40.5, 50.5, 65.0};

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
        assertEquals("Female 25-32 (0.91)", label.text());
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
        assertEquals("Female 25-32 (0.70)", clean.text());
        assertEquals(0.9, clean.genderProbFemale, 1e-6);
        FaceLabel unsureAge = decode(spec, "age_gender", 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0, 0, 0, 0.1f, 0.9f);
        assertTrue(unsureAge.undefined);
        assertEquals("Undefined", unsureAge.text());
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
        assertEquals("Female 25-32", label.text());
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
}

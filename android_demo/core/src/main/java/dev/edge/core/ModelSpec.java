package dev.edge.core;

import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The preprocessing + label contract that {@code edge export} embeds in every model
 * ({@code edge/spec.py} is the one definition). Only the fields the phone needs are read:
 * image size, colour, interpolation, pixel scale/offset, face-crop margin, class names and
 * centres, output order/kinds/quantization, the decoding thresholds and the calibration
 * ({@code edge/calibration.py}: {@link #genderTemperature}, {@link #genderUnsureBelow},
 * {@link #ageIntervalMass}).
 */
public final class ModelSpec {
    /** The newest spec version this code understands ({@code edge.spec.SPEC_VERSION}). */
    public static final int SUPPORTED_VERSION = 1;

    /** One model output, in the order of the spec (see {@code OutputSpec} in edge/spec.py). */
    public static final class Output {
        public final String name;
        public final String kind;
        public final int width;
        /** Position of this output among the interpreter's outputs. */
        public final int tfliteIndex;
        /** Quantization recorded at export (null for float outputs). */
        public final QuantParams quantization;

        Output(String name, String kind, int width, int tfliteIndex, QuantParams quantization) {
            this.name = name;
            this.kind = kind;
            this.width = width;
            this.tfliteIndex = tfliteIndex;
            this.quantization = quantization;
        }
    }

    public final int version;
    public final int imageSize;
    /** "gray" or "rgb". */
    public final String color;
    public final Resize.Interpolation interpolation;
    public final float pixelScale;
    public final float pixelOffset;
    public final boolean faceCropEnabled;
    public final double faceCropMargin;
    /** Faces whose longer side is smaller than this many pixels are ignored. */
    public final int faceCropMinFacePx;
    public final String labelScheme;
    public final String family;
    public final List<String> ageClassNames;
    public final double[] ageClassCenters;
    public final List<String> genderClassNames;
    public final List<Output> outputs;
    public final Map<String, Object> decoding;
    /**
     * {@code decoding.gender_temperature} T: P(female) = sigmoid(logit(p) / T); NaN when the spec has
     * none (a file exported before calibration: P(female) as the model gives it).
     */
    public final double genderTemperature;
    /** {@code decoding.gender_unsure_below} c: "not sure" when max(p, 1 - p) &lt; c; NaN when absent. */
    public final double genderUnsureBelow;
    /** {@code decoding.age_interval_mass} q: the age range is the central q of the age distribution; NaN when absent. */
    public final double ageIntervalMass;
    /** Input quantization recorded at export (null for float input). */
    public final QuantParams inputQuantization;

    private ModelSpec(JSONObject json, String source) throws JSONException {
        version = json.optInt("version", SUPPORTED_VERSION);
        if (version > SUPPORTED_VERSION) {
            throw new SpecException(source + ": spec version " + version + " is newer than this app understands ("
                    + SUPPORTED_VERSION + "): update the app, or export the model with the edge version that matches it");
        }
        if (version < 1) {
            throw new SpecException(source + ": spec version " + version + " is not a valid edge spec: re-export the model");
        }
        imageSize = json.getInt("image_size");
        color = json.getString("color");
        if (!color.equals("gray") && !color.equals("rgb")) {
            throw new SpecException(source + ": colour '" + color + "' is not supported: expected gray or rgb (re-export the model)");
        }
        interpolation = Resize.Interpolation.fromSpec(json.optString("interpolation", "area"));
        pixelScale = (float) json.getDouble("pixel_scale");
        pixelOffset = (float) json.getDouble("pixel_offset");
        JSONObject crop = json.optJSONObject("face_crop");
        faceCropEnabled = crop != null && crop.optBoolean("enabled", false);
        // edge always writes face_crop; a hand-made spec without it gets the bare detector box
        faceCropMargin = crop == null ? 0.0 : crop.getDouble("margin");
        faceCropMinFacePx = crop == null ? 0 : crop.optInt("min_face_px", 0);
        labelScheme = json.optString("label_scheme", "");
        family = json.optString("family", "");
        ageClassNames = strings(json.optJSONArray("age_class_names"));
        JSONArray centers = json.optJSONArray("age_class_centers");
        ageClassCenters = new double[centers == null ? 0 : centers.length()];
        for (int i = 0; i < ageClassCenters.length; i++) {
            ageClassCenters[i] = centers.getDouble(i);
        }
        genderClassNames = strings(json.optJSONArray("gender_class_names"));
        JSONArray outs = json.getJSONArray("outputs");
        List<Output> parsed = new ArrayList<>();
        for (int i = 0; i < outs.length(); i++) {
            JSONObject out = outs.getJSONObject(i);
            parsed.add(new Output(out.getString("name"), out.getString("kind"), out.getInt("width"),
                    out.isNull("tflite_index") ? i : out.getInt("tflite_index"), quant(out.opt("quantization"))));
        }
        if (parsed.isEmpty()) {
            throw new SpecException(source + ": the spec lists no outputs: re-export the model with `edge export`");
        }
        outputs = Collections.unmodifiableList(parsed);
        Map<String, Object> rules = new LinkedHashMap<>();
        JSONObject decodingJson = json.optJSONObject("decoding");
        if (decodingJson != null) {
            for (java.util.Iterator<String> keys = decodingJson.keys(); keys.hasNext(); ) {
                String key = keys.next();
                rules.put(key, decodingJson.get(key));
            }
        }
        decoding = Collections.unmodifiableMap(rules);
        // edge.calibration's keys, in the ranges edge/spec.py accepts
        genderTemperature = calibrationValue(rules, "gender_temperature", 0.05, 100.0, source);
        genderUnsureBelow = calibrationValue(rules, "gender_unsure_below", 0.5, 1.0, source);
        ageIntervalMass = calibrationValue(rules, "age_interval_mass", 0.01, 1.0, source);
        inputQuantization = quant(json.opt("input_quantization"));
    }

    /** Parse spec JSON; {@code source} names the file in error messages. */
    public static ModelSpec fromJson(String text, String source) {
        try {
            return new ModelSpec(new JSONObject(text), source);
        } catch (JSONException error) {
            throw new SpecException(source + ": not a valid edge spec (" + error.getMessage()
                    + "): re-export the model with `edge export`", error);
        }
    }

    /** Number of channels of the model input (1 for gray, 3 for rgb). */
    public int channels() {
        return color.equals("gray") ? 1 : 3;
    }

    /** The output with this name. */
    public Output output(String name) {
        for (Output out : outputs) {
            if (out.name.equals(name)) {
                return out;
            }
        }
        throw new SpecException("the spec has no output named '" + name + "'");
    }

    /** A decoding threshold as a double, or {@code fallback} when the spec does not set it. */
    public double decodingValue(String key, double fallback) {
        Object value = decoding.get(key);
        return value instanceof Number ? ((Number) value).doubleValue() : fallback;
    }

    /** A list-valued decoding rule (e.g. tuple_age_thresholds), or null. */
    public double[] decodingList(String key) {
        Object value = decoding.get(key);
        if (!(value instanceof JSONArray)) {
            return null;
        }
        JSONArray array = (JSONArray) value;
        double[] out = new double[array.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.optDouble(i);
        }
        return out;
    }

    /** A calibration key's value, NaN when the spec does not set it; out of range is a clear error. */
    private static double calibrationValue(Map<String, Object> rules, String key, double low, double high, String source) {
        if (!rules.containsKey(key)) {
            return Double.NaN;
        }
        Object value = rules.get(key);
        double number = value instanceof Number ? ((Number) value).doubleValue() : Double.NaN;
        if (!(value instanceof Number) || Double.isNaN(number) || Double.isInfinite(number)) {
            throw new SpecException(source + ": spec field decoding." + key + " = " + value
                    + " is not a finite number: re-export the model with `edge export`");
        }
        if (number < low || number > high) {
            throw new SpecException(source + ": spec field decoding." + key + " = " + value + " is outside "
                    + low + ".." + high + ": re-export the model with `edge export`");
        }
        return number;
    }

    private static List<String> strings(JSONArray array) throws JSONException {
        List<String> out = new ArrayList<>();
        if (array != null) {
            for (int i = 0; i < array.length(); i++) {
                out.add(array.getString(i));
            }
        }
        return Collections.unmodifiableList(out);
    }

    private static QuantParams quant(Object value) throws JSONException {
        if (!(value instanceof JSONObject)) {
            return null;
        }
        JSONObject q = (JSONObject) value;
        return new QuantParams((float) q.getDouble("scale"), q.getInt("zero_point"));
    }
}

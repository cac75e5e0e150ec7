package dev.edge.core;

import java.util.Map;

/**
 * Model outputs -> {@link FaceLabel}, the same rules as {@code edge/decode.py}, driven by the
 * spec's output kinds and decoding thresholds:
 * <ul>
 *   <li>{@code age_softmax}: class = argmax; years = expected value over the group centres.</li>
 *   <li>{@code age_regression}: years directly; class = the scheme group holding them.</li>
 *   <li>{@code gender_sigmoid}: P(female); female when >= 0.5.</li>
 *   <li>{@code age_gender_2hot}: K age values then 2 gender values; argmax of each block;
 *       "Undefined" when the age block's top value is below {@code undefined_age_threshold}
 *       (default 2/K) or the gender block's is below {@code undefined_gender_threshold} (0.6).</li>
 *   <li>{@code age_gender_tuple}: [age value, gender value]; class = number of
 *       {@code tuple_age_thresholds} exceeded; female when >= {@code tuple_gender_threshold}.</li>
 * </ul>
 * Then the spec's calibration, as {@code apply_calibration} in edge/decode.py with
 * {@code edge/calibration.py}: P(female) = sigmoid(logit(clip(p, 1/512, 1 - 1/512)) / T) for
 * {@code gender_temperature} T (T = 1 leaves p as it is); the gender is "not sure" when the
 * calibrated max(p, 1 - p) is below {@code gender_unsure_below}; the age range is the central
 * {@code age_interval_mass} of the age distribution (softmax and 2-hot outputs). A spec without
 * these keys decodes exactly as before them.
 */
public final class OutputDecoder {
    private static final double DEFAULT_UNDEFINED_GENDER_THRESHOLD = 0.6;
    /** edge.calibration.PROBABILITY_FLOOR: half an int8 output step; an output of 0 or 1 is not infinitely sure. */
    static final double PROBABILITY_FLOOR = 1.0 / 512;

    private final ModelSpec spec;

    public OutputDecoder(ModelSpec spec) {
        this.spec = spec;
    }

    /** Dequantize one raw output with its tensor's parameters (null: the tensor is float). */
    public static float[] dequantize(int[] raw, QuantParams quantization) {
        if (quantization == null) {
            float[] out = new float[raw.length];
            for (int i = 0; i < raw.length; i++) {
                out[i] = raw[i];
            }
            return out;
        }
        return quantization.dequantize(raw);
    }

    /** Decode one face's float (dequantized) outputs, keyed by the spec's output names. */
    public FaceLabel decode(Map<String, float[]> outputs) {
        double[] centers = spec.ageClassCenters;
        int ageClass = -1;
        double ageYears = Double.NaN;
        int gender = -1;
        double genderProb = Double.NaN;
        double confidence = Double.NaN;
        boolean undefined = false;
        float[] ageProbs = null;  // the age distribution, where the model gives one
        int ageProbsCount = 0;
        for (ModelSpec.Output out : spec.outputs) {
            float[] value = outputs.get(out.name);
            if (value == null) {
                throw new SpecException("no values for output '" + out.name + "' (the spec lists it)");
            }
            switch (out.kind) {
                case "age_softmax": {
                    ageClass = argmax(value, 0, value.length);
                    ageYears = "median".equals(spec.decoding.get("age_years"))
                            ? medianYears(value, centers) : expected(value, 0, value.length, centers);
                    confidence = value[ageClass];
                    ageProbs = value;
                    ageProbsCount = value.length;
                    break;
                }
                case "age_regression": {
                    ageYears = value[0];
                    ageClass = centers.length > 0 ? groupOfYears(Math.max(0.0, ageYears)) : -1;
                    break;
                }
                case "gender_sigmoid": {
                    genderProb = value[0];
                    gender = genderProb >= 0.5 ? 1 : 0;
                    break;
                }
                case "age_gender_2hot": {
                    int k = centers.length;
                    double ageThreshold = spec.decodingValue("undefined_age_threshold", Math.round(2.0 / k * 1e4) / 1e4);
                    double genderThreshold = spec.decodingValue("undefined_gender_threshold", DEFAULT_UNDEFINED_GENDER_THRESHOLD);
                    ageClass = argmax(value, 0, k);
                    gender = argmax(value, k, k + 2) - k;
                    double genderSum = (double) value[k] + value[k + 1];
                    genderProb = value[k + 1] / Math.max(genderSum, 1e-12);
                    ageYears = expected(value, 0, k, centers);
                    confidence = value[ageClass];
                    undefined = value[ageClass] < ageThreshold || value[k + gender] < genderThreshold;
                    ageProbs = value;
                    ageProbsCount = k;
                    break;
                }
                case "age_gender_tuple": {
                    double[] thresholds = spec.decodingList("tuple_age_thresholds");
                    if (thresholds == null) {  // rounding fallback, as edge/decode.py
                        thresholds = new double[Math.max(0, centers.length - 1)];
                        for (int i = 0; i < thresholds.length; i++) {
                            thresholds[i] = i + 0.5;
                        }
                    }
                    double genderThreshold = spec.decodingValue("tuple_gender_threshold", 0.5);
                    ageClass = 0;
                    while (ageClass < thresholds.length && value[0] >= thresholds[ageClass]) {
                        ageClass++;  // numpy searchsorted(side="right"): count of thresholds <= value
                    }
                    ageYears = centers.length > ageClass ? centers[ageClass] : Double.NaN;
                    genderProb = value[1];
                    gender = value[1] >= genderThreshold ? 1 : 0;
                    break;
                }
                default:
                    throw new SpecException("output '" + out.name + "' has kind '" + out.kind
                            + "' that this app does not know: update the app");
            }
        }
        // edge/decode.py apply_calibration
        boolean probability = false;
        for (ModelSpec.Output out : spec.outputs) {
            probability |= out.kind.equals("gender_sigmoid") || out.kind.equals("age_gender_2hot");
        }
        if (!Double.isNaN(spec.genderTemperature) && !Double.isNaN(genderProb)) {
            genderProb = calibrateGender(genderProb, spec.genderTemperature);
        }
        boolean genderUnsure = !Double.isNaN(spec.genderUnsureBelow) && !Double.isNaN(genderProb)
                && unsure(genderProb, spec.genderUnsureBelow);
        double ageLow = Double.NaN;
        double ageHigh = Double.NaN;
        if (!Double.isNaN(spec.ageIntervalMass) && ageProbs != null) {
            double[] bounds = groupBounds(centers);
            double tail = (1.0 - spec.ageIntervalMass) / 2;
            ageLow = quantile(ageProbs, ageProbsCount, bounds, tail);
            ageHigh = quantile(ageProbs, ageProbsCount, bounds, 1.0 - tail);
        }
        String group = ageClass >= 0 && ageClass < spec.ageClassNames.size() ? spec.ageClassNames.get(ageClass) : null;
        String genderName = gender >= 0 && gender < spec.genderClassNames.size() ? spec.genderClassNames.get(gender) : null;
        return new FaceLabel(ageClass, group, ageYears, gender, genderName, genderProb, confidence, undefined,
                probability, genderUnsure, ageLow, ageHigh);
    }

    /** P(female) after temperature scaling: edge.calibration.calibrate_gender (T == 1 changes nothing, not even the floor). */
    static double calibrateGender(double pFemale, double temperature) {
        if (temperature == 1.0) {
            return pFemale;
        }
        double p = Math.min(Math.max(pFemale, PROBABILITY_FLOOR), 1 - PROBABILITY_FLOOR);
        return 1.0 / (1.0 + Math.exp(-Math.log(p / (1 - p)) / temperature));
    }

    /** edge.calibration.unsure: the calibrated confidence max(p, 1 - p) is below the threshold. */
    static boolean unsure(double pFemale, double threshold) {
        return Math.max(pFemale, 1 - pFemale) < threshold;
    }

    /** edge.labels' group_of_years: utk20 = 5-year bins; otherwise the nearest "a-b"/"a+" range, ties older. */
    private int groupOfYears(double years) {
        int groups = spec.ageClassNames.size();
        if (spec.labelScheme.equals("utk20")) {
            return Math.min((int) years / 5, groups - 1);
        }
        int best = 0;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (int i = 0; i < groups; i++) {
            String name = spec.ageClassNames.get(i);
            String[] parts = name.replace("+", "").split("-");
            double low = Double.parseDouble(parts[0]);
            double high = name.endsWith("+") ? Double.POSITIVE_INFINITY : Double.parseDouble(parts[parts.length - 1]);
            double distance = low <= years && years <= high ? 0 : Math.min(Math.abs(years - low), Math.abs(years - high));
            if (distance <= bestDistance) {
                best = i;
                bestDistance = distance;
            }
        }
        return best;
    }

    private static int argmax(float[] values, int from, int to) {
        int best = from;
        for (int i = from + 1; i < to; i++) {
            if (values[i] > values[best]) {
                best = i;  // first maximum wins, as numpy's argmax
            }
        }
        return best;
    }

    /** Edges of the age groups from their centres: edge.decode.group_bounds. */
    static double[] groupBounds(double[] centers) {
        int k = centers.length;
        if (k < 2) {
            return k == 0 ? new double[0] : new double[]{centers[0] - 0.5, centers[0] + 0.5};
        }
        double[] bounds = new double[k + 1];
        for (int i = 1; i < k; i++) {
            bounds[i] = (centers[i - 1] + centers[i]) / 2;
        }
        bounds[0] = Math.max(0.0, 2 * centers[0] - bounds[1]);
        bounds[k] = 2 * centers[k - 1] - bounds[k - 1];
        return bounds;
    }

    /** Median years of a group distribution, each group's mass spread over its bounds: edge.decode.median_years. */
    static double medianYears(float[] probs, double[] centers) {
        return quantile(probs, probs.length, groupBounds(centers), 0.5);
    }

    /**
     * The age below which {@code level} of the distribution's mass lies, each group's mass spread
     * evenly over its bounds: edge.calibration.distribution_quantile, step for step (shares of the
     * sum, their running sum, the group = how many running sums are below the level).
     */
    static double quantile(float[] probs, int count, double[] bounds, double level) {
        double total = 0;
        for (int i = 0; i < count; i++) {
            total += probs[i];
        }
        total = Math.max(total, 1e-12);
        double[] cumulative = new double[count];
        int below = 0;
        for (int i = 0; i < count; i++) {
            cumulative[i] = (i == 0 ? 0 : cumulative[i - 1]) + probs[i] / total;
            below += cumulative[i] < level ? 1 : 0;
        }
        int group = Math.min(below, count - 1);
        double share = probs[group] / total;
        double before = cumulative[group] - share;
        double within = Math.min(1.0, Math.max(0.0, (level - before) / Math.max(share, 1e-12)));
        return bounds[group] + within * (bounds[group + 1] - bounds[group]);
    }

    private static double expected(float[] values, int from, int to, double[] centers) {
        double sum = 0;
        double weighted = 0;
        for (int i = from; i < to; i++) {
            sum += values[i];
            weighted += values[i] * centers[i - from];
        }
        return weighted / Math.max(sum, 1e-12);
    }
}

package dev.edge.core;

import java.util.Locale;

/**
 * The decoded prediction for one face (the fields of {@code Decoded.labels} in edge/decode.py),
 * and the words a person reads on the screen: {@link #text()}, {@link #confidenceText()}.
 */
public final class FaceLabel {
    /** Age class index, -1 when the model has none. */
    public final int ageClass;
    /** Age group name, null when the model has no age classes. */
    public final String ageGroup;
    /** Age in years (expected value or median over the group centres, or the regression output). */
    public final double ageYears;
    /** 0 = male, 1 = female, -1 when the model has no gender output. */
    public final int gender;
    /** Gender name from the spec, null when absent. */
    public final String genderName;
    /** P(female), calibrated when the spec has a {@code gender_temperature} (the tuple model's raw gender value). */
    public final double genderProbFemale;
    /** Probability of the shown age group; NaN when the model gives no distribution. */
    public final double ageConfidence;
    /** fcn2hot: the output is not a clean 2-hot; show "not sure" and ask the user to retry. */
    public final boolean undefined;
    /** Whether {@link #genderProbFemale} is a probability (sigmoid and 2-hot outputs; the tuple's value is not). */
    public final boolean genderIsProbability;
    /** The calibrated confidence is below the spec's {@code gender_unsure_below} (false when the spec has none). */
    public final boolean genderUnsure;
    /** The age range in years, low end (the spec's {@code age_interval_mass}); NaN when the spec or model gives none. */
    public final double ageLow;
    /** The age range in years, high end; NaN when there is none. */
    public final double ageHigh;

    FaceLabel(int ageClass, String ageGroup, double ageYears, int gender, String genderName,
              double genderProbFemale, double ageConfidence, boolean undefined, boolean genderIsProbability,
              boolean genderUnsure, double ageLow, double ageHigh) {
        this.ageClass = ageClass;
        this.ageGroup = ageGroup;
        this.ageYears = ageYears;
        this.gender = gender;
        this.genderName = genderName;
        this.genderProbFemale = genderProbFemale;
        this.ageConfidence = ageConfidence;
        this.undefined = undefined;
        this.genderIsProbability = genderIsProbability;
        this.genderUnsure = genderUnsure;
        this.ageLow = ageLow;
        this.ageHigh = ageHigh;
    }

    /** Whether the label carries an age range ({@link #ageLow}..{@link #ageHigh}). */
    public boolean hasAgeRange() {
        return !Double.isNaN(ageLow) && !Double.isNaN(ageHigh);
    }

    /**
     * How sure the model is of the gender it shows: P(female) for a woman, 1 - P(female) for a man
     * (as {@code edge predict}'s {@code gender.p}); NaN when it has no gender probability.
     */
    public double genderConfidence() {
        if (!genderIsProbability || gender < 0 || Double.isNaN(genderProbFemale)) {
            return Double.NaN;
        }
        return gender == 1 ? genderProbFemale : 1 - genderProbFemale;
    }

    /**
     * The text shown on a face, as a person reads it: {@code Woman · 27 (22–33)} (gender, age in
     * whole years, the age range); {@code Gender: not sure · 27 (22–33)} when the gender is too close
     * to call; the age group when the model gives no years. An output that is not a clean 2-hot
     * reads {@code Not sure: try again}.
     */
    public String text() {
        if (undefined) {
            return "Not sure: try again";
        }
        StringBuilder text = new StringBuilder();
        if (genderUnsure) {
            text.append("Gender: not sure");
        } else if (genderName != null) {
            text.append(person(genderName));
        }
        String age = ageText();
        if (age != null) {
            text.append(text.length() > 0 ? " · " : "").append(age);
        }
        return text.toString();
    }

    /**
     * The gender's confidence in words, e.g. {@code 84% sure}; empty when there is nothing to say
     * (no gender probability, the gender is "not sure", or the output is not a clean 2-hot).
     */
    public String confidenceText() {
        double confidence = genderConfidence();
        if (undefined || genderUnsure || Double.isNaN(confidence)) {
            return "";
        }
        return Math.round(100 * confidence) + "% sure";
    }

    /** The age part of {@link #text()}: {@code 27 (22–33)}, {@code 27}, the group name, or null. */
    private String ageText() {
        if (Double.isNaN(ageYears)) {
            return ageGroup;
        }
        String years = Long.toString(Math.round(ageYears));
        if (!hasAgeRange()) {
            return years;
        }
        return years + " (" + Math.round(ageLow) + "\u2013" + Math.round(ageHigh) + ")";
    }

    /** "male"/"female" as a person is called; any other class name capitalised. */
    private static String person(String genderName) {
        switch (genderName.toLowerCase(Locale.ROOT)) {
            case "male":
                return "Man";
            case "female":
                return "Woman";
            default:
                return genderName.isEmpty() ? genderName
                        : Character.toUpperCase(genderName.charAt(0)) + genderName.substring(1);
        }
    }

    @Override
    public String toString() {
        String confidence = confidenceText();
        return confidence.isEmpty() ? text() : text() + " · " + confidence;
    }
}

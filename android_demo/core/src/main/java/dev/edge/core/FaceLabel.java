package dev.edge.core;

import java.util.Locale;

/** The decoded prediction for one face (the fields of {@code Decoded.labels} in edge/decode.py). */
public final class FaceLabel {
    /** Age class index, -1 when the model has none. */
    public final int ageClass;
    /** Age group name, null when the model has no age classes. */
    public final String ageGroup;
    /** Age in years (expected value over the group centres, or the regression output). */
    public final double ageYears;
    /** 0 = male, 1 = female, -1 when the model has no gender output. */
    public final int gender;
    /** Gender name from the spec, null when absent. */
    public final String genderName;
    /** P(female) (the tuple model's raw gender value). */
    public final double genderProbFemale;
    /** Probability of the shown age group; NaN when the model gives no distribution. */
    public final double ageConfidence;
    /** fcn2hot: the output is not a clean 2-hot; show "Undefined" and ask the user to retry. */
    public final boolean undefined;

    FaceLabel(int ageClass, String ageGroup, double ageYears, int gender, String genderName,
              double genderProbFemale, double ageConfidence, boolean undefined) {
        this.ageClass = ageClass;
        this.ageGroup = ageGroup;
        this.ageYears = ageYears;
        this.gender = gender;
        this.genderName = genderName;
        this.genderProbFemale = genderProbFemale;
        this.ageConfidence = ageConfidence;
        this.undefined = undefined;
    }

    /**
     * The text shown on a face, e.g. {@code Female 25-32 (0.91)}: gender, age group (or years
     * for a regression model), and in brackets the age group's probability when the model
     * gives one. A 2-hot output that is not clean reads {@code Undefined}.
     */
    public String text() {
        if (undefined) {
            return "Undefined";
        }
        StringBuilder text = new StringBuilder();
        if (genderName != null) {
            text.append(capitalize(genderName));
        }
        String age = ageGroup != null ? ageGroup
                : Double.isNaN(ageYears) ? null : String.format(Locale.ROOT, "%.0f y", ageYears);
        if (age != null) {
            text.append(text.length() > 0 ? " " : "").append(age);
        }
        if (!Double.isNaN(ageConfidence)) {
            text.append(String.format(Locale.ROOT, " (%.2f)", ageConfidence));
        }
        return text.toString();
    }

    private static String capitalize(String word) {
        return word.isEmpty() ? word : Character.toUpperCase(word.charAt(0)) + word.substring(1);
    }

    @Override
    public String toString() {
        return text();
    }
}

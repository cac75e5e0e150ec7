package dev.edge.core;

import java.util.List;
import java.util.Locale;

/**
 * The decoded prediction for one face (the fields of {@code Decoded.labels} in edge/decode.py),
 * and the words a person reads on the screen: {@link #text()}, {@link #confidenceText()}.
 * A face found but too small to read is a label too ({@link #tooSmall(BlazeFace.Face, int)}): it has no
 * gender or age and reads {@code Too small to read}, as {@code edge predict}'s {@code too_small} row.
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
    /** The face was found but is below the spec's {@code face_crop.min_face_px}: not classified, no labels. */
    public final boolean tooSmall;
    /** For a too-small face, its box's longer side in pixels; NaN otherwise. */
    public final double faceSizePx;
    /** For a too-small face, the size the model needs (the spec's {@code face_crop.min_face_px}); 0 otherwise. */
    public final int minFacePx;

    /** The words of a face found but too small to read. */
    public static final String TOO_SMALL_TEXT = "Too small to read";

    FaceLabel(int ageClass, String ageGroup, double ageYears, int gender, String genderName,
              double genderProbFemale, double ageConfidence, boolean undefined, boolean genderIsProbability,
              boolean genderUnsure, double ageLow, double ageHigh) {
        this(ageClass, ageGroup, ageYears, gender, genderName, genderProbFemale, ageConfidence, undefined,
                genderIsProbability, genderUnsure, ageLow, ageHigh, false, Double.NaN, 0);
    }

    private FaceLabel(int ageClass, String ageGroup, double ageYears, int gender, String genderName,
              double genderProbFemale, double ageConfidence, boolean undefined, boolean genderIsProbability,
              boolean genderUnsure, double ageLow, double ageHigh, boolean tooSmall, double faceSizePx, int minFacePx) {
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
        this.tooSmall = tooSmall;
        this.faceSizePx = faceSizePx;
        this.minFacePx = minFacePx;
    }

    /**
     * The label of a face the detector found but the classifier must not read: its box's longer side is below
     * {@code minFacePx} (the spec's {@code face_crop.min_face_px}). No gender, no age; {@link #text()} reads
     * {@value #TOO_SMALL_TEXT}. Call it only for a face that is not {@link BlazeFace.Face#readable readable}.
     */
    public static FaceLabel tooSmall(BlazeFace.Face face, int minFacePx) {
        if (face.readable(minFacePx)) {
            throw new IllegalArgumentException(face + " is readable at min_face_px " + minFacePx + ": classify it");
        }
        return new FaceLabel(-1, null, Double.NaN, -1, null, Double.NaN, Double.NaN, false, false, false,
                Double.NaN, Double.NaN, true, face.sizePx(), minFacePx);
    }

    /**
     * Why a too-small face has no labels, in {@code edge predict --json}'s words:
     * {@code face too small to read (24 px; the model needs 30 px)}; null for a face that was read.
     */
    public String reason() {
        if (!tooSmall) {
            return null;
        }
        // Math.rint rounds half to even, as Python's "{:.0f}" does
        return "face too small to read (" + (long) Math.rint(faceSizePx) + " px; the model needs " + minFacePx + " px)";
    }

    /**
     * What the status line says about a frame's faces: {@code 1 face: Woman · 27 (22–33) · 84% sure},
     * {@code 3 faces}, and how many were too small, e.g. {@code 2 faces · 2 faces too small to read: come closer}
     * (a frame with only too-small faces: just that part); empty when there is no face at all.
     */
    public static String summary(List<FaceLabel> labels) {
        int small = 0;
        FaceLabel read = null;
        for (FaceLabel label : labels) {
            if (label.tooSmall) {
                small++;
            } else {
                read = label;
            }
        }
        int readable = labels.size() - small;
        String faces = readable == 0 ? "" : readable == 1 ? "1 face: " + read : readable + " faces";
        String tooSmall = small == 0 ? ""
                : (small == 1 ? "1 face" : small + " faces") + " too small to read: come closer";
        return faces.isEmpty() ? tooSmall : tooSmall.isEmpty() ? faces : faces + " · " + tooSmall;
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
     * reads {@code Not sure: try again}; a face too small to read {@value #TOO_SMALL_TEXT}.
     */
    public String text() {
        if (tooSmall) {
            return TOO_SMALL_TEXT;
        }
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
     * (no gender probability, the gender is "not sure", the output is not a clean 2-hot, or the face is too small).
     */
    public String confidenceText() {
        double confidence = genderConfidence();
        if (tooSmall || undefined || genderUnsure || Double.isNaN(confidence)) {
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

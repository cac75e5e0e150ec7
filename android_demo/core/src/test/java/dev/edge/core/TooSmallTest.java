package dev.edge.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.Collections;

import org.junit.Test;

/**
 * A face found but too small to read (edge/app/predict.py's {@code too_small} row): the decision
 * ({@link BlazeFace.Face#readable}), its label and words ({@link FaceLabel#tooSmall}), and the status line.
 */
public class TooSmallTest {
    private static final int MIN_FACE_PX = 30;  // the shipped spec's face_crop.min_face_px

    private static BlazeFace.Face face(double width, double height) {
        return new BlazeFace.Face(10, 20, width, height, 0.9, new double[0]);
    }

    private static FaceLabel woman() {
        return new FaceLabel(3, "25-32", 27.4, 1, "female", 0.84, 0.6, false, true, false, 22.2, 33.3);
    }

    @Test
    public void aBoxExactlyAtMinFacePxIsReadOnePixelLessIsNot() {
        assertTrue("exactly min_face_px is read (predict: size < min_face_px is too small)",
                face(MIN_FACE_PX, MIN_FACE_PX).readable(MIN_FACE_PX));
        assertFalse("one pixel less is too small", face(MIN_FACE_PX - 1, MIN_FACE_PX - 1).readable(MIN_FACE_PX));
        assertFalse("just below is too small", face(29.999, 29.999).readable(MIN_FACE_PX));
        // the box's LONGER side decides, whichever it is
        assertTrue(face(12, MIN_FACE_PX).readable(MIN_FACE_PX));
        assertTrue(face(MIN_FACE_PX, 12).readable(MIN_FACE_PX));
        assertFalse(face(29, 12).readable(MIN_FACE_PX));
        assertEquals(31.5, face(20, 31.5).sizePx(), 0);
        assertTrue("min_face_px 0 reads every face", face(1, 1).readable(0));
    }

    @Test
    public void aTooSmallFaceHasNoLabelsAndSaysSo() {
        FaceLabel label = FaceLabel.tooSmall(face(24.4, 21), MIN_FACE_PX);
        assertTrue(label.tooSmall);
        assertEquals("Too small to read", label.text());
        assertEquals("", label.confidenceText());
        assertEquals("Too small to read", label.toString());
        assertEquals("edge predict's words", "face too small to read (24 px; the model needs 30 px)", label.reason());
        assertNull(label.genderName);
        assertNull(label.ageGroup);
        assertEquals(-1, label.gender);
        assertEquals(-1, label.ageClass);
        assertTrue(Double.isNaN(label.ageYears));
        assertTrue(Double.isNaN(label.genderConfidence()));
        assertFalse(label.hasAgeRange());
        assertFalse(label.undefined);
        // Python's "{:.0f}" rounds half to even: 28.5 -> 28, 29.5 -> 30
        assertEquals("face too small to read (28 px; the model needs 30 px)",
                FaceLabel.tooSmall(face(28.5, 10), MIN_FACE_PX).reason());
        assertEquals("face too small to read (30 px; the model needs 31 px)",
                FaceLabel.tooSmall(face(29.5, 10), 31).reason());
    }

    @Test
    public void aReadableFaceIsNeverLabelledTooSmall() {
        assertThrows(IllegalArgumentException.class, () -> FaceLabel.tooSmall(face(MIN_FACE_PX, 5), MIN_FACE_PX));
        FaceLabel read = woman();
        assertFalse(read.tooSmall);
        assertNull(read.reason());
        assertEquals("Woman \u00b7 27 (22\u201333)", read.text());
    }

    @Test
    public void theStatusLineCountsTooSmallFaces() {
        FaceLabel small = FaceLabel.tooSmall(face(20, 20), MIN_FACE_PX);
        assertEquals("", FaceLabel.summary(Collections.emptyList()));
        assertEquals("1 face: Woman \u00b7 27 (22\u201333) \u00b7 84% sure", FaceLabel.summary(Arrays.asList(woman())));
        assertEquals("2 faces", FaceLabel.summary(Arrays.asList(woman(), woman())));
        assertEquals("1 face too small to read: come closer", FaceLabel.summary(Arrays.asList(small)));
        assertEquals("2 faces too small to read: come closer", FaceLabel.summary(Arrays.asList(small, small)));
        assertEquals("1 face: Woman \u00b7 27 (22\u201333) \u00b7 84% sure \u00b7 2 faces too small to read: come closer",
                FaceLabel.summary(Arrays.asList(woman(), small, small)));
        assertEquals("2 faces \u00b7 1 face too small to read: come closer",
                FaceLabel.summary(Arrays.asList(woman(), small, woman())));
    }
}

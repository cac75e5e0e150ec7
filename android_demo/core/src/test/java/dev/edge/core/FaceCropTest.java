package dev.edge.core;

import org.junit.Test;

import static org.junit.Assert.assertEquals;

/** The crop rule of docs/FACE_DETECTION.md step 6 on boxes with known answers. */
public class FaceCropTest {
    private static void assertBox(CropBox box, int x0, int y0, int x1, int y1) throws Exception {
        assertEquals("x0 of " + box, x0, box.x0);
        assertEquals("y0 of " + box, y0, box.y0);
        assertEquals("x1 of " + box, x1, box.x1);
        assertEquals("y1 of " + box, y1, box.y1);
    }

    @Test
    public void squareAroundTheCentreWithTheMarginOnEverySide() throws Exception {
        // box 40 x 60 at (100, 50): centre (120, 80); side 60 * 1.4 = 84 -> [78, 162) x [38, 122)
        assertBox(CropBox.faceSquare(120, 80, 40, 60, 0.2, 640, 480), 78, 38, 162, 122);
    }

    @Test
    public void clippedToTheImageNearAnEdge() throws Exception {
        // centre (10, 470), side 100 -> [-40, 60) x [420, 520) clipped to a 640 x 480 image
        assertBox(CropBox.faceSquare(10, 470, 100, 50, 0.0, 640, 480), 0, 420, 60, 480);
    }

    @Test
    public void halvesRoundUp() throws Exception {
        // centre 10.5, side 5 -> x0 = floor(10.5 - 2.5 + 0.5) = 8; side 5.5 rounds to 6
        assertBox(CropBox.faceSquare(10.5, 10.5, 5, 5, 0.0, 100, 100), 8, 8, 13, 13);
        assertBox(CropBox.faceSquare(10, 10, 5.5, 5.5, 0.0, 100, 100), 7, 7, 13, 13);
    }

    @Test
    public void faceCropGoesThroughTheDetectorFace() throws Exception {
        BlazeFace.Face face = new BlazeFace.Face(100, 50, 40, 60, 0.9, new double[0]);
        assertBox(face.crop(0.2, 640, 480), 78, 38, 162, 122);
    }
}

package dev.edge.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.Test;

/** The app's frame, box and tensor arithmetic (Frames): rotation, mirroring, overlay mapping, sampling, filling. */
public class FramesTest {
    // a 3x2 image whose pixels are their own indices: 0 1 2 / 3 4 5
    private static final int[] IMAGE = {0, 1, 2, 3, 4, 5};

    @Test
    public void rotatesClockwiseAsCameraXReports() {
        int[] size = new int[2];
        assertArrayEquals(new int[]{3, 0, 4, 1, 5, 2}, Frames.rotate(IMAGE, 3, 2, 90, size));
        assertArrayEquals(new int[]{2, 3}, size);
        assertArrayEquals(new int[]{5, 4, 3, 2, 1, 0}, Frames.rotate(IMAGE, 3, 2, 180, size));
        assertArrayEquals(new int[]{3, 2}, size);
        assertArrayEquals(new int[]{2, 5, 1, 4, 0, 3}, Frames.rotate(IMAGE, 3, 2, 270, size));
        assertArrayEquals(IMAGE, Frames.rotate(IMAGE, 3, 2, 360, size));
        // four quarter turns are the identity, a 90 then a 270 too
        int[] turned = IMAGE;
        int width = 3;
        int height = 2;
        for (int i = 0; i < 4; i++) {
            turned = Frames.rotate(turned, width, height, 90, size);
            width = size[0];
            height = size[1];
        }
        assertArrayEquals(IMAGE, turned);
    }

    @Test
    public void mirrorsAndAppliesEveryExifOrientation() {
        assertArrayEquals(new int[]{2, 1, 0, 5, 4, 3}, Frames.mirror(IMAGE, 3, 2));
        // orientation 6 (phone held upright, sensor landscape) is a 90-degree turn; 8 the opposite; 3 upside down
        assertArrayEquals(new int[]{90, 0}, Frames.exifTransform(6));
        assertArrayEquals(new int[]{270, 0}, Frames.exifTransform(8));
        assertArrayEquals(new int[]{180, 0}, Frames.exifTransform(3));
        assertArrayEquals(new int[]{0, 0}, Frames.exifTransform(1));
        assertArrayEquals(new int[]{0, 0}, Frames.exifTransform(0));
        for (int orientation = 2; orientation <= 8; orientation += 1) {
            assertTrue(Frames.exifTransform(orientation)[0] % 90 == 0);
        }
        assertEquals(1, Frames.exifTransform(5)[1]);
    }

    @Test
    public void rgbaBytesBecomeArgbUnconverted() {
        byte[] rgba = {(byte) 255, 0, 10, (byte) 255, 1, 2, 3, (byte) 128};
        assertArrayEquals(new int[]{0xffff000a, 0x80010203}, Frames.rgbaToArgb(rgba, 2));
    }

    @Test
    public void deviceOrientationSnapsToDisplayRotation() {
        assertEquals(0, Frames.surfaceRotation(0));
        assertEquals(0, Frames.surfaceRotation(44));
        assertEquals(3, Frames.surfaceRotation(45));   // device turned right: display rotation 270
        assertEquals(2, Frames.surfaceRotation(180));  // upside down: the 180-degree turn the display misses
        assertEquals(1, Frames.surfaceRotation(270));
        assertEquals(0, Frames.surfaceRotation(315));
        assertEquals(0, Frames.surfaceRotation(359));
        assertEquals(-1, Frames.surfaceRotation(-1));  // flat on a table: keep the last rotation
    }

    @Test
    public void cropsLandOnTheViewFilledFittedAndMirrored() {
        CropBox crop = new CropBox(100, 50, 200, 150);
        // 640x480 frame on a 1080x1920 portrait view, filled: scale 4, 1280-wide overflow centred (dx -740)
        float[] fill = Frames.toView(crop, 640, 480, 1080, 1920, true, false);
        assertArrayEquals(new float[]{-340f, 200f, 60f, 600f}, fill, 1e-3f);
        // the front camera's preview is mirrored: the same box, reflected about the view's centre line
        float[] mirrored = Frames.toView(crop, 640, 480, 1080, 1920, true, true);
        assertArrayEquals(new float[]{1080 - 60f, 200f, 1080 + 340f, 600f}, mirrored, 1e-3f);
        // fitted: scale 1080/640, centred vertically
        float[] fit = Frames.toView(crop, 640, 480, 1080, 1920, false, false);
        float scale = 1080f / 640;
        float dy = (1920 - 480 * scale) / 2;
        assertArrayEquals(new float[]{100 * scale, 50 * scale + dy, 200 * scale, 150 * scale + dy}, fit, 1e-3f);
    }

    @Test
    public void photosAreSampledWithinTheBound() {
        assertEquals(1, Frames.sampleSize(2000, 1500, Frames.MAX_PHOTO_PIXELS));
        assertEquals(2, Frames.sampleSize(4000, 3000, Frames.MAX_PHOTO_PIXELS));      // 12 MP
        assertEquals(4, Frames.sampleSize(8160, 6120, Frames.MAX_PHOTO_PIXELS));      // 50 MP
        int[] target = Frames.targetSize(8160, 6120, Frames.MAX_PHOTO_PIXELS);
        assertTrue((long) target[0] * target[1] <= Frames.MAX_PHOTO_PIXELS);
        assertEquals(8160.0 / 6120, target[0] / (double) target[1], 0.01);
        assertArrayEquals(new int[]{640, 480}, Frames.targetSize(640, 480, Frames.MAX_PHOTO_PIXELS));
    }

    @Test
    public void inputTensorIsFilledFromItsStart() {
        QuantParams quantization = new QuantParams(0.5f, -3);
        ByteBuffer buffer = ByteBuffer.allocateDirect(3).order(ByteOrder.nativeOrder());
        buffer.position(2);  // a stale position must not shift the input
        Frames.fillInput(buffer, new float[]{0f, 1f, -70f}, "INT8", quantization);
        assertEquals(0, buffer.position());
        assertArrayEquals(new byte[]{-3, -1, -128}, new byte[]{buffer.get(0), buffer.get(1), buffer.get(2)});
        ByteBuffer floats = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        Frames.fillInput(floats, new float[]{1.5f, -2f}, "FLOAT32", null);
        assertEquals(1.5f, floats.getFloat(0), 0f);
        assertEquals(-2f, floats.getFloat(4), 0f);
    }
}

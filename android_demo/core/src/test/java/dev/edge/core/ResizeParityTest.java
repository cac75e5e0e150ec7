package dev.edge.core;

import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.Test;

import java.io.File;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The core's resize + colour conversion against cv2.resize + cv2.cvtColor on images of many
 * sizes (downscale by integer and fractional factors, upscale, one side up and one down),
 * for every interpolation the spec allows. Cases are written by tests/test_android_core.py.
 */
public class ResizeParityTest {
    @Test
    public void resizeAndColourEqualOpenCvBitForBit() throws Exception {
        File dir = TestFiles.dir("edge.resize.dir");
        JSONArray cases = TestFiles.json(new File(dir, "cases.json")).getJSONArray("cases");
        assertTrue("no resize cases", cases.length() > 0);
        long values = 0;
        for (int i = 0; i < cases.length(); i++) {
            JSONObject c = cases.getJSONObject(i);
            TestFiles.Argb source = TestFiles.argb(new File(dir, c.getString("source")));
            String spec = new JSONObject()
                    .put("image_size", c.getInt("size")).put("color", c.getString("color"))
                    .put("interpolation", c.getString("interpolation"))
                    .put("pixel_scale", 1.0 / 255).put("pixel_offset", 0.0)
                    .put("outputs", new JSONArray().put(new JSONObject().put("name", "age").put("kind", "age_softmax").put("width", 1)))
                    .toString();
            int[] got = new Preprocessor(ModelSpec.fromJson(spec, "case")).pixels(source.pixels, source.width, source.height, null);
            int[] expected = TestFiles.samples(new File(dir, c.getString("expected")));
            String name = c.getString("source") + " " + source.width + "x" + source.height + " -> " + c.getInt("size")
                    + " " + c.getString("interpolation") + " " + c.getString("color");
            assertEquals(name + ": value count", expected.length, got.length);
            for (int j = 0; j < got.length; j++) {
                if (got[j] != expected[j]) {
                    throw new AssertionError(name + ": value " + j + " is " + got[j] + ", OpenCV gives " + expected[j]);
                }
            }
            values += got.length;
        }
        System.out.println("resize parity: " + cases.length() + " cases, " + values + " values equal to OpenCV's");
    }
}

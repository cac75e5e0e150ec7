package dev.edge.core;

import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.Assume;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/**
 * Files the Python side writes for these tests, located by system properties:
 * {@code edge.export.dir} (an {@code edge export --int8} directory with golden.json),
 * {@code edge.resize.dir} (cv2.resize cases) and {@code edge.detector.dir} (recorded BlazeFace runs).
 * tests/test_android_core.py sets them; without them the dependent tests are skipped.
 */
final class TestFiles {
    private TestFiles() {
    }

    /** The directory named by a system property; the test is skipped when it is not set. */
    static File dir(String property) throws Exception {
        String value = System.getProperty(property, "");
        Assume.assumeFalse(property + " is not set (tests/test_android_core.py sets it)", value.isEmpty());
        File dir = new File(value);
        if (!dir.isDirectory()) {
            throw new AssertionError(property + "=" + value + " is not a directory");
        }
        return dir;
    }

    /** Every export directory passed in {@code edge.export.dirs} (path-separator list) or {@code edge.export.dir}. */
    static File[] exportDirs() throws Exception {
        String many = System.getProperty("edge.export.dirs", "");
        if (!many.isEmpty()) {
            String[] parts = many.split(File.pathSeparator);
            File[] dirs = new File[parts.length];
            for (int i = 0; i < parts.length; i++) {
                dirs[i] = new File(parts[i]);
            }
            return dirs;
        }
        return new File[]{dir("edge.export.dir")};
    }

    /** "run/export" for messages: export directories are all called "export". */
    static String label(File export) {
        File parent = export.getAbsoluteFile().getParentFile();
        return (parent == null ? "" : parent.getName() + "/") + export.getName();
    }

    /**
     * The model golden.json was computed with: its export name, or {@code model.tflite} in
     * app assets, where {@code edge export --android-assets} copies it under that name.
     */
    static File shippedModel(File export) throws Exception {
        File named = new File(export, json(new File(export, "golden.json")).getString("model"));
        return named.isFile() ? named : new File(export, "model.tflite");
    }

    static String text(File file) throws Exception {
        return new String(Files.readAllBytes(file.toPath()), StandardCharsets.UTF_8);
    }

    static JSONObject json(File file) throws Exception {
        return new JSONObject(text(file));
    }

    static byte[] bytes(File file) throws Exception {
        return Files.readAllBytes(file.toPath());
    }

    /** An image file as ARGB ints (Android's Bitmap.getPixels layout); grey files become R = G = B. */
    static Argb argb(File file) throws Exception {
        BufferedImage image = ImageIO.read(file);
        if (image == null) {
            throw new java.io.IOException("not a readable image: " + file);
        }
        int w = image.getWidth();
        int h = image.getHeight();
        int[] pixels = new int[w * h];
        if (image.getRaster().getNumBands() == 1) {
            // getRGB would run grey through a linear colour space and change the values
            Raster raster = image.getRaster();
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = raster.getSample(x, y, 0);
                    pixels[y * w + x] = 0xff000000 | v << 16 | v << 8 | v;
                }
            }
        } else {
            image.getRGB(0, 0, w, h, pixels, 0, w);
        }
        return new Argb(pixels, w, h);
    }

    /** The raw samples of an 8-bit image (HWC), without colour conversion. */
    static int[] samples(File file) throws Exception {
        Raster raster = ImageIO.read(file).getRaster();
        int bands = raster.getNumBands();
        int w = raster.getWidth();
        int h = raster.getHeight();
        int[] out = new int[w * h * bands];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < bands; c++) {
                    out[(y * w + x) * bands + c] = raster.getSample(x, y, c);
                }
            }
        }
        return out;
    }

    static int[] ints(JSONArray array) throws Exception {
        int[] out = new int[array.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.getInt(i);
        }
        return out;
    }

    static float[] floats(JSONArray array) throws Exception {
        float[] out = new float[array.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.getDouble(i);
        }
        return out;
    }

    /** An image as ARGB ints with its size. */
    static final class Argb {
        final int[] pixels;
        final int width;
        final int height;

        Argb(int[] pixels, int width, int height) {
            this.pixels = pixels;
            this.width = width;
            this.height = height;
        }
    }
}

package dev.edge.core;

/**
 * Pixels -> model input, per the spec: (face crop) -> resize -> colour -> scale -> quantize.
 *
 * <p>The same steps and the same arithmetic as {@code edge/preprocess.py}: OpenCV's resize
 * ({@link Resize}), OpenCV's fixed-point BT.601 grey ({@code 0.299 R + 0.587 G + 0.114 B}
 * in 15-bit integers), then {@code uint8 * pixel_scale + pixel_offset} in float32.
 * Images come in as ARGB ints, the layout of Android's {@code Bitmap.getPixels}.
 */
public final class Preprocessor {
    // cv2.COLOR_BGR2GRAY on 8-bit images: OpenCV 4 scales the BT.601 weights by 2^15 (sum 32768).
    private static final int R2Y = 9798;
    private static final int G2Y = 19235;
    private static final int B2Y = 3735;
    private static final int GRAY_SHIFT = 15;

    private final ModelSpec spec;

    public Preprocessor(ModelSpec spec) {
        this.spec = spec;
    }

    /**
     * Crop (or the whole image when {@code crop} is null), resize and convert colour:
     * returns {@code size * size * channels} values 0..255 in HWC order (channels last).
     */
    public int[] pixels(int[] argb, int width, int height, CropBox crop) {
        if (argb.length != width * height) {
            throw new IllegalArgumentException("image has " + argb.length + " pixels, expected " + width + "x" + height);
        }
        CropBox box = crop == null ? new CropBox(0, 0, width, height) : crop;
        if (box.isEmpty() || box.x0 < 0 || box.y0 < 0 || box.x1 > width || box.y1 > height) {
            throw new IllegalArgumentException("crop " + box + " is not inside the " + width + "x" + height + " image");
        }
        int w = box.width();
        int h = box.height();
        int[] red = new int[w * h];
        int[] green = new int[w * h];
        int[] blue = new int[w * h];
        for (int y = 0; y < h; y++) {
            int row = (box.y0 + y) * width + box.x0;
            for (int x = 0; x < w; x++) {
                int p = argb[row + x];
                red[y * w + x] = (p >> 16) & 0xff;
                green[y * w + x] = (p >> 8) & 0xff;
                blue[y * w + x] = p & 0xff;
            }
        }
        int size = spec.imageSize;
        int[] r = Resize.plane(red, w, h, size, size, spec.interpolation);
        int[] g = Resize.plane(green, w, h, size, size, spec.interpolation);
        int[] b = Resize.plane(blue, w, h, size, size, spec.interpolation);
        int n = size * size;
        if (spec.channels() == 1) {
            int[] gray = new int[n];
            for (int i = 0; i < n; i++) {
                gray[i] = gray(r[i], g[i], b[i]);
            }
            return gray;
        }
        int[] rgb = new int[n * 3];
        for (int i = 0; i < n; i++) {
            rgb[i * 3] = r[i];
            rgb[i * 3 + 1] = g[i];
            rgb[i * 3 + 2] = b[i];
        }
        return rgb;
    }

    /** OpenCV's 8-bit grey value of one RGB pixel. */
    public static int gray(int r, int g, int b) {
        return (r * R2Y + g * G2Y + b * B2Y + (1 << (GRAY_SHIFT - 1))) >> GRAY_SHIFT;
    }

    /** The float model input: {@code uint8 * pixel_scale + pixel_offset} in float32. */
    public float[] toFloat(int[] pixels) {
        float[] out = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            float scaled = pixels[i] * spec.pixelScale;  // two float32 steps, as numpy does them
            out[i] = scaled + spec.pixelOffset;
        }
        return out;
    }
}

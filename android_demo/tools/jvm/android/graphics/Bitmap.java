// Run-time double of android.graphics.Bitmap (API 36): an ARGB_8888 bitmap over an int[], with getPixels as Android's.
package android.graphics;

/** An immutable ARGB_8888 image. */
public final class Bitmap {
    /** Pixel formats (only ARGB_8888 is used by the inference code). */
    public enum Config { ALPHA_8, RGB_565, ARGB_4444, ARGB_8888, RGBA_F16, HARDWARE, RGBA_1010102 }

    private final int[] argb;
    private final int width;
    private final int height;

    private Bitmap(int[] argb, int width, int height) {
        this.argb = argb;
        this.width = width;
        this.height = height;
    }

    public static Bitmap createBitmap(int[] colors, int width, int height, Config config) {
        if (config != Config.ARGB_8888 || colors.length < width * height) {
            throw new IllegalArgumentException("the Bitmap double holds ARGB_8888 pixels, width * height of them");
        }
        return new Bitmap(colors.clone(), width, height);
    }

    public int getWidth() {
        return width;
    }

    public int getHeight() {
        return height;
    }

    /** Stored values as RGBA bytes, no colour-space conversion (what Android's copyPixelsToBuffer does). */
    public void copyPixelsToBuffer(java.nio.Buffer dst) {
        java.nio.ByteBuffer bytes = (java.nio.ByteBuffer) dst;
        if (bytes.remaining() < width * height * 4) {
            throw new RuntimeException("Buffer not large enough for pixels");
        }
        for (int p : argb) {
            bytes.put((byte) (p >> 16)).put((byte) (p >> 8)).put((byte) p).put((byte) (p >>> 24));
        }
    }

    public void getPixels(int[] pixels, int offset, int stride, int x, int y, int w, int h) {
        if (x < 0 || y < 0 || x + w > width || y + h > height) {
            throw new IllegalArgumentException("x + width must be <= bitmap.width() and y + height <= bitmap.height()");
        }
        for (int row = 0; row < h; row++) {
            System.arraycopy(argb, (y + row) * width + x, pixels, offset + row * stride, w);
        }
    }
}

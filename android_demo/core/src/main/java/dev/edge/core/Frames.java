package dev.edge.core;

import java.nio.ByteBuffer;

/**
 * The arithmetic the app does on frames, boxes and tensors, kept here (plain Java, tested on the JVM) so the Kotlin
 * only wires Android: turning a camera frame upright, mapping crops onto the preview (scaling, centring, front-camera
 * mirroring), display rotation from the device orientation, RGBA bytes to ARGB ints, filling the input tensor, and
 * how far to subsample a gallery photo.
 */
public final class Frames {
    /** Largest photo the app analyses, in pixels (4 MP: 16 MB ARGB, about 64 MB with the detector's letterbox). */
    public static final long MAX_PHOTO_PIXELS = 4L << 20;

    private Frames() {
    }

    /**
     * Rotate ARGB pixels clockwise by {@code degrees} (0, 90, 180, 270: CameraX's {@code rotationDegrees}, or an EXIF
     * orientation's rotation); returns {@code {width, height}} of the result in {@code size}.
     */
    public static int[] rotate(int[] argb, int width, int height, int degrees, int[] size) {
        int turn = ((degrees % 360) + 360) % 360;
        if (turn % 90 != 0) {
            throw new IllegalArgumentException("rotation must be a multiple of 90 degrees, got " + degrees);
        }
        boolean swap = turn == 90 || turn == 270;
        int outWidth = swap ? height : width;
        int outHeight = swap ? width : height;
        int[] out = new int[argb.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int tx;
                int ty;
                switch (turn) {
                    case 90: tx = height - 1 - y; ty = x; break;
                    case 180: tx = width - 1 - x; ty = height - 1 - y; break;
                    case 270: tx = y; ty = width - 1 - x; break;
                    default: tx = x; ty = y; break;
                }
                out[ty * outWidth + tx] = argb[y * width + x];
            }
        }
        size[0] = outWidth;
        size[1] = outHeight;
        return out;
    }

    /** Mirror ARGB pixels left to right (EXIF orientations 2, 4, 5, 7). */
    public static int[] mirror(int[] argb, int width, int height) {
        int[] out = new int[argb.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                out[y * width + (width - 1 - x)] = argb[y * width + x];
            }
        }
        return out;
    }

    /**
     * EXIF orientation tag (1-8) -> {clockwise degrees, mirrored first (1) or not (0)}: the operations that make the
     * stored pixels upright. Unknown values (0, undefined) leave the image as stored.
     */
    public static int[] exifTransform(int orientation) {
        switch (orientation) {
            case 2: return new int[]{0, 1};
            case 3: return new int[]{180, 0};
            case 4: return new int[]{180, 1};
            case 5: return new int[]{270, 1};
            case 6: return new int[]{90, 0};
            case 7: return new int[]{90, 1};
            case 8: return new int[]{270, 0};
            default: return new int[]{0, 0};
        }
    }

    /** Android's RGBA_8888 bytes (Bitmap.copyPixelsToBuffer: stored values, no colour-space conversion) -> ARGB ints. */
    public static int[] rgbaToArgb(byte[] rgba, int pixels) {
        if (rgba.length < pixels * 4) {
            throw new IllegalArgumentException(rgba.length + " bytes hold fewer than " + pixels + " RGBA pixels");
        }
        int[] out = new int[pixels];
        for (int i = 0; i < pixels; i++) {
            int r = rgba[4 * i] & 0xff;
            int g = rgba[4 * i + 1] & 0xff;
            int b = rgba[4 * i + 2] & 0xff;
            int a = rgba[4 * i + 3] & 0xff;
            out[i] = (a << 24) | (r << 16) | (g << 8) | b;
        }
        return out;
    }

    /**
     * Display rotation (Surface.ROTATION_0..3 as 0..3) for a device orientation in degrees
     * (OrientationEventListener), with CameraX's documented bands: [45, 135) -> 3 (270), [135, 225) -> 2 (180),
     * [225, 315) -> 1 (90), else 0. {@code -1} (flat, unknown) returns -1: keep the current rotation.
     */
    public static int surfaceRotation(int orientationDegrees) {
        if (orientationDegrees < 0) {
            return -1;
        }
        int degrees = orientationDegrees % 360;
        if (degrees >= 45 && degrees < 135) {
            return 3;
        }
        if (degrees >= 135 && degrees < 225) {
            return 2;
        }
        if (degrees >= 225 && degrees < 315) {
            return 1;
        }
        return 0;
    }

    /**
     * Where an image-pixel crop lands on a view of {@code viewWidth x viewHeight} showing the image centred, scaled to
     * fill (crop, as PreviewView's FILL_CENTER) or fit (letterbox, as ImageView's fitCenter), mirrored left-right for
     * the front camera's preview: {left, top, right, bottom} in view pixels.
     */
    public static float[] toView(CropBox crop, int imageWidth, int imageHeight, int viewWidth, int viewHeight,
                                 boolean fill, boolean mirror) {
        float scaleX = viewWidth / (float) imageWidth;
        float scaleY = viewHeight / (float) imageHeight;
        float scale = fill ? Math.max(scaleX, scaleY) : Math.min(scaleX, scaleY);
        float dx = (viewWidth - imageWidth * scale) / 2;
        float dy = (viewHeight - imageHeight * scale) / 2;
        float left = crop.x0 * scale + dx;
        float right = crop.x1 * scale + dx;
        if (mirror) {
            float mirroredLeft = viewWidth - right;
            right = viewWidth - left;
            left = mirroredLeft;
        }
        return new float[]{left, crop.y0 * scale + dy, right, crop.y1 * scale + dy};
    }

    /**
     * BitmapFactory's {@code inSampleSize} for a photo of {@code width x height}: the smallest power of two that brings
     * it within {@code maxPixels} (the decoder reads only every n-th row and column, so memory stays bounded).
     */
    public static int sampleSize(int width, int height, long maxPixels) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("not an image: " + width + "x" + height);
        }
        int sample = 1;
        while ((long) (width / sample) * (height / sample) > maxPixels) {
            sample *= 2;
        }
        return sample;
    }

    /** ImageDecoder's target size for a photo: scaled by one factor to fit {@code maxPixels}, never enlarged. */
    public static int[] targetSize(int width, int height, long maxPixels) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("not an image: " + width + "x" + height);
        }
        if ((long) width * height <= maxPixels) {
            return new int[]{width, height};
        }
        double factor = Math.sqrt(maxPixels / ((double) width * height));
        return new int[]{Math.max(1, (int) Math.floor(width * factor)), Math.max(1, (int) Math.floor(height * factor))};
    }

    /**
     * Fill a tensor's input buffer from the preprocessed float input: float32 as native floats, int8/uint8 quantized
     * with the tensor's own parameters. Writes exactly the tensor's bytes from position 0 and rewinds the buffer
     * (LiteRT reads a direct buffer from its start, whatever its position).
     *
     * @param type the tensor's type name: FLOAT32, INT8 or UINT8
     */
    public static void fillInput(ByteBuffer buffer, float[] values, String type, QuantParams quantization) {
        buffer.clear();
        switch (type) {
            case "FLOAT32":
                buffer.asFloatBuffer().put(values);
                break;
            case "INT8":
            case "UINT8":
                if (quantization == null) {
                    throw new SpecException("a " + type + " input tensor without quantization parameters");
                }
                boolean signed = type.equals("INT8");
                for (int value : quantization.quantize(values, signed ? -128 : 0, signed ? 127 : 255)) {
                    buffer.put((byte) value);
                }
                break;
            default:
                throw new SpecException("the model has a " + type + " input: export float32 or int8 models");
        }
        buffer.rewind();
    }
}

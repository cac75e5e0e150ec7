package dev.edge.core;

/**
 * The spec's resize, bit-for-bit like OpenCV's {@code cv2.resize} on 8-bit images (what
 * {@code edge/preprocess.py} uses), so a face prepared on the phone gives the same model input
 * as the same face prepared in Python.
 *
 * <p>Planes are one channel of 0..255 values, row-major. OpenCV resizes every channel of an
 * interleaved image independently, so resizing the planes one by one gives the same values;
 * {@code interleavedChannels} only matters for {@link Interpolation#LINEAR} upscaling, where
 * OpenCV's vectorised and scalar code round differently depending on the position in the
 * interleaved row (Python always resizes a 3-channel BGR image).
 *
 * <p>The algorithms (OpenCV 4, {@code modules/imgproc/src/resize.cpp}):
 * <ul>
 *   <li>{@code area}, both factors >= 1 and integer: box average; 2x2 rounds half up
 *       ({@code (sum + 2) >> 2}), other factors round {@code sum * (1f / n)} half to even.</li>
 *   <li>{@code area}, both factors >= 1, not integer: pixel-area weights in float
 *       (a source pixel contributes the fraction of it that the destination cell covers).</li>
 *   <li>{@code area} when enlarging, and {@code linear}: bilinear in 11-bit fixed point.</li>
 *   <li>{@code nearest}: {@code src[floor(d * srcSize / dstSize)]}.</li>
 * </ul>
 */
public final class Resize {
    /** The spec's {@code interpolation} values. */
    public enum Interpolation {
        AREA, LINEAR, NEAREST;

        /** Parse the spec's value ("area", "linear", "nearest"). */
        public static Interpolation fromSpec(String name) {
            switch (name) {
                case "area": return AREA;
                case "linear": return LINEAR;
                case "nearest": return NEAREST;
                default: throw new SpecException("interpolation '" + name + "' is not supported by this app: "
                        + "use area, linear or nearest (re-export the model with a current edge)");
            }
        }
    }

    private static final double DBL_EPSILON = 2.220446049250313e-16;
    private static final int COEF_BITS = 11;
    private static final int COEF_SCALE = 1 << COEF_BITS;

    private Resize() {
    }

    /** Resize one plane as {@code cv2.resize} does for a 3-channel 8-bit image. */
    public static int[] plane(int[] src, int srcWidth, int srcHeight, int dstWidth, int dstHeight,
                              Interpolation mode) {
        return plane(src, srcWidth, srcHeight, dstWidth, dstHeight, mode, 3);
    }

    /** Resize one plane; {@code interleavedChannels} is the channel count of the image OpenCV would see. */
    public static int[] plane(int[] src, int srcWidth, int srcHeight, int dstWidth, int dstHeight,
                              Interpolation mode, int interleavedChannels) {
        if (srcWidth <= 0 || srcHeight <= 0 || dstWidth <= 0 || dstHeight <= 0) {
            throw new IllegalArgumentException("empty image: " + srcWidth + "x" + srcHeight + " -> " + dstWidth + "x" + dstHeight);
        }
        if (src.length != srcWidth * srcHeight) {
            throw new IllegalArgumentException("plane has " + src.length + " values, expected " + srcWidth * srcHeight);
        }
        if (srcWidth == dstWidth && srcHeight == dstHeight) {
            return src.clone();
        }
        double invScaleX = (double) dstWidth / srcWidth;
        double invScaleY = (double) dstHeight / srcHeight;
        if (mode == Interpolation.NEAREST) {
            return nearest(src, srcWidth, srcHeight, dstWidth, dstHeight, invScaleX, invScaleY);
        }
        double scaleX = 1.0 / invScaleX;
        double scaleY = 1.0 / invScaleY;
        int iscaleX = (int) Math.rint(scaleX);
        int iscaleY = (int) Math.rint(scaleY);
        boolean areaFast = Math.abs(scaleX - iscaleX) < DBL_EPSILON && Math.abs(scaleY - iscaleY) < DBL_EPSILON;
        if (mode == Interpolation.LINEAR && areaFast && iscaleX == 2 && iscaleY == 2) {
            mode = Interpolation.AREA;  // OpenCV: halving with linear equals the 2x2 box average
        }
        if (mode == Interpolation.AREA && scaleX >= 1 && scaleY >= 1) {
            return areaFast
                    ? areaInteger(src, srcWidth, dstWidth, dstHeight, iscaleX, iscaleY)
                    : areaGeneral(src, srcWidth, srcHeight, dstWidth, dstHeight, scaleX, scaleY);
        }
        return bilinear(src, srcWidth, srcHeight, dstWidth, dstHeight, scaleX, scaleY, invScaleX, invScaleY,
                mode == Interpolation.AREA, interleavedChannels);
    }

    private static int saturate(double value) {
        double rounded = Math.rint(value);  // cvRound: half to even
        return rounded < 0 ? 0 : rounded > 255 ? 255 : (int) rounded;
    }

    private static int[] nearest(int[] src, int sw, int sh, int dw, int dh, double invScaleX, double invScaleY) {
        double fx = 1.0 / invScaleX;
        double fy = 1.0 / invScaleY;
        int[] xofs = new int[dw];
        for (int x = 0; x < dw; x++) {
            xofs[x] = Math.min((int) Math.floor(x * fx), sw - 1);
        }
        int[] dst = new int[dw * dh];
        for (int y = 0; y < dh; y++) {
            int sy = Math.min((int) Math.floor(y * fy), sh - 1);
            for (int x = 0; x < dw; x++) {
                dst[y * dw + x] = src[sy * sw + xofs[x]];
            }
        }
        return dst;
    }

    private static int[] areaInteger(int[] src, int sw, int dw, int dh, int sx, int sy) {
        int[] dst = new int[dw * dh];
        int area = sx * sy;
        float scale = 1.f / area;
        for (int y = 0; y < dh; y++) {
            for (int x = 0; x < dw; x++) {
                int sum = 0;
                for (int j = 0; j < sy; j++) {
                    int row = (y * sy + j) * sw + x * sx;
                    for (int i = 0; i < sx; i++) {
                        sum += src[row + i];
                    }
                }
                dst[y * dw + x] = (sx == 2 && sy == 2) ? (sum + 2) >> 2 : saturate(sum * scale);
            }
        }
        return dst;
    }

    /** One entry of OpenCV's area table: source index, destination index, weight. */
    private static final class Weight {
        final int source;
        final int target;
        final float alpha;

        Weight(int source, int target, float alpha) {
            this.source = source;
            this.target = target;
            this.alpha = alpha;
        }
    }

    private static Weight[] areaTable(int srcSize, int dstSize, double scale) {
        java.util.List<Weight> table = new java.util.ArrayList<>();
        for (int d = 0; d < dstSize; d++) {
            double fs1 = d * scale;
            double fs2 = fs1 + scale;
            double cellWidth = Math.min(scale, srcSize - fs1);
            int s1 = (int) Math.ceil(fs1);
            int s2 = (int) Math.floor(fs2);
            s2 = Math.min(s2, srcSize - 1);
            s1 = Math.min(s1, s2);
            if (s1 - fs1 > 1e-3) {
                table.add(new Weight(s1 - 1, d, (float) ((s1 - fs1) / cellWidth)));
            }
            for (int s = s1; s < s2; s++) {
                table.add(new Weight(s, d, (float) (1.0 / cellWidth)));
            }
            if (fs2 - s2 > 1e-3) {
                table.add(new Weight(s2, d, (float) (Math.min(Math.min(fs2 - s2, 1.), cellWidth) / cellWidth)));
            }
        }
        return table.toArray(new Weight[0]);
    }

    private static int[] areaGeneral(int[] src, int sw, int sh, int dw, int dh, double scaleX, double scaleY) {
        Weight[] xtab = areaTable(sw, dw, scaleX);
        Weight[] ytab = areaTable(sh, dh, scaleY);
        int[] dst = new int[dw * dh];
        float[] buf = new float[dw];
        float[] sum = new float[dw];
        int previousRow = ytab[0].target;
        for (Weight yw : ytab) {
            java.util.Arrays.fill(buf, 0f);
            int row = yw.source * sw;
            for (Weight xw : xtab) {
                buf[xw.target] += src[row + xw.source] * xw.alpha;
            }
            if (yw.target != previousRow) {
                for (int x = 0; x < dw; x++) {
                    dst[previousRow * dw + x] = saturate(sum[x]);
                    sum[x] = yw.alpha * buf[x];
                }
                previousRow = yw.target;
            } else {
                for (int x = 0; x < dw; x++) {
                    sum[x] += yw.alpha * buf[x];
                }
            }
        }
        for (int x = 0; x < dw; x++) {
            dst[previousRow * dw + x] = saturate(sum[x]);
        }
        return dst;
    }

    private static short coefficient(float value) {
        return (short) Math.rint(value * COEF_SCALE);
    }

    private static int[] bilinear(int[] src, int sw, int sh, int dw, int dh, double scaleX, double scaleY,
                                  double invScaleX, double invScaleY, boolean areaMode, int cn) {
        int[] xofs = new int[dw];
        short[] alpha = new short[dw * 2];
        int xmax = dw;
        for (int dx = 0; dx < dw; dx++) {
            int sx;
            float fx;
            if (!areaMode) {
                fx = (float) ((dx + 0.5) * scaleX - 0.5);
                sx = (int) Math.floor(fx);
                fx -= sx;
            } else {
                sx = (int) Math.floor(dx * scaleX);
                fx = (float) ((dx + 1) - (sx + 1) * invScaleX);
                fx = fx <= 0 ? 0.f : fx - (float) Math.floor(fx);
            }
            if (sx < 0) {
                fx = 0;
                sx = 0;
            }
            if (sx + 1 >= sw) {
                xmax = Math.min(xmax, dx);
                if (sx >= sw - 1) {
                    fx = 0;
                    sx = sw - 1;
                }
            }
            xofs[dx] = sx;
            alpha[dx * 2] = coefficient(1.f - fx);
            alpha[dx * 2 + 1] = coefficient(fx);
        }
        // Horizontal pass on every source row (integer arithmetic: exact in any implementation).
        int[][] rows = new int[sh][];
        int[] dst = new int[dw * dh];
        int width = dw * cn;
        int vectorEnd = vectorisedEnd(width);
        for (int dy = 0; dy < dh; dy++) {
            int sy;
            float fy;
            if (!areaMode) {
                fy = (float) ((dy + 0.5) * scaleY - 0.5);
                sy = (int) Math.floor(fy);
                fy -= sy;
            } else {
                sy = (int) Math.floor(dy * scaleY);
                fy = (float) ((dy + 1) - (sy + 1) * invScaleY);
                fy = fy <= 0 ? 0.f : fy - (float) Math.floor(fy);
            }
            short b0 = coefficient(1.f - fy);
            short b1 = coefficient(fy);
            int[] r0 = horizontal(rows, src, sw, clamp(sy, sh), xofs, alpha, xmax);
            int[] r1 = horizontal(rows, src, sw, clamp(sy + 1, sh), xofs, alpha, xmax);
            for (int dx = 0; dx < dw; dx++) {
                int s0 = r0[dx];
                int s1 = r1[dx];
                int value;
                // OpenCV's SIMD path (most of the row) drops 4 low bits before a 16-bit multiply;
                // its scalar tail rounds the exact 22-bit product. Both are reproduced.
                if (dx * cn < vectorEnd) {
                    int a = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, s0 >> 4));
                    int b = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, s1 >> 4));
                    value = (((a * b0) >> 16) + ((b * b1) >> 16) + 2) >> 2;
                } else {
                    value = (s0 * b0 + s1 * b1 + (1 << (2 * COEF_BITS - 1))) >> (2 * COEF_BITS);
                }
                dst[dy * dw + dx] = value < 0 ? 0 : Math.min(value, 255);
            }
        }
        return dst;
    }

    /** First interleaved position that OpenCV's 128-bit vertical pass leaves to its scalar loop. */
    private static int vectorisedEnd(int width) {
        int x = 0;
        while (x <= width - 16) {
            x += 16;
        }
        while (x <= width - 8) {
            x += 8;
        }
        return x;
    }

    private static int clamp(int row, int height) {
        return row < 0 ? 0 : Math.min(row, height - 1);
    }

    private static int[] horizontal(int[][] cache, int[] src, int sw, int sy, int[] xofs, short[] alpha, int xmax) {
        if (cache[sy] == null) {
            int dw = xofs.length;
            int[] out = new int[dw];
            int row = sy * sw;
            for (int dx = 0; dx < dw; dx++) {
                int sx = xofs[dx];
                out[dx] = dx < xmax
                        ? src[row + sx] * alpha[dx * 2] + src[row + sx + 1] * alpha[dx * 2 + 1]
                        : src[row + sx] * COEF_SCALE;
            }
            cache[sy] = out;
        }
        return cache[sy];
    }
}

package dev.edge.core;

/**
 * Affine quantization of one tensor: {@code real = scale * (q - zeroPoint)}.
 *
 * <p>On the phone these come from the interpreter's tensors ({@code Tensor.quantizationParams()});
 * the spec records the same values for each exported file.
 */
public final class QuantParams {
    public final float scale;
    public final int zeroPoint;

    public QuantParams(float scale, int zeroPoint) {
        if (!(scale > 0)) {
            throw new IllegalArgumentException("quantization scale must be > 0, got " + scale);
        }
        this.scale = scale;
        this.zeroPoint = zeroPoint;
    }

    /**
     * Quantize float values into [{@code min}, {@code max}] (-128..127 for int8, 0..255 for uint8),
     * rounding half to even in float32 exactly like numpy's {@code np.round(x / scale + zero_point)}.
     */
    public int[] quantize(float[] values, int min, int max) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            float q = (float) Math.rint(values[i] / scale + zeroPoint);
            out[i] = (int) Math.max(min, Math.min(max, q));
        }
        return out;
    }

    /** Dequantize raw tensor values: {@code (q - zeroPoint) * scale} in float32. */
    public float[] dequantize(int[] raw) {
        float[] out = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            out[i] = (float) (raw[i] - zeroPoint) * scale;
        }
        return out;
    }

    /** One quantization step of this tensor (the tolerance of a dequantized value). */
    public float step() {
        return scale;
    }

    @Override
    public String toString() {
        return "scale=" + scale + " zero_point=" + zeroPoint;
    }
}

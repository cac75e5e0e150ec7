// Test double of LiteRT 1.4.1's org.tensorflow.lite.Tensor: the public interface of
// tflite/java/src/main/java/org/tensorflow/lite/Tensor.java at tag v1.4.1 (google-ai-edge/LiteRT), same methods.
package org.tensorflow.lite;

import java.nio.ByteBuffer;

/** A model's input or output tensor: type, shape, size and quantization. */
public interface Tensor {
    /** Quantization of a tensor: {@code real = scale * (q - zeroPoint)}. */
    class QuantizationParams {
        private final float scale;
        private final int zeroPoint;

        public QuantizationParams(final float scale, final int zeroPoint) {
            this.scale = scale;
            this.zeroPoint = zeroPoint;
        }

        public float getScale() {
            return scale;
        }

        public int getZeroPoint() {
            return zeroPoint;
        }
    }

    DataType dataType();

    int numDimensions();

    int numBytes();

    int numElements();

    int[] shape();

    int[] shapeSignature();

    int index();

    String name();

    QuantizationParams quantizationParams();

    ByteBuffer asReadOnlyBuffer();
}

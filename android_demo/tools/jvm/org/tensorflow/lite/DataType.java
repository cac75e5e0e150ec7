// Test double of LiteRT 1.4.1's org.tensorflow.lite.DataType: the public enum of
// tflite/java/src/main/java/org/tensorflow/lite/DataType.java at tag v1.4.1 (google-ai-edge/LiteRT), same constants.
package org.tensorflow.lite;

/** Tensor element types, as LiteRT's Java API names them. */
public enum DataType {
    FLOAT32(4), INT32(4), UINT8(1), INT64(8), STRING(-1), BOOL(-1), INT16(2), INT8(1);

    private final int byteSize;

    DataType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element (-1 where LiteRT has no fixed size). */
    public int byteSize() {
        return byteSize;
    }

    static DataType fromNumpy(String name) {
        switch (name) {
            case "float32": return FLOAT32;
            case "int32": return INT32;
            case "uint8": return UINT8;
            case "int64": return INT64;
            case "bool": return BOOL;
            case "int16": return INT16;
            case "int8": return INT8;
            default: throw new IllegalArgumentException("DataType error: unsupported tensor type " + name);
        }
    }
}

// Test double of LiteRT 1.4.1's org.tensorflow.lite.Interpreter: the public constructors and methods of
// tflite/java/src/main/java/org/tensorflow/lite/Interpreter.java (with InterpreterImpl.java,
// NativeInterpreterWrapper.java and TensorImpl.java for the buffer rules) at tag v1.4.1 (google-ai-edge/LiteRT).
// The model runs in the real LiteRT (PyPI ai-edge-litert) in a worker process: litert_worker.py beside this folder.
package org.tensorflow.lite;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * An interpreter whose {@code run} executes the model in the real LiteRT runtime (worker process started with the
 * python of system property {@code edge.python}), and which enforces LiteRT 1.4.1's Java-side buffer rules: the model
 * buffer must be direct in native order; an input Buffer must hold exactly the tensor's bytes (capacity), a direct
 * native-order one is read from its start whatever its position, any other from its position; an output Buffer needs
 * at least the tensor's bytes of capacity and receives them at its position (which advances).
 */
public final class Interpreter implements InterpreterApi {
    /** The options of {@link Interpreter}. */
    public static class Options extends InterpreterApi.Options {
        public Options() {
        }

        public Options(InterpreterApi.Options options) {
            super(options);
        }

        @Override
        public Options setUseXNNPACK(boolean useXNNPACK) {
            super.setUseXNNPACK(useXNNPACK);
            return this;
        }

        @Override
        public Options setNumThreads(int numThreads) {
            super.setNumThreads(numThreads);
            return this;
        }

        @Override
        public Options setUseNNAPI(boolean useNNAPI) {
            super.setUseNNAPI(useNNAPI);
            return this;
        }

        @Deprecated
        public Options setAllowFp16PrecisionForFp32(boolean allow) {
            return this;
        }

        public Options setAllowBufferHandleOutput(boolean allow) {
            return this;
        }

        @Override
        public Options setCancellable(boolean allow) {
            super.setCancellable(allow);
            return this;
        }
    }

    private final Process worker;
    private final DataOutputStream toWorker;
    private final DataInputStream fromWorker;
    private final List<TensorDouble> inputs = new ArrayList<>();
    private final List<TensorDouble> outputs = new ArrayList<>();
    private final File modelFile;
    private boolean closed;
    private Long lastDuration;

    public Interpreter(File modelFile) {
        this(modelFile, null);
    }

    public Interpreter(File modelFile, Options options) {
        this.modelFile = null;
        try {
            this.worker = start(modelFile, options);
        } catch (IOException error) {
            throw new IllegalArgumentException("Contents of " + modelFile + " could not be read", error);
        }
        this.toWorker = new DataOutputStream(worker.getOutputStream());
        this.fromWorker = new DataInputStream(worker.getInputStream());
        describe();
    }

    public Interpreter(ByteBuffer byteBuffer) {
        this(byteBuffer, null);
    }

    public Interpreter(ByteBuffer byteBuffer, Options options) {
        if (byteBuffer == null || (!(byteBuffer instanceof MappedByteBuffer)
                && (!byteBuffer.isDirect() || byteBuffer.order() != ByteOrder.nativeOrder()))) {
            throw new IllegalArgumentException("Model ByteBuffer should be either a MappedByteBuffer of the model file, "
                    + "or a direct ByteBuffer using ByteOrder.nativeOrder() which contains bytes of model content.");
        }
        // the native side reads the model from the buffer's address, capacity bytes, whatever its position
        byte[] model = new byte[byteBuffer.capacity()];
        byteBuffer.duplicate().clear().get(model);
        try {
            modelFile = File.createTempFile("litert-double", ".tflite");
            modelFile.deleteOnExit();
            Files.write(modelFile.toPath(), model);
            worker = start(modelFile, options);
        } catch (IOException error) {
            throw new IllegalStateException("could not start the LiteRT worker", error);
        }
        this.toWorker = new DataOutputStream(worker.getOutputStream());
        this.fromWorker = new DataInputStream(worker.getInputStream());
        describe();
    }

    private static Process start(File model, InterpreterApi.Options options) throws IOException {
        String python = System.getProperty("edge.python", "python3");
        String script = System.getProperty("edge.litert.worker");
        int threads = options == null ? -1 : options.getNumThreads();
        ProcessBuilder builder = new ProcessBuilder(python, script, model.getPath(), Integer.toString(threads));
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        return builder.start();
    }

    private void describe() {
        try {
            JSONObject description = new JSONObject(readMessage());
            if (description.has("error")) {
                throw new IllegalArgumentException("Internal error: Cannot create interpreter: " + description.getString("error"));
            }
            for (String side : new String[]{"inputs", "outputs"}) {
                JSONArray tensors = description.getJSONArray(side);
                for (int i = 0; i < tensors.length(); i++) {
                    (side.equals("inputs") ? inputs : outputs).add(new TensorDouble(tensors.getJSONObject(i), i));
                }
            }
        } catch (IOException | JSONException error) {
            throw new IllegalStateException("the LiteRT worker did not answer", error);
        }
    }

    private String readMessage() throws IOException {
        byte[] bytes = new byte[fromWorker.readInt()];
        fromWorker.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void run(Object input, Object output) {
        Map<Integer, Object> outputMap = new HashMap<>();
        outputMap.put(0, output);
        runForMultipleInputsOutputs(new Object[]{input}, outputMap);
    }

    @Override
    public void runForMultipleInputsOutputs(Object[] inputValues, Map<Integer, Object> outputValues) {
        checkNotClosed();
        if (inputValues == null || inputValues.length == 0) {
            throw new IllegalArgumentException("Input error: Inputs should not be null or empty.");
        }
        if (outputValues == null) {
            throw new IllegalArgumentException("Input error: Outputs should not be null.");
        }
        if (inputValues.length != inputs.size()) {
            throw new IllegalArgumentException("Input error: Expected " + inputs.size() + " inputs, got " + inputValues.length);
        }
        for (int i = 0; i < inputValues.length; i++) {
            inputs.get(i).setTo(inputValues[i]);
        }
        long start = System.nanoTime();
        try {
            toWorker.writeInt(inputs.size());
            for (TensorDouble tensor : inputs) {
                toWorker.writeInt(tensor.content.length);
                toWorker.write(tensor.content);
            }
            toWorker.flush();
            int count = fromWorker.readInt();
            if (count < 0) {
                throw new IllegalArgumentException("Internal error: Failed to run on the given Interpreter: " + readMessage());
            }
            for (int i = 0; i < count; i++) {
                byte[] bytes = new byte[fromWorker.readInt()];
                fromWorker.readFully(bytes);
                outputs.get(i).content = bytes;
            }
        } catch (IOException error) {
            throw new IllegalStateException("the LiteRT worker failed", error);
        }
        lastDuration = System.nanoTime() - start;
        for (Map.Entry<Integer, Object> entry : outputValues.entrySet()) {
            if (entry.getValue() != null) {
                ((TensorDouble) getOutputTensor(entry.getKey())).copyTo(entry.getValue());
            }
        }
    }

    @Override
    public void allocateTensors() {
        checkNotClosed();
    }

    @Override
    public void resizeInput(int idx, int[] dims) {
        resizeInput(idx, dims, false);
    }

    @Override
    public void resizeInput(int idx, int[] dims, boolean strict) {
        if (!Arrays.equals(dims, getInputTensor(idx).shape())) {
            throw new UnsupportedOperationException("the LiteRT double runs models at their exported input shape");
        }
    }

    @Override
    public int getInputTensorCount() {
        return inputs.size();
    }

    @Override
    public int getInputIndex(String opName) {
        return indexOf(inputs, opName, "input");
    }

    @Override
    public Tensor getInputTensor(int inputIndex) {
        return tensorAt(inputs, inputIndex, "input");
    }

    @Override
    public int getOutputTensorCount() {
        return outputs.size();
    }

    @Override
    public int getOutputIndex(String opName) {
        return indexOf(outputs, opName, "output");
    }

    @Override
    public Tensor getOutputTensor(int outputIndex) {
        return tensorAt(outputs, outputIndex, "output");
    }

    private static int indexOf(List<TensorDouble> tensors, String opName, String side) {
        for (TensorDouble tensor : tensors) {
            if (tensor.name.equals(opName)) {
                return tensor.index;
            }
        }
        throw new IllegalArgumentException("Input error: '" + opName + "' is not a valid name for any " + side + ".");
    }

    private Tensor tensorAt(List<TensorDouble> tensors, int index, String side) {
        checkNotClosed();
        if (index < 0 || index >= tensors.size()) {
            throw new IllegalArgumentException("Invalid " + side + " Tensor index: " + index);
        }
        return tensors.get(index);
    }

    @Override
    public void runSignature(Map<String, Object> inputMap, Map<String, Object> outputMap, String signatureKey) {
        throw new UnsupportedOperationException("the LiteRT double runs by tensor index");
    }

    @Override
    public void runSignature(Map<String, Object> inputMap, Map<String, Object> outputMap) {
        runSignature(inputMap, outputMap, null);
    }

    @Override
    public Tensor getInputTensorFromSignature(String inputName, String signatureKey) {
        throw new UnsupportedOperationException("the LiteRT double runs by tensor index");
    }

    @Override
    public String[] getSignatureKeys() {
        return new String[0];
    }

    @Override
    public String[] getSignatureInputs(String signatureKey) {
        throw new UnsupportedOperationException("the LiteRT double runs by tensor index");
    }

    @Override
    public String[] getSignatureOutputs(String signatureKey) {
        throw new UnsupportedOperationException("the LiteRT double runs by tensor index");
    }

    @Override
    public Tensor getOutputTensorFromSignature(String outputName, String signatureKey) {
        throw new UnsupportedOperationException("the LiteRT double runs by tensor index");
    }

    @Override
    public Long getLastNativeInferenceDurationNanoseconds() {
        return lastDuration;
    }

    public void resetVariableTensors() {
        checkNotClosed();
    }

    public void setCancelled(boolean cancelled) {
        checkNotClosed();
    }

    private void checkNotClosed() {
        if (closed) {
            throw new IllegalStateException("Internal error: The Interpreter has already been closed.");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            toWorker.writeInt(-1);
            toWorker.flush();
            worker.waitFor();
        } catch (IOException | InterruptedException error) {
            worker.destroy();
        }
        if (modelFile != null) {
            modelFile.delete();
        }
    }

    /** One tensor of the double: LiteRT 1.4.1's TensorImpl rules over a byte array that the worker fills. */
    static final class TensorDouble implements Tensor {
        final String name;
        final int index;
        final int[] shape;
        final DataType type;
        final QuantizationParams quantization;
        byte[] content;

        TensorDouble(JSONObject json, int index) throws JSONException {
            this.name = json.getString("name");
            this.index = index;
            JSONArray dims = json.getJSONArray("shape");
            this.shape = new int[dims.length()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = dims.getInt(i);
            }
            this.type = DataType.fromNumpy(json.getString("dtype"));
            this.quantization = new QuantizationParams((float) json.getDouble("scale"), json.getInt("zero_point"));
            this.content = new byte[numElements() * type.byteSize()];
        }

        @Override
        public DataType dataType() {
            return type;
        }

        @Override
        public int numDimensions() {
            return shape.length;
        }

        @Override
        public int numBytes() {
            return numElements() * type.byteSize();
        }

        @Override
        public int numElements() {
            int count = 1;
            for (int dim : shape) {
                count *= dim;
            }
            return count;
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public int[] shapeSignature() {
            return shape.clone();
        }

        @Override
        public int index() {
            return index;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public QuantizationParams quantizationParams() {
            return quantization;
        }

        @Override
        public ByteBuffer asReadOnlyBuffer() {
            return ByteBuffer.wrap(content).asReadOnlyBuffer().order(ByteOrder.nativeOrder());
        }

        private ByteBuffer buffer() {
            return ByteBuffer.wrap(content).order(ByteOrder.nativeOrder());
        }

        /** TensorImpl.setTo: the exact byte capacity; direct native-order from offset 0, otherwise from position. */
        void setTo(Object src) {
            if (!(src instanceof Buffer)) {
                throw new UnsupportedOperationException("the LiteRT double takes Buffers; " + name + " got "
                        + (src == null ? "null" : src.getClass().getName()));
            }
            Buffer buffer = (Buffer) src;
            int srcBytes = src instanceof ByteBuffer ? buffer.capacity() : buffer.capacity() * elementBytes(src);
            if (srcBytes != numBytes()) {
                throw new IllegalArgumentException(String.format("Cannot copy to a TensorFlowLite tensor (%s) with %d "
                        + "bytes from a Java Buffer with %d bytes.", name, numBytes(), srcBytes));
            }
            if (src instanceof ByteBuffer) {
                ByteBuffer bytes = (ByteBuffer) src;
                if (bytes.isDirect() && bytes.order() == ByteOrder.nativeOrder()) {
                    bytes.duplicate().clear().get(content);  // writeDirectBuffer: the native address, not the position
                } else {
                    buffer().put(bytes);
                }
            } else if (src instanceof FloatBuffer) {
                checkType(DataType.FLOAT32, src);
                FloatBuffer floats = (FloatBuffer) src;
                if (floats.isDirect() && floats.order() == ByteOrder.nativeOrder()) {
                    buffer().asFloatBuffer().put((FloatBuffer) floats.duplicate().clear());
                } else {
                    buffer().asFloatBuffer().put(floats);
                }
            } else if (src instanceof IntBuffer) {
                checkType(DataType.INT32, src);
                IntBuffer ints = (IntBuffer) src;
                if (ints.isDirect() && ints.order() == ByteOrder.nativeOrder()) {
                    buffer().asIntBuffer().put((IntBuffer) ints.duplicate().clear());
                } else {
                    buffer().asIntBuffer().put(ints);
                }
            } else {
                throw new UnsupportedOperationException("the LiteRT double takes ByteBuffer, FloatBuffer or IntBuffer");
            }
        }

        /** TensorImpl.copyTo: at least the tensor's bytes of capacity; put() at the buffer's position. */
        void copyTo(Object dst) {
            if (!(dst instanceof Buffer)) {
                throw new UnsupportedOperationException("the LiteRT double fills Buffers; " + name + " got "
                        + dst.getClass().getName());
            }
            Buffer buffer = (Buffer) dst;
            int dstBytes = dst instanceof ByteBuffer ? buffer.capacity() : buffer.capacity() * elementBytes(dst);
            if (numBytes() > dstBytes) {
                throw new IllegalArgumentException(String.format("Cannot copy from a TensorFlowLite tensor (%s) with %d "
                        + "bytes to a Java Buffer with %d bytes.", name, numBytes(), dstBytes));
            }
            if (dst instanceof ByteBuffer) {
                ((ByteBuffer) dst).put(buffer());
            } else if (dst instanceof FloatBuffer) {
                checkType(DataType.FLOAT32, dst);
                ((FloatBuffer) dst).put(buffer().asFloatBuffer());
            } else if (dst instanceof IntBuffer) {
                checkType(DataType.INT32, dst);
                ((IntBuffer) dst).put(buffer().asIntBuffer());
            } else {
                throw new UnsupportedOperationException("the LiteRT double fills ByteBuffer, FloatBuffer or IntBuffer");
            }
        }

        private void checkType(DataType expected, Object buffer) {
            if (type != expected) {
                throw new IllegalArgumentException(String.format("Cannot convert between a TensorFlowLite tensor with "
                        + "type %s and a Java object of type %s (which is compatible with the TensorFlowLite type %s).",
                        type, buffer.getClass().getName(), expected));
            }
        }

        private static int elementBytes(Object buffer) {
            return buffer instanceof FloatBuffer || buffer instanceof IntBuffer ? 4 : 1;
        }
    }
}

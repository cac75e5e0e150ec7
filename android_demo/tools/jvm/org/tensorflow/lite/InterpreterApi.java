// Test double of LiteRT 1.4.1's org.tensorflow.lite.InterpreterApi: the public interface and Options of
// tflite/java/src/main/java/org/tensorflow/lite/InterpreterApi.java at tag v1.4.1 (google-ai-edge/LiteRT)
// (acceleration-config and delegate-factory members left out: the app uses none, and a call to one fails the compile).
package org.tensorflow.lite;

import java.util.Map;

/** The interpreter's public API. */
public interface InterpreterApi extends AutoCloseable {
    /** Interpreter options (threads, XNNPACK, NNAPI, cancellation). */
    class Options {
        int numThreads = -1;
        boolean useNNAPI;
        boolean allowCancellation;
        Boolean useXNNPACK;

        public Options() {
        }

        public Options(Options other) {
            numThreads = other.numThreads;
            useNNAPI = other.useNNAPI;
            allowCancellation = other.allowCancellation;
            useXNNPACK = other.useXNNPACK;
        }

        public Options setNumThreads(int numThreads) {
            this.numThreads = numThreads;
            return this;
        }

        public int getNumThreads() {
            return numThreads;
        }

        public Options setUseNNAPI(boolean useNNAPI) {
            this.useNNAPI = useNNAPI;
            return this;
        }

        public boolean getUseNNAPI() {
            return useNNAPI;
        }

        public Options setCancellable(boolean allow) {
            this.allowCancellation = allow;
            return this;
        }

        public boolean isCancellable() {
            return allowCancellation;
        }

        public Options setUseXNNPACK(boolean useXNNPACK) {
            this.useXNNPACK = useXNNPACK;
            return this;
        }

        public boolean getUseXNNPACK() {
            return useXNNPACK == null || useXNNPACK;
        }
    }

    void run(Object input, Object output);

    void runForMultipleInputsOutputs(Object[] inputs, Map<Integer, Object> outputs);

    void allocateTensors();

    void resizeInput(int idx, int[] dims);

    void resizeInput(int idx, int[] dims, boolean strict);

    int getInputTensorCount();

    int getInputIndex(String opName);

    Tensor getInputTensor(int inputIndex);

    int getOutputTensorCount();

    int getOutputIndex(String opName);

    Tensor getOutputTensor(int outputIndex);

    void runSignature(Map<String, Object> inputs, Map<String, Object> outputs, String signatureKey);

    void runSignature(Map<String, Object> inputs, Map<String, Object> outputs);

    Tensor getInputTensorFromSignature(String inputName, String signatureKey);

    String[] getSignatureKeys();

    String[] getSignatureInputs(String signatureKey);

    String[] getSignatureOutputs(String signatureKey);

    Tensor getOutputTensorFromSignature(String outputName, String signatureKey);

    Long getLastNativeInferenceDurationNanoseconds();

    @Override
    void close();
}

"""Run one .tflite on a batch of prepared input tensors and save the raw outputs (the ARM64 parity check).

``python run_model.py MODEL INPUTS.npz OUTPUTS.npz``: INPUTS holds ``input_0 .. input_N`` (each already the model
input's dtype and shape); OUTPUTS gets ``output_<k>_<n>`` for output tensor k of input n. The same file runs under the
host's Python and under an emulated ARM64 one (qemu-aarch64 with the arm64 sysroot of .ci/deps/android.sh), so both
sides execute the identical LiteRT calls and only the CPU kernels differ.
"""

import platform
import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter


def main() -> None:
    """Run every input once, one thread, and write all raw outputs."""
    model, inputs_path, outputs_path = sys.argv[1:4]
    interpreter = Interpreter(model_path=model, num_threads=1)
    interpreter.allocate_tensors()
    (input_detail,) = interpreter.get_input_details()
    outputs = {}
    with np.load(inputs_path) as inputs:
        for number in range(len(inputs.files)):
            interpreter.set_tensor(input_detail["index"], inputs[f"input_{number}"])
            interpreter.invoke()
            for k, detail in enumerate(interpreter.get_output_details()):
                outputs[f"output_{k}_{number}"] = interpreter.get_tensor(detail["index"]).copy()
    np.savez(outputs_path, **outputs)
    print(f"{platform.machine()}: {len(outputs)} outputs")


if __name__ == "__main__":
    main()

"""Keras -> TFLite conversions and the output-order contract.

Converted multi-output models name their tensors ``StatefulPartitionedCall:N`` and do not
keep the Keras output order; after quantize_model the signature keys become ``quant_<name>``.
``map_outputs`` therefore matches every Keras output to a TFLite output by signature name
(``quant_`` prefix removed) and then VERIFIES the match on real images: among the outputs of
the same width, the chosen one must be the closest to the Keras values. Any mismatch aborts.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from edge.errors import CheckFailed, EdgeError
from edge.runtime import TFLiteModel
from edge.spec import QuantParams, Spec


def convert(model, kind: str, representative: np.ndarray | None = None) -> bytes:
    """Convert a tf_keras model. kind: float32, float16 or int8 (full integer, int8 I/O)."""
    from edge.tf_bootstrap import import_tf

    tf, _ = import_tf()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if kind == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif kind == "int8":
        if representative is None:
            raise ValueError("int8 conversion needs representative images")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
        # Needed even for QAT models with TF 2.21 (the QAT detection misses on this path).
        converter.representative_dataset = lambda: ([representative[i:i + 1]] for i in range(len(representative)))
    elif kind != "float32":
        raise ValueError(kind)
    return converter.convert()


def with_flip_average(model, spec: Spec):
    """A model that classifies each face and its mirror image together and returns the mean.

    The faces and their left-right mirrors go through ``model`` as one batch of 2N, so the file
    holds every weight once (about 1.5 KB more, for six small ops and their tensor names; twice the
    arithmetic), and each output is the mean of a face's two rows: exactly
    ``edge.decode.flip_average`` of the two passes, inside the graph, so the phone, the browser and
    LiteRT in Python all get it with no code. Built
    around the float or the fine-tuned QAT model just before conversion (never trained: Keras
    nests the model, which quantize_model would refuse). Outputs keep the spec's names, which
    ``map_outputs`` matches. The input is one face (batch 1), as on the phone and in the browser.
    """
    from edge.tf_bootstrap import import_tf

    tf, keras = import_tf()

    class MirrorBatch(keras.layers.Layer):
        """(N, H, W, C) -> (2N, H, W, C): the faces, then their left-right mirror images."""

        def call(self, faces):
            return tf.concat([faces, tf.reverse(faces, axis=[2])], axis=0)

    class PairMean(keras.layers.Layer):
        """(2N, K) -> (N, K): the mean of each face's row and its mirror's row."""

        def call(self, rows):
            return tf.reduce_mean(tf.reshape(rows, [2, -1, rows.shape[-1]]), axis=0)

    faces = keras.Input(model.input_shape[1:], batch_size=1, name="image")  # static shapes: LiteRT.js wants them
    outputs = model(MirrorBatch(name="mirror_batch")(faces))
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    averaged = [PairMean(name=out.name)(value) for out, value in zip(spec.outputs, outputs)]
    return keras.Model(faces, averaged, name="flip")  # short: every tensor name in the file starts with it


def map_outputs(model_bytes: bytes, spec: Spec, keras_outputs: dict[str, np.ndarray], check_inputs: np.ndarray,
                float_tolerance: float | None) -> tuple[Spec, dict]:
    """Match Keras outputs to TFLite outputs, verify on ``check_inputs``, record it in the spec.

    Returns the spec with ``tflite_index``/``quantization`` per output and ``input_quantization``
    filled in, and a report of the mapping and its measured differences.
    """
    bare = TFLiteModel(model_bytes, spec=spec)  # spec not embedded yet: pass it in
    positions = {detail["index"]: position for position, detail in enumerate(bare.output_details)}
    # A signature runner keeps references into its interpreter: read names from a separate one.
    from edge.interpreter import make_interpreter

    signature = make_interpreter(model_bytes)[0].get_signature_runner()
    by_name = {key.removeprefix("quant_"): positions[detail["index"]]
               for key, detail in signature.get_output_details().items()}
    raw = [bare.run_raw(x) for x in check_inputs]
    tflite_values = [np.concatenate([bare.dequantize(p, r[p]) for r in raw]) for p in range(len(bare.output_details))]

    outputs, report = [], {}
    for out in spec.outputs:
        if out.name not in by_name:
            raise CheckFailed(f"converted model has no output named {out.name} (signature: {sorted(by_name)})")
        chosen = by_name[out.name]
        expected = keras_outputs[out.name].reshape(len(check_inputs), -1)
        differences = {p: float(np.mean(np.abs(tflite_values[p].reshape(len(check_inputs), -1) - expected)))
                       for p in range(len(tflite_values))
                       if tflite_values[p].reshape(len(check_inputs), -1).shape == expected.shape}
        if chosen not in differences or min(differences, key=differences.get) != chosen:
            raise CheckFailed(f"output order check failed for '{out.name}': signature says tensor #{chosen}, "
                              f"values match #{min(differences, key=differences.get)} ({differences})")
        max_difference = float(np.max(np.abs(tflite_values[chosen].reshape(expected.shape) - expected)))
        if float_tolerance is not None and max_difference > float_tolerance:
            raise CheckFailed(f"float32 TFLite output '{out.name}' differs from Keras by {max_difference:.2e} "
                              f"(> {float_tolerance:.0e})")
        detail = bare.output_details[chosen]
        quantization = None
        if detail["dtype"] in (np.int8, np.uint8):
            quantization = QuantParams(float(detail["quantization"][0]), int(detail["quantization"][1]))
        outputs.append(replace(out, tflite_index=chosen, quantization=quantization))
        report[out.name] = {"tflite_position": chosen, "tensor_name": detail["name"],
                            "mean_abs_diff_vs_keras": differences[chosen], "max_abs_diff_vs_keras": max_difference}
    input_quantization = None
    if bare.is_quantized_input:
        scale, zero_point = bare.input["quantization"]
        input_quantization = QuantParams(float(scale), int(zero_point))
    return spec.with_updates(outputs=tuple(outputs), input_quantization=input_quantization), report


def quantize_for_training(model):
    """Wrap a float model for QAT with tfmot's quantize_model (fast: call it before slow work).

    A layer tfmot cannot wrap fails here with one line naming it and the way out.
    """
    import tensorflow_model_optimization as tfmot

    try:
        return tfmot.quantization.keras.quantize_model(model)
    except (ValueError, RuntimeError, TypeError) as error:
        message = " ".join(str(error).split())
        raise EdgeError(
            f"quantization-aware training cannot wrap this model: {message[:300]} -- rebuild it without that layer "
            "(do pixel scaling in the spec, not in a Rescaling/Lambda layer), annotate the layer with "
            "quantize_annotate_layer and a QuantizeConfig, or export without --int8") from None


def freeze_batch_norm(model) -> None:
    """Run BatchNormalization in inference mode during QAT fine-tuning (keeps the float
    model's statistics instead of re-estimating them from fine-tuning batches)."""
    from edge.tf_bootstrap import import_tf

    _, keras = import_tf()
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def calibrate_qat_ranges(qat_model, float_model, images: np.ndarray) -> int:
    """Set every QAT activation range from the float model's real activations on ``images``.

    tfmot starts activation ranges at [-6, 6] and moves them with an EMA of decay 0.999, so a
    few hundred fine-tuning steps leave them mostly at their initial value: a 20-way head's
    logits get clipped to +-6 and int8 stops agreeing with float. Ranges always include 0.
    Returns the number of ranges set.
    """
    from edge.tf_bootstrap import import_tf

    _, keras = import_tf()
    wrappers = [layer for layer in qat_model.layers if hasattr(layer, "layer")]
    sources = {}
    for wrapper in wrappers:
        original = float_model.get_layer(wrapper.layer.name)
        sources[wrapper.layer.name] = original
    probe_tensors = [float_model.input]
    for original in sources.values():
        probe_tensors += [original.input, original.output]
    probe = keras.Model(float_model.input, probe_tensors)
    values = probe.predict(images, batch_size=128, verbose=0)
    activations = {"input": values[0]}
    for index, name in enumerate(sources):
        activations[name] = (values[1 + 2 * index], values[2 + 2 * index])

    def assign(layer, prefix: str, tensor: np.ndarray) -> int:
        count = 0
        for variable in layer.variables:
            short = variable.name.split("/")[-1].split(":")[0]
            if short == f"{prefix}_min":
                variable.assign(min(0.0, float(tensor.min())))
                count += 1
            elif short == f"{prefix}_max":
                variable.assign(max(0.0, float(tensor.max())))
                count += 1
        return count

    count = 0
    for layer in qat_model.layers:
        if type(layer).__name__ == "QuantizeLayer":
            count += assign(layer, layer.name, activations["input"])
    for wrapper in wrappers:
        layer_input, layer_output = activations[wrapper.layer.name]
        count += assign(wrapper, "output", layer_output)
        count += assign(wrapper, "post_activation", layer_output)
        original = sources[wrapper.layer.name]
        has_pre_activation = any("pre_activation_min" in v.name for v in wrapper.variables)
        if has_pre_activation and hasattr(original, "kernel"):  # logits before a Dense head's activation
            logits = layer_input.reshape(len(layer_input), -1) @ original.kernel.numpy()
            if getattr(original, "bias", None) is not None:
                logits = logits + original.bias.numpy()
            count += assign(wrapper, "pre_activation", logits)
    return count

package dev.edge.demo

import android.content.Context
import dev.edge.core.QuantParams
import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.Tensor
import java.nio.ByteBuffer
import java.nio.ByteOrder

/** Reads an asset into memory (models, spec and detector files are all small). */
fun Context.assetBytes(name: String): ByteArray = assets.open(name).use { it.readBytes() }

/** Whether the app's assets hold [name]. */
fun Context.hasAsset(name: String): Boolean = runCatching { assets.open(name).close() }.isSuccess

/**
 * One LiteRT interpreter (CPU, XNNPACK, [threads] threads) over a model held in a direct buffer.
 * The appended spec ZIP of an edge model is ignored by the interpreter.
 */
class LiteRtModel(modelBytes: ByteArray, threads: Int) : AutoCloseable {
    private val buffer: ByteBuffer = ByteBuffer.allocateDirect(modelBytes.size).order(ByteOrder.nativeOrder())
        .apply { put(modelBytes); rewind() }
    val interpreter = Interpreter(buffer, Interpreter.Options().setNumThreads(threads).setUseXNNPACK(true))

    val input: Tensor get() = interpreter.getInputTensor(0)

    fun output(index: Int): Tensor = interpreter.getOutputTensor(index)

    override fun close() = interpreter.close()
}

/** The tensor's own quantization, or null for a float tensor. */
fun Tensor.quantization(): QuantParams? = when (dataType()) {
    DataType.INT8, DataType.UINT8 -> QuantParams(quantizationParams().scale, quantizationParams().zeroPoint)
    else -> null
}

/** A direct buffer for this tensor's bytes. */
fun Tensor.newBuffer(): ByteBuffer = ByteBuffer.allocateDirect(numBytes()).order(ByteOrder.nativeOrder())

/** Raw values of an output buffer: int8/uint8 as ints, float as their float bits read back as values. */
fun Tensor.readInts(buffer: ByteBuffer): IntArray {
    buffer.rewind()
    return when (dataType()) {
        DataType.INT8 -> IntArray(numElements()) { buffer.get().toInt() }
        DataType.UINT8 -> IntArray(numElements()) { buffer.get().toInt() and 0xff }
        else -> error("readInts is for quantized tensors; ${name()} is ${dataType()}")
    }
}

/** Dequantized (or float) values of an output buffer, using the tensor's own quantization. */
fun Tensor.readFloats(buffer: ByteBuffer): FloatArray {
    if (dataType() == DataType.FLOAT32) {
        buffer.rewind()
        return FloatArray(numElements()) { buffer.float }
    }
    return quantization()!!.dequantize(readInts(buffer))
}

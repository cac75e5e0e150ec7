package dev.edge.demo

import android.content.Context
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.graphics.RectF
import dev.edge.core.Frames
import android.util.AttributeSet
import android.view.View
import java.util.Locale

/**
 * Draws each face's crop square and its label over the camera preview or the photo, mapping image
 * pixels to view pixels: the words come from the core's FaceLabel (`Woman · 27 (22–33)`, or
 * `Gender: not sure · 27 (22–33)`), a second line says how sure it is (`84% sure`) and the per-face latency;
 * a face too small to read gets its box (in another colour) and `Too small to read`.
 */
class FaceOverlayView(context: Context, attrs: AttributeSet?) : View(context, attrs) {
    /** How the image under the overlay is scaled: PreviewView fills (crops), the photo fits. */
    enum class Scaling { FILL, FIT }

    private var result: FrameResult? = null
    private var scaling = Scaling.FILL
    private var mirrored = false

    private val boxPaint = Paint().apply {
        style = Paint.Style.STROKE
        strokeWidth = 6f
        color = Color.rgb(0, 200, 255)
    }
    private val tooSmallPaint = Paint(boxPaint).apply { color = Color.rgb(255, 170, 0) }
    private val textPaint = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        color = Color.WHITE
        textSize = 40f
    }
    private val detailPaint = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        color = Color.rgb(220, 220, 220)
        textSize = 32f
    }
    private val textBackground = Paint().apply { color = Color.argb(170, 0, 0, 0) }

    /** Show the faces of [frame]; [mirror] for the front camera, whose preview is mirrored. */
    fun show(frame: FrameResult?, scaling: Scaling, mirror: Boolean) {
        this.result = frame
        this.scaling = scaling
        this.mirrored = mirror
        invalidate()
    }

    override fun onDraw(canvas: Canvas) {
        super.onDraw(canvas)
        val frame = result ?: return
        for (face in frame.faces) {
            // the front camera's preview is mirrored; the analysed frame is not (Frames.toView, tested in the core)
            val (left, top, right, bottom) = Frames.toView(face.crop, frame.width, frame.height, width, height,
                scaling == Scaling.FILL, mirrored)
            val box = RectF(left, top, right, bottom)
            canvas.drawRect(box, if (face.label.tooSmall) tooSmallPaint else boxPaint)
            val title = face.label.text()
            val latency = if (face.label.tooSmall) "" else String.format(Locale.ROOT, "%.1f ms", face.latencyMs)
            val detail = listOf(face.label.confidenceText(), latency)
                .filter { it.isNotEmpty() }.joinToString(" · ")
            val lineHeight = textPaint.textSize + 8f
            // two lines above the box (below the top edge of the view when the box touches it)
            val baseline = (box.top - 12f - lineHeight).coerceAtLeast(textPaint.textSize)
            val textWidth = maxOf(textPaint.measureText(title), detailPaint.measureText(detail))
            canvas.drawRect(box.left, baseline - textPaint.textSize, box.left + textWidth + 16f,
                baseline + lineHeight + 10f, textBackground)
            canvas.drawText(title, box.left + 8f, baseline, textPaint)
            canvas.drawText(detail, box.left + 8f, baseline + lineHeight, detailPaint)
        }
    }
}

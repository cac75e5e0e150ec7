package dev.edge.core;

/** A pixel rectangle of an image, {@code [x0, x1) x [y0, y1)}. */
public final class CropBox {
    public final int x0;
    public final int y0;
    public final int x1;
    public final int y1;

    public CropBox(int x0, int y0, int x1, int y1) {
        this.x0 = x0;
        this.y0 = y0;
        this.x1 = x1;
        this.y1 = y1;
    }

    public int width() {
        return x1 - x0;
    }

    public int height() {
        return y1 - y0;
    }

    public boolean isEmpty() {
        return x1 <= x0 || y1 <= y0;
    }

    /**
     * The spec's face crop rule (docs/FACE_DETECTION.md, step 6): the square of side
     * {@code max(w, h) * (1 + 2 * margin)} centred on the box centre, rounded half up, then
     * clipped to the image.
     */
    public static CropBox faceSquare(double centerX, double centerY, double boxWidth, double boxHeight,
                                     double margin, int imageWidth, int imageHeight) {
        double side = Math.max(boxWidth, boxHeight) * (1 + 2 * margin);
        int x0 = (int) Math.floor(centerX - side / 2 + 0.5);
        int y0 = (int) Math.floor(centerY - side / 2 + 0.5);
        int length = (int) Math.floor(side + 0.5);
        return new CropBox(Math.max(0, x0), Math.max(0, y0),
                Math.min(imageWidth, x0 + length), Math.min(imageHeight, y0 + length));
    }

    @Override
    public String toString() {
        return "[" + x0 + ", " + y0 + ", " + x1 + ", " + y1 + ")";
    }
}

package dev.edge.core;

import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * BlazeFace pre- and post-processing, docs/FACE_DETECTION.md steps 1-5 ({@code edge/detect.py}
 * is the reference). The network itself runs in the app's interpreter; this class turns an
 * image into its input tensor and its two raw outputs into faces in image pixels.
 */
public final class BlazeFace {
    /** Everything needed to run and decode the detector: {@code face_detector.json}. */
    public static final class Config {
        public final String name;
        public final int inputSize;
        public final float inputScale;
        public final float inputOffset;
        public final int[] strides;
        public final int anchorsPerLayer;
        public final double anchorOffset;
        public final double boxScale;
        public final int numKeypoints;
        public final double scoreClip;
        public final double minScore;
        public final double nmsIou;

        private Config(JSONObject json) throws JSONException {
            name = json.optString("name", "blazeface");
            inputSize = json.getInt("input_size");
            inputScale = (float) json.getDouble("input_scale");
            inputOffset = (float) json.getDouble("input_offset");
            JSONObject anchors = json.getJSONObject("anchors");
            JSONArray strideList = anchors.getJSONArray("strides");
            strides = new int[strideList.length()];
            for (int i = 0; i < strides.length; i++) {
                strides[i] = strideList.getInt(i);
            }
            anchorsPerLayer = anchors.getInt("anchors_per_layer");
            anchorOffset = anchors.optDouble("offset", 0.5);
            boxScale = json.getDouble("box_scale");
            numKeypoints = json.getInt("num_keypoints");
            scoreClip = json.getDouble("score_clip");
            minScore = json.getDouble("min_score");
            nmsIou = json.getDouble("nms_iou");
        }

        /** Parse {@code face_detector.json}; {@code source} names the file in errors. */
        public static Config fromJson(String text, String source) {
            try {
                return new Config(new JSONObject(text));
            } catch (JSONException error) {
                throw new SpecException(source + " is not a valid face detector description (" + error.getMessage()
                        + "): write it again with `edge export --android-assets`", error);
            }
        }

        /** Width of one row of the boxes output: 4 box values + 2 per keypoint. */
        public int boxWidth() {
            return 4 + 2 * numKeypoints;
        }
    }

    /** One detected face in image pixels: top-left corner, size, score and keypoints (x, y pairs). */
    public static final class Face {
        public final double x;
        public final double y;
        public final double width;
        public final double height;
        public final double score;
        public final double[] keypoints;

        public Face(double x, double y, double width, double height, double score, double[] keypoints) {
            this.x = x;
            this.y = y;
            this.width = width;
            this.height = height;
            this.score = score;
            this.keypoints = keypoints;
        }

        public double area() {
            return width * height;
        }

        /** The box's longer side in image pixels: what the spec's {@code face_crop.min_face_px} is compared with. */
        public double sizePx() {
            return Math.max(width, height);
        }

        /**
         * Whether the classifier may read this face: its box's longer side is at least {@code minFacePx}
         * (the spec's {@code face_crop.min_face_px}; a box exactly that size is read). A face below it is found
         * but not classified, and said: {@link FaceLabel#tooSmall} (edge/app/predict.py's {@code too_small} row).
         */
        public boolean readable(int minFacePx) {
            return sizePx() >= minFacePx;
        }

        /** The spec's crop for this face (doc step 6). */
        public CropBox crop(double margin, int imageWidth, int imageHeight) {
            return CropBox.faceSquare(x + width / 2, y + height / 2, width, height, margin, imageWidth, imageHeight);
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "Face(%.1f, %.1f, %.1f x %.1f, %.3f)", x, y, width, height, score);
        }
    }

    /** The detector's float input (HWC RGB) and the letterbox scale {@code s} (doc step 1). */
    public static final class Letterbox {
        public final float[] input;
        public final double scale;

        Letterbox(float[] input, double scale) {
            this.input = input;
            this.scale = scale;
        }
    }

    private final Config config;
    private final float[] anchors;  // x, y pairs in [0, 1]

    public BlazeFace(Config config) {
        this.config = config;
        this.anchors = anchorCenters(config);
    }

    public Config config() {
        return config;
    }

    /** Number of anchors (rows of the raw outputs). */
    public int anchorCount() {
        return anchors.length / 2;
    }

    /**
     * Doc step 2: SSD anchor centres, MediaPipe's order. Consecutive layers with the same
     * stride share one grid; each cell (row-major) holds {@code anchors_per_layer} anchors for
     * every layer of its group. Returns x, y pairs.
     */
    public static float[] anchorCenters(Config config) {
        List<float[]> centers = new ArrayList<>();
        int layer = 0;
        while (layer < config.strides.length) {
            int last = layer;
            while (last < config.strides.length && config.strides[last] == config.strides[layer]) {
                last++;
            }
            int repeats = config.anchorsPerLayer * (last - layer);
            int grid = (int) Math.ceil(config.inputSize / (double) config.strides[layer]);
            for (int y = 0; y < grid; y++) {
                for (int x = 0; x < grid; x++) {
                    // float32 arithmetic, as numpy computes the reference anchors
                    float cx = (float) (x + config.anchorOffset) / grid;
                    float cy = (float) (y + config.anchorOffset) / grid;
                    for (int r = 0; r < repeats; r++) {
                        centers.add(new float[]{cx, cy});
                    }
                }
            }
            layer = last;
        }
        float[] out = new float[centers.size() * 2];
        for (int i = 0; i < centers.size(); i++) {
            out[2 * i] = centers.get(i)[0];
            out[2 * i + 1] = centers.get(i)[1];
        }
        return out;
    }

    /**
     * Doc step 1: scale the longer side to the input size (bilinear, OpenCV's arithmetic),
     * paste at the top-left of a black canvas, map {@code v -> v * input_scale + input_offset}.
     */
    public Letterbox letterbox(int[] argb, int width, int height) {
        int size = config.inputSize;
        double scale = size / (double) Math.max(width, height);
        int newWidth = Math.max(1, Math.min(size, (int) Math.floor(width * scale + 0.5)));
        int newHeight = Math.max(1, Math.min(size, (int) Math.floor(height * scale + 0.5)));
        int[][] planes = new int[3][width * height];
        for (int i = 0; i < argb.length; i++) {
            planes[0][i] = (argb[i] >> 16) & 0xff;
            planes[1][i] = (argb[i] >> 8) & 0xff;
            planes[2][i] = argb[i] & 0xff;
        }
        float[] input = new float[size * size * 3];
        float black = 0 * config.inputScale + config.inputOffset;
        Arrays.fill(input, black);
        for (int c = 0; c < 3; c++) {
            int[] resized = Resize.plane(planes[c], width, height, newWidth, newHeight, Resize.Interpolation.LINEAR);
            for (int y = 0; y < newHeight; y++) {
                for (int x = 0; x < newWidth; x++) {
                    float scaled = resized[y * newWidth + x] * config.inputScale;
                    input[(y * size + x) * 3 + c] = scaled + config.inputOffset;
                }
            }
        }
        return new Letterbox(input, scale);
    }

    /**
     * Doc steps 3-5: raw outputs -> faces in image pixels, largest first.
     *
     * @param rawBoxes  the output whose last dimension is {@link Config#boxWidth()}, flattened
     * @param rawScores the output whose last dimension is 1, flattened
     * @param letterboxScale {@link Letterbox#scale} of the frame the outputs belong to
     * @param minFacePx drop faces whose longer side is smaller (0 keeps all: the app finds every face and says
     *                  which are too small to read, {@link Face#readable})
     */
    public List<Face> decode(float[] rawBoxes, float[] rawScores, double letterboxScale, int minFacePx) {
        int count = anchorCount();
        int stride = config.boxWidth();
        if (rawScores.length != count || rawBoxes.length != count * stride) {
            throw new SpecException("the detector gave " + rawScores.length + " scores / " + rawBoxes.length
                    + " box values, face_detector.json's anchors expect " + count + " / " + count * stride
                    + ": the detector file and its .json do not belong together (export them again)");
        }
        List<double[]> boxes = new ArrayList<>();   // x0, y0, x1, y1 in [0, 1]
        List<double[]> points = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            double raw = Math.max(-config.scoreClip, Math.min(config.scoreClip, rawScores[k]));
            double score = 1.0 / (1.0 + Math.exp(-raw));
            if (score < config.minScore) {
                continue;
            }
            int row = k * stride;
            double ax = anchors[2 * k];
            double ay = anchors[2 * k + 1];
            double cx = rawBoxes[row] / config.boxScale + ax;
            double cy = rawBoxes[row + 1] / config.boxScale + ay;
            double w = rawBoxes[row + 2] / config.boxScale;
            double h = rawBoxes[row + 3] / config.boxScale;
            if (!(w > 0 && h > 0)) {
                continue;
            }
            double[] kps = new double[2 * config.numKeypoints];
            for (int j = 0; j < config.numKeypoints; j++) {
                kps[2 * j] = rawBoxes[row + 4 + 2 * j] / config.boxScale + ax;
                kps[2 * j + 1] = rawBoxes[row + 5 + 2 * j] / config.boxScale + ay;
            }
            boxes.add(new double[]{cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2});
            points.add(kps);
            scores.add(score);
        }
        List<Face> faces = weightedNms(boxes, scores, points, config.nmsIou, config.inputSize / letterboxScale);
        List<Face> kept = new ArrayList<>();
        for (Face face : faces) {
            if (face.readable(minFacePx)) {
                kept.add(face);
            }
        }
        kept.sort(Comparator.comparingDouble(Face::area).reversed());
        return kept;
    }

    /**
     * Doc step 4: MediaPipe's weighted NMS. Highest score first; every remaining box whose IoU
     * with it exceeds {@code iou} (itself included) joins its cluster; the kept box and keypoints
     * are the score-weighted mean of the cluster, with the top score. {@code toPixels} maps
     * [0, 1] input units to image pixels (doc step 5).
     */
    static List<Face> weightedNms(List<double[]> boxes, List<Double> scores, List<double[]> points,
                                  double iou, double toPixels) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < boxes.size(); i++) {
            order.add(i);
        }
        order.sort((a, b) -> Double.compare(scores.get(b), scores.get(a)));  // stable: ties keep anchor order
        List<Face> faces = new ArrayList<>();
        while (!order.isEmpty()) {
            int top = order.get(0);
            List<Integer> cluster = new ArrayList<>();
            for (int index : order) {
                if (iou(boxes.get(top), boxes.get(index)) > iou) {
                    cluster.add(index);
                }
            }
            if (cluster.isEmpty()) {
                cluster.add(top);  // a degenerate box that does not even overlap itself
            }
            double total = 0;
            double[] box = new double[4];
            double[] kps = new double[points.get(top).length];
            for (int index : cluster) {
                double weight = scores.get(index);
                total += weight;
                for (int i = 0; i < 4; i++) {
                    box[i] += boxes.get(index)[i] * weight;
                }
                for (int i = 0; i < kps.length; i++) {
                    kps[i] += points.get(index)[i] * weight;
                }
            }
            for (int i = 0; i < 4; i++) {
                box[i] = box[i] / total * toPixels;
            }
            for (int i = 0; i < kps.length; i++) {
                kps[i] = kps[i] / total * toPixels;
            }
            faces.add(new Face(box[0], box[1], box[2] - box[0], box[3] - box[1], scores.get(top), kps));
            order.removeAll(cluster);
        }
        return faces;
    }

    /** Intersection over union of two corner boxes (x0, y0, x1, y1); 0 when the union is empty. */
    static double iou(double[] a, double[] b) {
        double ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
        double iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
        double inter = ix * iy;
        double union = Math.max(a[2] - a[0], 0) * Math.max(a[3] - a[1], 0)
                + Math.max(b[2] - b[0], 0) * Math.max(b[3] - b[1], 0) - inter;
        return union > 0 ? inter / Math.max(union, 1e-12) : 0.0;
    }
}

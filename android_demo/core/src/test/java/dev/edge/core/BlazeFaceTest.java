package dev.edge.core;

import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.Test;

import java.io.File;
import java.util.Arrays;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * BlazeFace steps 1-5 of docs/FACE_DETECTION.md: synthetic raw tensors with known answers,
 * then (when tests/test_android_core.py recorded them) real detector runs from edge/detect.py.
 */
public class BlazeFaceTest {
    // The short-range detector's face_detector.json as the doc gives it.
    private static final String CONFIG = "{\"name\": \"blazeface_short_range\", \"file\": \"face_detector.tflite\","
            + " \"input_size\": 128, \"input_scale\": 0.00784313725490196, \"input_offset\": -1.0,"
            + " \"anchors\": {\"strides\": [8, 16, 16, 16], \"anchors_per_layer\": 2, \"offset\": 0.5},"
            + " \"box_scale\": 128.0, \"num_keypoints\": 6, \"score_clip\": 100.0, \"min_score\": 0.5, \"nms_iou\": 0.3}";

    private final BlazeFace detector = new BlazeFace(BlazeFace.Config.fromJson(CONFIG, "face_detector.json"));

    private float[] quietScores() throws Exception {
        float[] scores = new float[detector.anchorCount()];
        Arrays.fill(scores, -10f);  // sigmoid(-10) = 4.5e-5: no face
        return scores;
    }

    private static void setBox(float[] boxes, int anchor, float dx, float dy, float w, float h) throws Exception {
        boxes[anchor * 16] = dx;
        boxes[anchor * 16 + 1] = dy;
        boxes[anchor * 16 + 2] = w;
        boxes[anchor * 16 + 3] = h;
    }

    @Test
    public void anchorsFollowMediaPipesLayout() throws Exception {
        float[] anchors = BlazeFace.anchorCenters(detector.config());
        assertEquals("16x16 grid x 2 + 8x8 grid x 6", 896, anchors.length / 2);
        assertEquals(0.5f / 16, anchors[0], 0f);     // first cell of the stride-8 grid, twice
        assertEquals(0.5f / 16, anchors[2], 0f);
        assertEquals(1.5f / 16, anchors[4], 0f);     // next cell: x moves first
        assertEquals(0.5f / 8, anchors[2 * 512], 0f);  // stride-16 group starts at anchor 512
        assertEquals(7.5f / 8, anchors[2 * 895], 0f);
        assertEquals(7.5f / 8, anchors[2 * 895 + 1], 0f);
    }

    @Test
    public void decodesABoxIntoImagePixels() throws Exception {
        float[] scores = quietScores();
        float[] boxes = new float[896 * 16];
        // anchor 600 = stride-16 cell 14 (x 6, y 1): centre (0.8125, 0.1875)
        scores[600] = 2f;
        setBox(boxes, 600, 12.8f, -6.4f, 25.6f, 38.4f);
        boxes[600 * 16 + 4] = 0f;  // keypoint 0 on the anchor
        boxes[600 * 16 + 5] = 0f;
        // 640 x 480 frame: letterbox scale 128 / 640 = 0.2, so [0, 1] units are 640 px
        List<BlazeFace.Face> faces = detector.decode(boxes, scores, 0.2, 0);
        assertEquals(1, faces.size());
        BlazeFace.Face face = faces.get(0);
        assertEquals(520, face.x, 1e-3);
        assertEquals(-8, face.y, 1e-3);
        assertEquals(128, face.width, 1e-3);
        assertEquals(192, face.height, 1e-3);
        assertEquals(1 / (1 + Math.exp(-2)), face.score, 1e-9);
        assertEquals(0.8125 * 640, face.keypoints[0], 1e-3);
        assertEquals(0.1875 * 640, face.keypoints[1], 1e-3);
        assertTrue("min_face_px drops smaller faces", detector.decode(boxes, scores, 0.2, 193).isEmpty());
    }

    @Test
    public void weightedNmsMergesOverlapsAndKeepsSeparateFaces() throws Exception {
        float[] scores = quietScores();
        float[] boxes = new float[896 * 16];
        // anchors 0 and 1 share the centre (1/32, 1/32); two overlapping boxes there, one far away
        scores[0] = 2f;
        setBox(boxes, 0, 12.8f, 12.8f, 25.6f, 25.6f);   // centre 0.13125, side 0.2
        scores[1] = 1f;
        setBox(boxes, 1, 14.08f, 12.8f, 25.6f, 25.6f);  // shifted right by 0.01
        scores[895] = 0f;                                  // sigmoid(0) = 0.5 = min_score: kept
        setBox(boxes, 895, 0f, 0f, 12.8f, 12.8f);
        List<BlazeFace.Face> faces = detector.decode(boxes, scores, 1.0, 0);  // 128 x 128 image
        assertEquals(2, faces.size());
        BlazeFace.Face merged = faces.get(0);  // largest first
        double w0 = 1 / (1 + Math.exp(-2));
        double w1 = 1 / (1 + Math.exp(-1));
        double x0 = (0.03125 + 0.1) - 0.1;
        double expectedX = (x0 * w0 + (x0 + 0.01) * w1) / (w0 + w1) * 128;
        assertEquals(expectedX, merged.x, 1e-3);
        assertEquals(0.2 * 128, merged.width, 1e-3);
        assertEquals("the kept box has the top score", w0, merged.score, 1e-9);
        assertEquals(0.5, faces.get(1).score, 1e-9);
        assertEquals((0.9375 - 0.05) * 128, faces.get(1).x, 1e-3);
    }

    @Test
    public void letterboxScalesTheLongerSideAndPadsBlack() throws Exception {
        int[] white = new int[4 * 2];
        Arrays.fill(white, 0xffffffff);
        BlazeFace.Letterbox box = detector.letterbox(white, 4, 2);
        assertEquals(32.0, box.scale, 0);
        float top = box.input[0];
        float bottom = box.input[(100 * 128 + 5) * 3];
        assertEquals(255 * 0.00784313725490196f - 1f, top, 1e-6);
        assertEquals(-1f, bottom, 0f);
        assertEquals(top, box.input[(63 * 128 + 127) * 3 + 2], 0f);
        assertEquals(-1f, box.input[(64 * 128) * 3], 0f);
    }

    @Test
    public void matchesRecordedPythonDetections() throws Exception {
        File dir = TestFiles.dir("edge.detector.dir");
        BlazeFace real = new BlazeFace(BlazeFace.Config.fromJson(TestFiles.text(new File(dir, "face_detector.json")), "face_detector.json"));
        JSONObject recorded = TestFiles.json(new File(dir, "recorded.json"));
        double margin = recorded.getDouble("margin");
        JSONArray runs = recorded.getJSONArray("runs");
        int faces = 0;
        for (int i = 0; i < runs.length(); i++) {
            JSONObject run = runs.getJSONObject(i);
            String name = run.getString("image");
            TestFiles.Argb image = TestFiles.argb(new File(dir, name));
            BlazeFace.Letterbox letterbox = real.letterbox(image.pixels, image.width, image.height);
            assertEquals(name + " letterbox scale", run.getDouble("scale"), letterbox.scale, 1e-12);
            int[] canvas = TestFiles.samples(new File(dir, run.getString("canvas")));
            for (int j = 0; j < canvas.length; j++) {
                float expected = canvas[j] * real.config().inputScale + real.config().inputOffset;
                if (letterbox.input[j] != expected) {
                    throw new AssertionError(name + ": detector input " + j + " is " + letterbox.input[j] + ", Python's " + expected);
                }
            }
            List<BlazeFace.Face> got = real.decode(TestFiles.floats(run.getJSONArray("raw_boxes")),
                    TestFiles.floats(run.getJSONArray("raw_scores")), run.getDouble("scale"), 0);
            JSONArray expected = run.getJSONArray("faces");
            assertEquals(name + ": face count", expected.length(), got.size());
            for (int f = 0; f < got.size(); f++) {
                JSONObject want = expected.getJSONObject(f);
                JSONArray box = want.getJSONArray("box");
                BlazeFace.Face face = got.get(f);
                assertEquals(name + " face " + f + " x", box.getDouble(0), face.x, 1e-3);
                assertEquals(name + " face " + f + " y", box.getDouble(1), face.y, 1e-3);
                assertEquals(name + " face " + f + " w", box.getDouble(2), face.width, 1e-3);
                assertEquals(name + " face " + f + " h", box.getDouble(3), face.height, 1e-3);
                assertEquals(name + " face " + f + " score", want.getDouble("score"), face.score, 1e-6);
                JSONArray crop = want.getJSONArray("crop");
                CropBox c = face.crop(margin, image.width, image.height);
                assertEquals(name + " crop", crop.toString(), "[" + c.x0 + "," + c.y0 + "," + c.x1 + "," + c.y1 + "]");
                faces++;
            }
        }
        assertTrue("the recorded images hold faces", faces > 0);
        System.out.println("detector parity: " + runs.length() + " images, " + faces + " faces and crops equal to edge/detect.py's");
    }
}

// Runs the app's own inference code (FaceAnalyzer.kt, LiteRtModel.kt, compiled unchanged) on image files, with the
// LiteRT double (the real runtime in a worker) and the Context/Bitmap doubles beside this file.
import android.content.Context;
import android.content.res.AssetManager;
import android.graphics.Bitmap;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

import dev.edge.core.FaceLabel;
import dev.edge.demo.FaceAnalyzer;
import dev.edge.demo.FaceResult;
import dev.edge.demo.FrameResult;

/**
 * {@code java AppRun ASSETS_DIR IMAGE...}: one JSON line per image (faces: box, crop, labels, the text shown, and
 * for a face too small to read its flag and reason; the frame's too-small count and status words).
 */
public final class AppRun {
    private AppRun() {
    }

    public static void main(String[] args) throws Exception {
        Path assets = Path.of(args[0]);
        Context context = new Context() {
            private final AssetManager manager = new AssetManager(assets);

            @Override
            public AssetManager getAssets() {
                return manager;
            }
        };
        FaceAnalyzer analyzer = new FaceAnalyzer(context, 1);
        try {
            for (int i = 1; i < args.length; i++) {
                BufferedImage image = ImageIO.read(new File(args[i]));  // PNG: lossless, the pixels OpenCV reads
                int width = image.getWidth();
                int height = image.getHeight();
                int[] argb = image.getRGB(0, 0, width, height, null, 0, width);
                FrameResult frame = analyzer.analyze(Bitmap.createBitmap(argb, width, height, Bitmap.Config.ARGB_8888));
                StringBuilder json = new StringBuilder("{\"file\": \"" + args[i] + "\", \"faces\": [");
                String separator = "";
                for (FaceResult face : frame.getFaces()) {
                    json.append(separator).append(String.format(Locale.ROOT,
                            "{\"box\": [%.4f, %.4f, %.4f, %.4f], \"crop\": [%d, %d, %d, %d], \"age_group\": %s, "
                                    + "\"gender\": %s, \"undefined\": %b, \"age_years\": %s, \"gender_prob_female\": %s, \"gender_p\": %s, "
                                    + "\"gender_unsure\": %b, \"age_range\": %s, \"text\": %s, \"too_small\": %b, \"reason\": %s}",
                            face.getFace().x, face.getFace().y, face.getFace().width, face.getFace().height,
                            face.getCrop().x0, face.getCrop().y0, face.getCrop().x1, face.getCrop().y1,
                            quote(face.getLabel().ageGroup), quote(face.getLabel().genderName), face.getLabel().undefined,
                            number(face.getLabel().ageYears), number(face.getLabel().genderProbFemale),
                            number(face.getLabel().genderConfidence()),
                            face.getLabel().genderUnsure, face.getLabel().hasAgeRange()
                                    ? "[" + number(face.getLabel().ageLow) + ", " + number(face.getLabel().ageHigh) + "]" : "null",
                            quote(face.getLabel().toString()), face.getLabel().tooSmall, quote(face.getLabel().reason())));
                    separator = ", ";
                }
                List<FaceLabel> labels = new ArrayList<>();
                frame.getFaces().forEach(face -> labels.add(face.getLabel()));
                json.append("], \"too_small\": ").append(frame.getTooSmall())
                        .append(", \"status\": ").append(quote(FaceLabel.summary(labels)));
                System.out.println(json.append("}"));
            }
        } finally {
            analyzer.close();
        }
    }

    /** A JSON string, non-ASCII characters escaped (the JVM's stdout encoding may not be UTF-8). */
    private static String quote(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private static String number(double value) {
        return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.6f", value);
    }
}

// Runs the app's own inference code (FaceAnalyzer.kt, LiteRtModel.kt, compiled unchanged) on image files, with the
// LiteRT double (the real runtime in a worker) and the Context/Bitmap doubles beside this file.
import android.content.Context;
import android.content.res.AssetManager;
import android.graphics.Bitmap;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Path;
import java.util.Locale;

import javax.imageio.ImageIO;

import dev.edge.demo.FaceAnalyzer;
import dev.edge.demo.FaceResult;
import dev.edge.demo.FrameResult;

/** {@code java AppRun ASSETS_DIR IMAGE...}: one JSON line per image (faces: box, crop, labels). */
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
                                    + "\"gender\": %s, \"undefined\": %b}",
                            face.getFace().x, face.getFace().y, face.getFace().width, face.getFace().height,
                            face.getCrop().x0, face.getCrop().y0, face.getCrop().x1, face.getCrop().y1,
                            quote(face.getLabel().ageGroup), quote(face.getLabel().genderName), face.getLabel().undefined));
                    separator = ", ";
                }
                System.out.println(json.append("]}"));
            }
        } finally {
            analyzer.close();
        }
    }

    private static String quote(String text) {
        return text == null ? "null" : "\"" + text + "\"";
    }
}

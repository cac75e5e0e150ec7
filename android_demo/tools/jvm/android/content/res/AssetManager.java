// Run-time double of android.content.res.AssetManager (API 36): open() over a folder, FileNotFoundException when absent.
package android.content.res;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/** The assets folder of the APK, here a folder on disk. */
public final class AssetManager {
    private final Path root;

    public AssetManager(Path root) {
        this.root = root;
    }

    public InputStream open(String fileName) throws IOException {
        return new FileInputStream(root.resolve(fileName).toFile());  // FileNotFoundException, as Android's
    }
}

// Run-time double of android.content.Context (API 36): only what the app's inference code calls (getAssets).
package android.content;

/** The app's context as the inference code sees it: its assets. */
public abstract class Context {
    public abstract android.content.res.AssetManager getAssets();
}

package dev.edge.core;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reads the spec that {@code edge export} appends to every {@code .tflite} as
 * {@code edge_spec.json} in a ZIP archive (see {@code edge/tflite_meta.py}).
 *
 * <p>Works on the model bytes alone (an Android asset is read into memory anyway): the ZIP is
 * located from its end record, whose offsets are relative to the start of the appended archive.
 */
public final class EmbeddedSpec {
    /** The ZIP entry name ({@code edge.tflite_meta.SPEC_ENTRY}). */
    public static final String ENTRY = "edge_spec.json";

    private static final int END_RECORD = 0x06054b50;
    private static final int CENTRAL_ENTRY = 0x02014b50;
    private static final int LOCAL_ENTRY = 0x04034b50;

    private EmbeddedSpec() {
    }

    /** The embedded spec, or a SpecException naming {@code source} and the fix. */
    public static ModelSpec read(byte[] model, String source) {
        String json = readJson(model, source);
        if (json == null) {
            throw new SpecException(source + " has no embedded edge spec: export it with "
                    + "`edge export RUN --int8 --android-assets app/src/main/assets`");
        }
        return ModelSpec.fromJson(json, source);
    }

    /** The embedded spec JSON text, or null when the file carries none. */
    public static String readJson(byte[] model, String source) {
        int end = lastIndexOf(model, END_RECORD);
        if (end < 0 || end + 22 > model.length) {
            return null;
        }
        int entries = u16(model, end + 10);
        long directorySize = u32(model, end + 12);
        long directoryOffset = u32(model, end + 16);
        long archiveStart = end - directorySize - directoryOffset;
        long position = end - directorySize;
        if (archiveStart < 0 || position < 0) {
            return null;
        }
        for (int i = 0; i < entries; i++) {
            int at = (int) position;
            if (at + 46 > model.length || u32(model, at) != CENTRAL_ENTRY) {
                return null;
            }
            int method = u16(model, at + 10);
            long compressedSize = u32(model, at + 20);
            long size = u32(model, at + 24);
            int nameLength = u16(model, at + 28);
            int extraLength = u16(model, at + 30);
            int commentLength = u16(model, at + 32);
            long localOffset = u32(model, at + 42);
            String name = new String(model, at + 46, nameLength, StandardCharsets.UTF_8);
            if (name.equals(ENTRY)) {
                int local = (int) (archiveStart + localOffset);
                if (local + 30 > model.length || u32(model, local) != LOCAL_ENTRY) {
                    throw new SpecException(source + ": the embedded spec archive is damaged: re-export the model");
                }
                int data = local + 30 + u16(model, local + 26) + u16(model, local + 28);
                if (data + compressedSize > model.length) {
                    throw new SpecException(source + ": the embedded spec is truncated: copy the model file again");
                }
                return new String(entryBytes(model, data, (int) compressedSize, (int) size, method, source),
                        StandardCharsets.UTF_8);
            }
            position = at + 46L + nameLength + extraLength + commentLength;
        }
        return null;
    }

    private static byte[] entryBytes(byte[] model, int data, int compressedSize, int size, int method, String source) {
        if (method == 0) {
            byte[] out = new byte[size];
            System.arraycopy(model, data, out, 0, size);
            return out;
        }
        if (method != 8) {
            throw new SpecException(source + ": the embedded spec uses ZIP method " + method + ": re-export the model");
        }
        Inflater inflater = new Inflater(true);
        inflater.setInput(model, data, compressedSize);
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        byte[] chunk = new byte[8192];
        try {
            while (!inflater.finished()) {
                int n = inflater.inflate(chunk);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                out.write(chunk, 0, n);
            }
        } catch (DataFormatException error) {
            throw new SpecException(source + ": the embedded spec is damaged: re-export the model", error);
        } finally {
            inflater.end();
        }
        return out.toByteArray();
    }

    private static int lastIndexOf(byte[] data, int signature) {
        // The end record sits in the last 22 + 65535 (max comment) bytes.
        int stop = Math.max(0, data.length - 22 - 65535);
        for (int i = data.length - 22; i >= stop; i--) {
            if (u32(data, i) == signature) {
                return i;
            }
        }
        return -1;
    }

    private static int u16(byte[] data, int at) {
        return (data[at] & 0xff) | (data[at + 1] & 0xff) << 8;
    }

    private static long u32(byte[] data, int at) {
        return (u16(data, at) | (long) u16(data, at + 2) << 16) & 0xffffffffL;
    }
}

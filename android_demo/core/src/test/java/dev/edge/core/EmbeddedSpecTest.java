package dev.edge.core;

import org.json.JSONObject;
import org.junit.Test;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/** The spec is read from the exported .tflite itself; a missing or newer spec is a clear error. */
public class EmbeddedSpecTest {
    /** The flatbuffer without the appended archive: everything before the archive's first entry. */
    private static byte[] withoutSpec(byte[] model) throws Exception {
        for (int i = model.length - 4; i >= 0; i--) {
            if (model[i] == 'P' && model[i + 1] == 'K' && model[i + 2] == 3 && model[i + 3] == 4) {
                return Arrays.copyOf(model, i);
            }
        }
        throw new AssertionError("the exported model has no appended ZIP");
    }

    private static byte[] withArchive(byte[] flatbuffer, String json, boolean deflate) throws Exception {
        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(archive)) {
            zip.setMethod(deflate ? ZipOutputStream.DEFLATED : ZipOutputStream.STORED);
            ZipEntry entry = new ZipEntry(EmbeddedSpec.ENTRY);
            byte[] data = json.getBytes(StandardCharsets.UTF_8);
            if (!deflate) {
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(data);
                entry.setSize(data.length);
                entry.setCrc(crc.getValue());
            }
            zip.putNextEntry(entry);
            zip.write(data);
            zip.closeEntry();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(flatbuffer);
        out.write(archive.toByteArray());
        return out.toByteArray();
    }

    private static void assertFails(byte[] model, String expectedPart) throws Exception {
        try {
            EmbeddedSpec.read(model, "model.tflite");
            fail("expected a SpecException mentioning '" + expectedPart + "'");
        } catch (SpecException error) {
            assertTrue("message: " + error.getMessage(), error.getMessage().contains(expectedPart));
            assertTrue("the message names the file: " + error.getMessage(), error.getMessage().contains("model.tflite"));
        }
    }

    @Test
    public void readsTheSpecAppendedToTheExportedModel() throws Exception {
        for (File export : TestFiles.exportDirs()) {
            File model = TestFiles.shippedModel(export);
            ModelSpec spec = EmbeddedSpec.read(TestFiles.bytes(model), model.getName());
            JSONObject beside = TestFiles.json(new File(export, "spec.json"));
            assertEquals(beside.getInt("image_size"), spec.imageSize);
            assertEquals(beside.getString("color"), spec.color);
            assertEquals(beside.getJSONArray("outputs").length(), spec.outputs.size());
            assertEquals(beside.getJSONArray("age_class_names").length(), spec.ageClassNames.size());
            for (int i = 0; i < spec.outputs.size(); i++) {
                JSONObject out = beside.getJSONArray("outputs").getJSONObject(i);
                assertEquals(out.getString("name"), spec.outputs.get(i).name);
                assertEquals(out.getInt("tflite_index"), spec.outputs.get(i).tfliteIndex);
            }
            System.out.println("embedded spec (" + TestFiles.label(export) + "): " + spec.family + ", " + spec.imageSize + "x"
                    + spec.imageSize + " " + spec.color + ", " + spec.interpolation + ", input " + spec.inputQuantization);
        }
    }

    @Test
    public void aModelWithoutSpecIsAClearError() throws Exception {
        byte[] flatbuffer = withoutSpec(TestFiles.bytes(TestFiles.shippedModel(TestFiles.exportDirs()[0])));
        assertNull(EmbeddedSpec.readJson(flatbuffer, "model.tflite"));
        assertFails(flatbuffer, "has no embedded edge spec");
        assertFails(new byte[0], "has no embedded edge spec");
    }

    @Test
    public void aSpecFromANewerEdgeIsAClearError() throws Exception {
        byte[] model = TestFiles.bytes(TestFiles.shippedModel(TestFiles.exportDirs()[0]));
        JSONObject spec = new JSONObject(EmbeddedSpec.readJson(model, "model.tflite"));
        spec.put("version", ModelSpec.SUPPORTED_VERSION + 98);
        assertFails(withArchive(withoutSpec(model), spec.toString(), false), "spec version 99 is newer");
    }

    @Test
    public void aDamagedSpecIsAClearError() throws Exception {
        byte[] flatbuffer = withoutSpec(TestFiles.bytes(TestFiles.shippedModel(TestFiles.exportDirs()[0])));
        assertFails(withArchive(flatbuffer, "{\"image_size\": ", false), "not a valid edge spec");
    }

    @Test
    public void readsADeflatedSpecToo() throws Exception {
        byte[] model = TestFiles.bytes(TestFiles.shippedModel(TestFiles.exportDirs()[0]));
        String json = EmbeddedSpec.readJson(model, "model.tflite");
        byte[] deflated = withArchive(withoutSpec(model), json, true);
        assertEquals(json, EmbeddedSpec.readJson(deflated, "model.tflite"));
    }
}

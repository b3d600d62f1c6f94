package org.polaris.workbench.engine.train;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.io.InputFiles;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;
import org.polaris.workbench.engine.job.Messages;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A training run's state after an epoch, in a folder: {@code checkpoint.json} (settings, the model's fingerprint,
 * epochs done and their records, mask updates, the CRC of the weights file) and {@code weights-E.bin} (every
 * parameter's values, mask and optimizer moments). The weights file is written first under a new name, then the
 * JSON that names it, each atomically; the previous weights file is removed after. A crash at any point leaves a
 * consistent checkpoint (the old or the new), and {@link #load} checks the CRC, the model and the settings before
 * anything is used. Every length read is checked against the model before memory is taken.
 */
public final class Checkpoint {

    public static final String FILE = "checkpoint.json";
    private static final int VERSION = 1;
    private static final int MAGIC = 0x50574348; // "PWCH"
    private static final long MAX_JSON = 64L << 20;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    /** What a checkpoint says about itself; {@code settings} is every option that must match to resume. */
    public record Meta(int version, String model, String modelSha256, String trainData, int trainSamples,
                       Map<String, Object> settings, int epochsDone, long optimizerStep, List<Trainer.Epoch> epochs,
                       List<SparseTraining.MaskUpdate> maskUpdates, double[] initialSparsity, String weightsFile,
                       long weightsCrc32) {
    }

    /** A checkpoint that cannot be used: missing, damaged, or made for another model, data or settings. */
    public static final class CheckpointException extends Exception {
        public CheckpointException(String message) {
            super(message);
        }
    }

    private Checkpoint() {
    }

    /** Whether {@code dir} holds a checkpoint. */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE), LinkOption.NOFOLLOW_LINKS);
    }

    /** SHA-256 of a model's bytes: a checkpoint resumes only the model it was made from. */
    public static String fingerprint(byte[] model) {
        return org.polaris.workbench.engine.util.Hashes.sha256Hex(model);
    }

    /** The settings that must match, as JSON values (so a difference can be named). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> settings(Object... parts) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i + 1 < parts.length; i += 2) {
            out.put((String) parts[i], parts[i + 1] == null ? null : JSON.convertValue(parts[i + 1], Object.class));
        }
        return out;
    }

    /**
     * Writes the state after {@code meta.epochsDone()} epochs into {@code dir} (created if missing); {@code inputs}
     * are the run's inputs, which no checkpoint file may replace.
     */
    public static void save(Path dir, Meta meta, TrainableModel m, List<Path> inputs) throws IOException {
        Files.createDirectories(dir);
        byte[] weights = weights(m.params());
        CRC32 crc = new CRC32();
        crc.update(weights);
        String name = "weights-" + meta.epochsDone() + ".bin";
        Meta full = new Meta(VERSION, meta.model(), meta.modelSha256(), meta.trainData(), meta.trainSamples(),
                meta.settings(), meta.epochsDone(), meta.optimizerStep(), meta.epochs(), meta.maskUpdates(),
                meta.initialSparsity(), name, crc.getValue());
        String previous = null;
        if (exists(dir)) {
            try {
                previous = JSON.readTree(dir.resolve(FILE).toFile()).path("weightsFile").asText(null);
            } catch (IOException e) {
                previous = null; // a damaged old checkpoint is replaced
            }
        }
        OutputPolicy policy = new OutputPolicy(true, inputs);
        try (OutputSet out = new OutputSet(policy)) {
            out.write(dir.resolve(name), weights);
            out.commit();
        }
        try (OutputSet out = new OutputSet(policy)) {
            out.write(dir.resolve(FILE), JSON.writeValueAsBytes(full));
            out.commit();
        }
        if (previous != null && !previous.equals(name) && previous.matches("weights-\\d{1,6}\\.bin")) {
            Path old = dir.resolve(previous);
            if (Files.isRegularFile(old, LinkOption.NOFOLLOW_LINKS)) Files.deleteIfExists(old);
        }
    }

    /** Reads the checkpoint in {@code dir} without touching any model (for messages and the pane). */
    public static Meta read(Path dir) throws CheckpointException {
        Path f = dir.resolve(FILE);
        String problem = InputFiles.problem(f);
        if (problem != null) throw new CheckpointException(f + ": " + problem);
        try {
            if (Files.size(f) > MAX_JSON) throw new CheckpointException(f + ": larger than a checkpoint can be");
            Meta meta = JSON.readValue(f.toFile(), Meta.class);
            if (meta.version() != VERSION) {
                throw new CheckpointException(f + ": checkpoint version " + meta.version() + ", this workbench reads " + VERSION);
            }
            if (meta.weightsFile() == null || !meta.weightsFile().matches("weights-\\d{1,6}\\.bin")
                    || meta.epochs() == null || meta.settings() == null || meta.epochsDone() < 0
                    || meta.epochs().size() != meta.epochsDone()) {
                throw new CheckpointException(f + ": not a complete checkpoint");
            }
            return meta;
        } catch (NoSuchFileException e) {
            throw new CheckpointException(dir + ": holds no checkpoint (" + FILE + ")");
        } catch (IOException e) {
            throw new CheckpointException(f + ": not a readable checkpoint (" + Messages.firstLine(e.getMessage()) + ")");
        }
    }

    /**
     * Checks that the checkpoint in {@code dir} was made for this model ({@code sha256}), data and settings, then
     * loads its weights, masks and optimizer moments into {@code m}.
     */
    public static Meta load(Path dir, TrainableModel m, String sha256, String trainData, int trainSamples,
                            Map<String, Object> settings) throws CheckpointException {
        Meta meta = read(dir);
        if (!meta.modelSha256().equals(sha256)) {
            throw new CheckpointException(dir + ": the checkpoint was made from another model (" + meta.model() + ")");
        }
        if (meta.trainSamples() != trainSamples || !java.util.Objects.equals(meta.trainData(), trainData)) {
            throw new CheckpointException(dir + ": the checkpoint was trained on " + meta.trainData() + " ("
                    + meta.trainSamples() + " samples), not on " + trainData + " (" + trainSamples + ")");
        }
        List<String> differ = differences(meta.settings(), settings);
        if (!differ.isEmpty()) {
            throw new CheckpointException(dir + ": resume with the checkpoint's settings; these differ: "
                    + String.join("; ", differ));
        }
        Path w = dir.resolve(meta.weightsFile());
        String problem = InputFiles.problem(w);
        if (problem != null) throw new CheckpointException(w + ": " + problem);
        try (InputStream raw = Files.newInputStream(w)) {
            long max = 64L + m.params().stream().mapToLong(p -> 3L * p.name.length() + 16 + 13L * p.size()).sum();
            byte[] bytes = raw.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (bytes.length > max) throw new CheckpointException(w + ": larger than this model's weights can be");
            CRC32 crc = new CRC32();
            crc.update(bytes);
            if (crc.getValue() != meta.weightsCrc32()) {
                throw new CheckpointException(w + ": damaged (its checksum does not match " + FILE + ")");
            }
            readWeights(new DataInputStream(new java.io.ByteArrayInputStream(bytes)), m.params(), w);
        } catch (IOException e) {
            throw new CheckpointException(w + ": cannot read (" + Messages.firstLine(e.getMessage()) + ")");
        }
        return meta;
    }

    static List<String> differences(Map<String, Object> was, Map<String, Object> now) {
        List<String> out = new ArrayList<>();
        flatten("", JSON.valueToTree(was), JSON.valueToTree(now), out);
        return out;
    }

    private static void flatten(String path, JsonNode a, JsonNode b, List<String> out) {
        if (a != null && b != null && a.isObject() && b.isObject()) {
            java.util.Set<String> keys = new java.util.LinkedHashSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) flatten(path.isEmpty() ? k : path + "." + k, a.get(k), b.get(k), out);
        } else if (!same(a, b)) {
            out.add(path + " was " + text(a) + ", now " + text(b));
        }
    }

    private static boolean same(JsonNode a, JsonNode b) {
        boolean an = a == null || a.isNull();
        boolean bn = b == null || b.isNull();
        if (an || bn) return an == bn;
        if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue()) == 0;
        return a.equals(b);
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? "unset" : n.isTextual() ? n.asText() : n.toString();
    }

    private static byte[] weights(List<Param> params) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(buf);
        out.writeInt(MAGIC);
        out.writeInt(params.size());
        for (Param p : params) {
            out.writeUTF(p.name);
            out.writeInt(p.size());
            floats(out, p.value);
            out.writeBoolean(p.mask != null);
            if (p.mask != null) {
                for (boolean b : p.mask) out.writeBoolean(b);
            }
            out.writeBoolean(p.m1 != null);
            if (p.m1 != null) floats(out, p.m1);
            out.writeBoolean(p.m2 != null);
            if (p.m2 != null) floats(out, p.m2);
        }
        out.flush();
        return buf.toByteArray();
    }

    private static void floats(DataOutputStream out, float[] v) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 4);
        b.asFloatBuffer().put(v);
        out.write(b.array());
    }

    private static float[] floats(DataInputStream in, int n) throws IOException {
        byte[] raw = in.readNBytes(n * 4);
        if (raw.length != n * 4) throw new java.io.EOFException("truncated");
        float[] v = new float[n];
        java.nio.ByteBuffer.wrap(raw).asFloatBuffer().get(v);
        return v;
    }

    private static void readWeights(DataInputStream in, List<Param> params, Path file) throws IOException, CheckpointException {
        if (in.readInt() != MAGIC) throw new CheckpointException(file + ": not a checkpoint weights file");
        int count = in.readInt();
        if (count != params.size()) {
            throw new CheckpointException(file + ": holds " + count + " tensors, the model trains " + params.size());
        }
        // read everything first, then apply: a damaged file changes nothing
        List<Object[]> staged = new ArrayList<>();
        Iterator<Param> it = params.iterator();
        while (it.hasNext()) {
            Param p = it.next();
            String name = in.readUTF();
            int n = in.readInt();
            if (!name.equals(p.name) || n != p.size()) {
                throw new CheckpointException(file + ": tensor '" + name + "' (" + n + " values) where the model has '"
                        + p.name + "' (" + p.size() + ")");
            }
            float[] value = floats(in, n);
            boolean[] mask = null;
            if (in.readBoolean()) {
                mask = new boolean[n];
                for (int i = 0; i < n; i++) mask[i] = in.readBoolean();
            }
            float[] m1 = in.readBoolean() ? floats(in, n) : null;
            float[] m2 = in.readBoolean() ? floats(in, n) : null;
            staged.add(new Object[] {p, value, mask, m1, m2});
        }
        for (Object[] s : staged) {
            Param p = (Param) s[0];
            System.arraycopy((float[]) s[1], 0, p.value, 0, p.size());
            p.mask = (boolean[]) s[2];
            p.m1 = (float[]) s[3];
            p.m2 = (float[]) s[4];
        }
    }
}

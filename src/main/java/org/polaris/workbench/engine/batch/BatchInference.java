package org.polaris.workbench.engine.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.DataRef;
import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.data.NumpyFiles;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.JobRunner;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.WorkerModels;
import org.polaris.workbench.engine.onnx.OrtRuntime;

import java.io.ByteArrayOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Runs a model over every sample of a data set in shards and writes each shard's outputs as {@code shard-NNNNN.npz}
 * (plus, for class scores, {@code shard-NNNNN.csv} with each sample's top-k); then {@code topk.csv} and
 * {@code summary.json}. Each shard file is written atomically, so one that exists is complete and a rerun skips it
 * (resume). The folder holds only this job's files, named by {@code batch.json}, which a rerun must match. Each shard
 * is a task of the {@link JobRunner}: it opens the model (once per worker, checked by SHA-256) and the data by path
 * and writes its own files, so on a cluster the model, the data and the output folder must be at paths every
 * executor reaches (a shared file system).
 */
public final class BatchInference {

    /** Most samples in a shard. */
    public static final int MAX_SHARD = 1_000_000;
    private static final Pattern OURS = Pattern.compile("(shard-\\d{5}\\.(npz|csv)|topk\\.csv|summary\\.json|batch\\.json|\\..*\\.tmp.*)");

    /** One job: the model, the data, where the shards go and how they are cut. */
    public record Request(Path model, DataRef data, Path out, int samples, int shardSize, int batch, int topK) {
        public Request {
            if (shardSize < 1 || shardSize > MAX_SHARD) throw new IllegalArgumentException("the shard size must be 1 to " + MAX_SHARD);
            if (batch < 1 || batch > 4096) throw new IllegalArgumentException("the batch must be 1 to 4096");
            if (topK < 1 || topK > 100) throw new IllegalArgumentException("top-k must be 1 to 100");
        }
    }

    /** What the folder's {@code batch.json} says: a rerun resumes only the same job. */
    public record Manifest(String model, String modelSha256, String data, int samples, int shardSize) {
    }

    /** One shard: its index and samples, whether it was run or found done, and its time. */
    public record Shard(int index, int start, int count, boolean skipped, double seconds) implements Serializable {
    }

    /**
     * What every shard task carries: the model by path and SHA-256, the data, the folder and how to batch. Paths are
     * text, so the task serializes.
     */
    record ShardJob(String model, String modelSha256, DataRef data, String out, int batch, int topK)
            implements JobRunner.Task<Shard, Shard> {
        @Override
        public Shard run(Shard shard, CancellationToken cancel) throws Exception {
            WorkerModels.Loaded m = WorkerModels.model(model, modelSha256);
            List<ValueInfo> inputs = m.model().graph().feedInputs();
            InputData d = data.open(inputs);
            List<Path> protect = new ArrayList<>(data.files());
            protect.add(Path.of(model));
            return runShard(shard, this, d, m.bytes(), inputs, new OutputPolicy(true, protect), cancel);
        }
    }

    /** The job's summary (also {@code summary.json}). */
    public record Summary(String model, String data, String out, int samples, int shards, int skipped, double seconds,
                          double samplesPerSecond, List<String> outputs, boolean topK, String runner) {
    }

    public static final class BatchException extends Exception {
        public BatchException(String message) {
            super(message);
        }
    }

    public Summary run(Request r, JobRunner runner, ProgressSink progress, CancellationToken cancel) throws Exception {
        long t0 = System.nanoTime();
        WorkerModels.Loaded loaded = WorkerModels.load(r.model());
        OnnxModel model = loaded.model();
        int size = r.data().open(model.graph().feedInputs()).size();
        int n = r.samples() > 0 ? Math.min(r.samples(), size) : size;
        Manifest manifest = new Manifest(r.model().toString(), loaded.sha256(), r.data().name(), n, r.shardSize());
        OutputPolicy policy = new OutputPolicy(true, inputs(r));
        boolean newFolder = !Files.exists(r.out(), LinkOption.NOFOLLOW_LINKS);
        boolean newManifest = prepare(r.out(), manifest, policy);
        List<Shard> shards = new ArrayList<>();
        for (int s = 0, i = 0; s < n; s += r.shardSize(), i++) shards.add(new Shard(i, s, Math.min(r.shardSize(), n - s), false, 0));
        // each task opens its own session: shards may run on several threads (or machines)
        ShardJob job = new ShardJob(r.model().toAbsolutePath().toString(), loaded.sha256(), r.data(),
                r.out().toAbsolutePath().toString(), r.batch(), r.topK());
        List<Shard> done;
        try {
            done = runner.map(shards, job, progress, cancel);
        } catch (Exception | Error e) {
            if (newManifest) forgetIfNothingDone(r.out(), shards.size(), newFolder);
            throw e;
        }
        List<String> outputs = model.graph().outputs().stream().map(ValueInfo::name).toList();
        boolean anyCsv = Files.exists(csv(r.out(), 0), LinkOption.NOFOLLOW_LINKS);
        double secs = (System.nanoTime() - t0) / 1e9;
        int skipped = (int) done.stream().filter(Shard::skipped).count();
        Summary summary = new Summary(r.model().toString(), r.data().name(), r.out().toString(), n, shards.size(), skipped, secs,
                (n - done.stream().filter(Shard::skipped).mapToInt(Shard::count).sum()) / Math.max(1e-9, secs), outputs,
                anyCsv, runner.describe());
        try (OutputSet out = new OutputSet(policy)) {
            if (anyCsv) {
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                all.write(header(r.topK()).getBytes(StandardCharsets.UTF_8));
                for (Shard s : shards) {
                    byte[] part = Files.readAllBytes(csv(r.out(), s.index()));
                    all.write(part);
                }
                out.write(r.out().resolve("topk.csv"), all.toByteArray());
            }
            out.write(r.out().resolve("summary.json"), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsBytes(summary));
            out.commit();
        }
        return summary;
    }

    private static List<Path> inputs(Request r) {
        List<Path> in = new ArrayList<>(r.data().files());
        in.add(r.model());
        return in;
    }

    /**
     * A run that failed before any shard was written leaves nothing: the manifest it wrote goes, and the folder too
     * when this run created it (a shard that was written keeps both, so the run can resume).
     */
    private static void forgetIfNothingDone(Path dir, int shards, boolean newFolder) {
        for (int i = 0; i < shards; i++) {
            if (Files.exists(npz(dir, i), LinkOption.NOFOLLOW_LINKS)) return;
        }
        try {
            Files.deleteIfExists(dir.resolve("batch.json"));
            for (int i = 0; i < shards; i++) Files.deleteIfExists(csv(dir, i));
            if (newFolder) Files.deleteIfExists(dir);
        } catch (java.io.IOException e) {
            // a folder someone else filled meanwhile stays; the failure that brought us here is what the user sees
        }
    }

    /**
     * Creates the folder, or checks that it holds only a previous run of the same job; true when this run wrote the
     * manifest (a new job).
     */
    private static boolean prepare(Path dir, Manifest m, OutputPolicy policy) throws Exception {
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new BatchException(dir + ": is not a folder");
        }
        Files.createDirectories(dir);
        try (var files = Files.list(dir)) {
            List<String> foreign = files.map(p -> p.getFileName().toString()).filter(f -> !OURS.matcher(f).matches()).sorted().toList();
            if (!foreign.isEmpty()) {
                throw new BatchException(dir + ": holds files that are not this job's (" + String.join(", ",
                        foreign.subList(0, Math.min(3, foreign.size()))) + (foreign.size() > 3 ? ", ..." : "")
                        + "); choose an empty folder");
            }
        }
        Path manifest = dir.resolve("batch.json");
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        if (Files.isRegularFile(manifest, LinkOption.NOFOLLOW_LINKS)) {
            Manifest was;
            try {
                was = json.readValue(manifest.toFile(), Manifest.class);
            } catch (java.io.IOException e) {
                throw new BatchException(manifest + ": not a batch manifest; choose an empty folder");
            }
            if (!was.equals(m)) {
                throw new BatchException(dir + ": holds a batch of " + was.model() + " on " + was.data() + " (" + was.samples()
                        + " samples in shards of " + was.shardSize() + "); resume it with the same model, data and "
                        + "settings, or choose an empty folder");
            }
            return false;
        }
        try (OutputSet out = new OutputSet(policy)) {
            out.write(manifest, json.writeValueAsBytes(m));
            out.commit();
        }
        return true;
    }

    static Path npz(Path dir, int index) {
        return dir.resolve(String.format(Locale.ROOT, "shard-%05d.npz", index));
    }

    static Path csv(Path dir, int index) {
        return dir.resolve(String.format(Locale.ROOT, "shard-%05d.csv", index));
    }

    private static String header(int k) {
        StringBuilder h = new StringBuilder("sample,label");
        for (int i = 1; i <= k; i++) h.append(",class").append(i).append(",score").append(i);
        return h.append('\n').toString();
    }

    /** Runs one shard (or finds it done): its outputs concatenated over batches, written atomically. */
    static Shard runShard(Shard s, ShardJob r, InputData data, byte[] model, List<ValueInfo> inputs, OutputPolicy policy,
                          CancellationToken cancel) throws Exception {
        Path dir = Path.of(r.out());
        Path npz = npz(dir, s.index());
        if (Files.isRegularFile(npz, LinkOption.NOFOLLOW_LINKS)) return new Shard(s.index(), s.start(), s.count(), true, 0);
        long t0 = System.nanoTime();
        Map<String, List<Tensor>> parts = new LinkedHashMap<>();
        int batch = Math.min(r.batch(), data.maxBatch());
        try (OrtRuntime rt = new OrtRuntime(model, 1)) {
            for (int at = s.start(); at < s.start() + s.count(); at += batch) {
                cancel.throwIfCancelled();
                int b = Math.min(batch, s.start() + s.count() - at);
                Map<String, Tensor> out = rt.run(data.feeds(at, b, inputs));
                for (Map.Entry<String, Tensor> e : out.entrySet()) parts.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
            }
        }
        Map<String, Tensor> joined = new LinkedHashMap<>();
        for (Map.Entry<String, List<Tensor>> e : parts.entrySet()) joined.put(e.getKey(), concat(e.getKey(), e.getValue()));
        String topk = topK(joined, s, data, r.topK());
        try (OutputSet out = new OutputSet(policy)) {
            if (topk != null) out.write(csv(dir, s.index()), topk.getBytes(StandardCharsets.UTF_8));
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            NumpyFiles.writeNpz(joined, buf);
            // the npz marks the shard done: it goes last
            out.write(npz, buf.toByteArray());
            out.commit();
        }
        return new Shard(s.index(), s.start(), s.count(), false, (System.nanoTime() - t0) / 1e9);
    }

    /** Batches of one output stacked along the first axis. */
    private static Tensor concat(String name, List<Tensor> parts) {
        Tensor first = parts.get(0);
        long rows = 0;
        for (Tensor t : parts) rows += t.rank() == 0 ? 1 : t.dims()[0];
        long[] dims = first.rank() == 0 ? new long[] {rows} : first.dims().clone();
        if (first.rank() > 0) dims[0] = rows;
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (Tensor t : parts) raw.writeBytes(t.raw());
        return new Tensor(name, first.dataType(), dims, raw.toByteArray(), List.of(), null, "");
    }

    /** Top-k rows of the first float output shaped [samples, classes], or null when there is none. */
    private static String topK(Map<String, Tensor> outputs, Shard s, InputData data, int topK) {
        for (Tensor t : outputs.values()) {
            if (t.dataType() != DataType.FLOAT || t.rank() != 2 || t.dims()[0] != s.count() || t.dims()[1] < 2) continue;
            int classes = (int) t.dims()[1];
            float[] v = t.toFloats();
            int k = Math.min(topK, classes);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < s.count(); i++) {
                int sample = s.start() + i;
                int label = data.label(sample);
                sb.append(sample).append(',').append(label < 0 ? "" : Integer.toString(label));
                boolean[] used = new boolean[classes];
                for (int j = 0; j < k; j++) {
                    int best = -1;
                    for (int c = 0; c < classes; c++) {
                        if (!used[c] && (best < 0 || v[i * classes + c] > v[i * classes + best])) best = c;
                    }
                    used[best] = true;
                    sb.append(',').append(best).append(',').append(String.format(Locale.ROOT, "%.6g", v[i * classes + best]));
                }
                sb.append('\n');
            }
            return sb.toString();
        }
        return null;
    }
}

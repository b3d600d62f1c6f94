package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.io.InputFiles;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Labels from a file of their own ({@code --labels}), for data whose labels are not beside it: an IDX1 labels file
 * (plain or gzipped) or a text file with one class index per line. The file must hold a label for every sample used;
 * reading stops after that many, so a huge file costs nothing.
 */
public final class LabelFile {

    /** Largest class index a text label file may hold. */
    public static final int MAX_CLASS = 65_535;
    private static final int MAX_LINE = 64;

    private LabelFile() {
    }

    /** {@code data} with the labels of {@code labels} in place of its own. */
    public static InputData attach(InputData data, Path labels) throws DataException {
        int n = data.size();
        int[] values = read(labels, n);
        if (values.length < n) {
            throw new DataException(labels + ": holds " + values.length + " labels for " + n + " samples");
        }
        return new Labelled(data, values, labels);
    }

    static int[] read(Path file, int limit) throws DataException {
        String problem = InputFiles.problem(file);
        if (problem != null) throw new DataException(file + ": " + problem);
        if (isIdx(file)) {
            byte[] b = IdxDataset.readLabels(file, limit);
            int[] out = new int[b.length];
            for (int i = 0; i < b.length; i++) out[i] = b[i] & 0xff;
            return out;
        }
        List<Integer> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNo = 0;
            while (out.size() < limit) {
                String line = readLine(r, file, ++lineNo);
                if (line == null) break;
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                try {
                    int v = Integer.parseInt(line);
                    if (v < 0 || v > MAX_CLASS) throw new NumberFormatException();
                    out.add(v);
                } catch (NumberFormatException e) {
                    throw new DataException(file + ": line " + lineNo + " is not a class index 0.." + MAX_CLASS
                            + ": '" + (line.length() > 20 ? line.substring(0, 20) + "..." : line) + "'");
                }
            }
        } catch (java.nio.charset.MalformedInputException e) {
            throw new DataException(file + ": not a text file of class indices, one per line, nor an IDX labels file");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + e.getMessage());
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A line of at most {@link #MAX_LINE} characters (a binary file has none shorter). */
    private static String readLine(BufferedReader r, Path file, int lineNo) throws IOException, DataException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = r.read()) >= 0 && c != '\n') {
            if (sb.length() >= MAX_LINE) throw new DataException(file + ": line " + lineNo + " is longer than " + MAX_LINE
                    + " characters; a label file holds one class index per line");
            sb.append((char) c);
        }
        return c < 0 && sb.isEmpty() ? null : sb.toString();
    }

    private static boolean isIdx(Path file) throws DataException {
        try (var in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(4);
            if (head.length == 4 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) return true; // gzip: IDX
            return head.length == 4 && head[0] == 0 && head[1] == 0 && head[2] == 8 && head[3] == 1;
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + e.getMessage());
        }
    }

    private record Labelled(InputData data, int[] labels, Path file) implements InputData {
        @Override
        public int size() {
            return data.size();
        }

        @Override
        public Map<String, Tensor> feeds(int start, int count, List<ValueInfo> inputs) {
            return data.feeds(start, count, inputs);
        }

        @Override
        public int label(int i) {
            return labels[i];
        }

        @Override
        public boolean hasLabels() {
            return size() > 0;
        }

        @Override
        public String description() {
            return data.description() + ", labels from " + file.getFileName();
        }

        @Override
        public List<Path> files() {
            List<Path> f = new ArrayList<>(data.files());
            f.add(file);
            return List.copyOf(f);
        }

        @Override
        public boolean isSynthetic() {
            return data.isSynthetic();
        }

        @Override
        public int maxBatch() {
            return data.maxBatch();
        }
    }
}

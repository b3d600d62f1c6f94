package org.polaris.workbench.engine.inference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Class names for top-k output: a {@code labels.txt} (one name a line) or ImageNet {@code synset.txt}
 * ({@code wnid name, synonyms}) beside the model or one folder up.
 */
public final class Labels {

    private static final long MAX_BYTES = 4 << 20;

    private Labels() {
    }

    /** Labels beside the model whose count matches the model's number of classes, else an empty list. */
    public static List<String> near(Path model, int classes) {
        Path dir = model.toAbsolutePath().getParent();
        for (Path d : new Path[] {dir, dir == null ? null : dir.getParent()}) {
            if (d == null) {
                continue;
            }
            for (String name : new String[] {"labels.txt", "synset.txt", "imagenet/synset.txt"}) {
                Path p = d.resolve(name);
                if (Files.isRegularFile(p)) {
                    try {
                        List<String> l = read(p);
                        if (l.size() == classes) {
                            return l;
                        }
                    } catch (IOException ignored) {
                        // an unreadable labels file only costs the names
                    }
                }
            }
        }
        return List.of();
    }

    public static List<String> read(Path file) throws IOException {
        if (Files.size(file) > MAX_BYTES) {
            throw new IOException(file + ": labels file over " + MAX_BYTES + " bytes");
        }
        return Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty())
                .map(l -> l.matches("n\\d{8} .*") ? l.substring(10) : l).toList();
    }
}

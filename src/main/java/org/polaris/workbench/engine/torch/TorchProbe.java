package org.polaris.workbench.engine.torch;

import org.polaris.workbench.engine.io.ArgFiles;
import org.polaris.workbench.engine.io.TempFiles;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.ModelLoadException.Problem;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Loads a user's TorchScript file once in a child JVM before this process does. libtorch is native code that
 * trusts its input; whatever {@link TorchArchive} cannot rule out and still crashes libtorch kills the child, not
 * the workbench, and becomes a {@link ModelLoadException}. Files that passed are remembered (path, size and
 * modification time) for the life of the process. Files the workbench wrote itself skip this.
 */
public final class TorchProbe {

    private static final long TIMEOUT_SECONDS = 120;
    private static final Map<String, Boolean> PASSED = new ConcurrentHashMap<>();

    private TorchProbe() {
    }

    public static void check(Path file) throws ModelLoadException {
        String key = key(file);
        if (key == null || PASSED.containsKey(key) || Boolean.getBoolean("polaris.torch.noProbe")) {
            return;
        }
        Path dir = null;
        try {
            dir = TempFiles.createFolder("polaris-torch-probe");
            Path message = dir.resolve("message.txt");
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            List<String> cmd = new ArrayList<>(List.of(java.toString(), ArgFiles.write(dir.resolve("args.txt"),
                    List.of("-Xmx512m", "-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=" + dir.resolve("hs_err.log"),
                            "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                            TorchProbe.class.getName(), file.toAbsolutePath().toString(), message.toString()))));
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("output.txt").toFile()).start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new ModelLoadException(file, Problem.RUNTIME_REJECTED,
                        "PyTorch did not finish loading it within " + TIMEOUT_SECONDS + " s");
            }
            int code = p.exitValue();
            if (code == 0) {
                PASSED.put(key, true);
                return;
            }
            String why = Files.exists(message) ? Files.readString(message, StandardCharsets.UTF_8).strip() : "";
            if (code == 2 && !why.isEmpty()) {
                throw new ModelLoadException(file, Problem.RUNTIME_REJECTED, "PyTorch cannot load this TorchScript file: " + why);
            }
            throw new ModelLoadException(file, Problem.CORRUPT, "PyTorch crashed while loading it (exit " + code
                    + (code > 128 ? ", signal " + (code - 128) : "") + "); the file is corrupt or from an incompatible PyTorch");
        } catch (IOException e) {
            throw new ModelLoadException(file, Problem.UNREADABLE, "cannot start the PyTorch check: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelLoadException(file, Problem.RUNTIME_REJECTED, "interrupted while PyTorch loaded it");
        } finally {
            TempFiles.delete(dir);
        }
    }

    private static String key(Path file) {
        try {
            Path real = file.toRealPath();
            FileTime t = Files.getLastModifiedTime(real);
            return real + "|" + Files.size(real) + "|" + t.toMillis();
        } catch (IOException e) {
            return null;
        }
    }

    /** Child side: load, read every parameter, exit 0; a Java-level failure writes one line and exits 2. */
    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0]);
        Path message = Path.of(args[1]);
        System.setProperty("polaris.torch.noProbe", "true");
        try (TorchRuntime rt = TorchRuntime.open(file, 1)) {
            rt.parameters();
        } catch (ModelLoadException | RuntimeException e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            m = m.replace(file.toString() + ": ", "").replaceFirst("^PyTorch cannot load this TorchScript file: ", "");
            Files.writeString(message, m.replaceAll("\\s+", " "), StandardCharsets.UTF_8);
            Runtime.getRuntime().halt(2);
        }
        Runtime.getRuntime().halt(0);
    }
}

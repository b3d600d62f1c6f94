package org.polaris.workbench.testutil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BiFunction;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** Copies a zip archive (a TorchScript file) entry by entry, stored uncompressed, with each entry's bytes edited. */
public final class Zips {

    private Zips() {
    }

    /** {@code edit} gets each entry's name and bytes and returns the bytes to store ({@code null} drops the entry). */
    public static Path rewrite(Path in, Path out, BiFunction<String, byte[], byte[]> edit) throws IOException {
        try (ZipFile zip = new ZipFile(in.toFile()); ZipOutputStream zo = new ZipOutputStream(Files.newOutputStream(out))) {
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                byte[] data = edit.apply(e.getName(), zip.getInputStream(e).readAllBytes());
                if (data == null) {
                    continue;
                }
                ZipEntry z = new ZipEntry(e.getName());
                z.setMethod(ZipEntry.STORED);
                z.setSize(data.length);
                CRC32 crc = new CRC32();
                crc.update(data);
                z.setCrc(crc.getValue());
                zo.putNextEntry(z);
                zo.write(data);
                zo.closeEntry();
            }
        }
        return out;
    }
}

package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.io.InputFiles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * RIFF/WAVE audio as float samples in [-1, 1]: PCM 8/16/24/32-bit or IEEE float 32/64, any channel count mixed
 * down to mono. Chunk sizes are checked against the file before anything is allocated.
 */
public final class WavFiles {

    /** Longest audio read, in samples per channel (10 minutes at 48 kHz). */
    public static final long MAX_FRAMES = Long.getLong("polaris.maxAudioFrames", 48_000L * 600);

    /** Mono samples and the file's sample rate. */
    public record Audio(float[] samples, int sampleRate) {
    }

    private WavFiles() {
    }

    public static Audio read(Path file) throws DataException {
        String problem = InputFiles.problem(file);
        if (problem != null) {
            throw new DataException(file + ": " + problem);
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file);
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + e.getMessage());
        }
    }

    private static Audio read(InputStream in, Path file) throws IOException, DataException {
        byte[] riff = in.readNBytes(12);
        if (riff.length < 12 || !ascii(riff, 0).equals("RIFF") || !ascii(riff, 8).equals("WAVE")) {
            throw new DataException(file + ": not a WAVE file (no RIFF/WAVE header)");
        }
        int format = -1;
        int channels = 0;
        int rate = 0;
        int bits = 0;
        for (int chunks = 0; chunks < 1000; chunks++) {
            byte[] head = in.readNBytes(8);
            if (head.length < 8) {
                break;
            }
            String id = ascii(head, 0);
            long size = ByteBuffer.wrap(head, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
            if (id.equals("fmt ")) {
                if (size < 16 || size > 1024) {
                    throw new DataException(file + ": bad fmt chunk of " + size + " bytes");
                }
                ByteBuffer f = ByteBuffer.wrap(in.readNBytes((int) size)).order(ByteOrder.LITTLE_ENDIAN);
                if (f.remaining() < 16) {
                    throw new DataException(file + ": truncated fmt chunk");
                }
                format = f.getShort(0) & 0xffff;
                channels = f.getShort(2) & 0xffff;
                rate = f.getInt(4);
                bits = f.getShort(14) & 0xffff;
                if (format == 0xfffe && size >= 26) {
                    format = f.getShort(24) & 0xffff; // WAVE_FORMAT_EXTENSIBLE: the sub-format's first two bytes
                }
                if ((size & 1) == 1) {
                    in.skipNBytes(1);
                }
            } else if (id.equals("data")) {
                if (format < 0) {
                    throw new DataException(file + ": data chunk before its fmt chunk");
                }
                return samples(in, file, size, format, channels, rate, bits);
            } else {
                in.skipNBytes(size + (size & 1));
            }
        }
        throw new DataException(file + ": no data chunk");
    }

    private static Audio samples(InputStream in, Path file, long size, int format, int channels, int rate, int bits)
            throws IOException, DataException {
        boolean pcm = format == 1 && (bits == 8 || bits == 16 || bits == 24 || bits == 32);
        boolean flt = format == 3 && (bits == 32 || bits == 64);
        if (!pcm && !flt) {
            throw new DataException(file + ": WAVE format " + format + " with " + bits
                    + "-bit samples is not supported (PCM 8/16/24/32-bit or float 32/64)");
        }
        if (channels < 1 || channels > 64 || rate < 1 || rate > 1_000_000) {
            throw new DataException(file + ": " + channels + " channels at " + rate + " Hz is not a valid WAVE header");
        }
        int width = bits / 8;
        long frames = size / ((long) width * channels);
        if (frames > MAX_FRAMES) {
            throw new DataException(file + ": " + frames + " samples, over the limit of " + MAX_FRAMES
                    + " (raise it with -Dpolaris.maxAudioFrames=N)");
        }
        byte[] raw = in.readNBytes((int) (frames * width * channels));
        frames = raw.length / ((long) width * channels);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[(int) frames];
        for (int i = 0; i < frames; i++) {
            double sum = 0;
            for (int c = 0; c < channels; c++) {
                int at = (i * channels + c) * width;
                sum += flt ? (bits == 32 ? b.getFloat(at) : b.getDouble(at)) : pcmValue(b, at, bits);
            }
            out[i] = (float) Math.max(-1, Math.min(1, sum / channels));
        }
        return new Audio(out, rate);
    }

    private static double pcmValue(ByteBuffer b, int at, int bits) {
        return switch (bits) {
            case 8 -> ((b.get(at) & 0xff) - 128) / 128.0;
            case 16 -> b.getShort(at) / 32768.0;
            case 24 -> (((b.get(at) & 0xff) | (b.get(at + 1) & 0xff) << 8 | b.get(at + 2) << 16)) / 8388608.0;
            default -> b.getInt(at) / 2147483648.0;
        };
    }

    private static String ascii(byte[] b, int at) {
        return new String(b, at, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}

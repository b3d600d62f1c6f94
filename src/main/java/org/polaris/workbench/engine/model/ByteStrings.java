package org.polaris.workbench.engine.model;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Takes a parsed field's bytes without copying them when the {@link ByteString} owns exactly one array (a field
 * read from a stream does): a model's weights then exist once in memory while it is read, not twice. ByteStrings
 * and tensors are both immutable, so sharing the array is safe.
 */
final class ByteStrings {

    private ByteStrings() {
    }

    static byte[] take(ByteString bs) {
        byte[][] whole = new byte[1][];
        try {
            UnsafeByteOperations.unsafeWriteTo(bs, new ByteOutput() {
                @Override
                public void write(byte value) {
                    whole[0] = null;
                }

                @Override
                public void write(byte[] value, int offset, int length) {
                    whole[0] = null;
                }

                @Override
                public void writeLazy(byte[] value, int offset, int length) {
                    whole[0] = offset == 0 && length == value.length && whole[0] == null ? value : null;
                }

                @Override
                public void write(ByteBuffer value) {
                    whole[0] = null;
                }

                @Override
                public void writeLazy(ByteBuffer value) {
                    whole[0] = null;
                }
            });
        } catch (IOException e) {
            return bs.toByteArray();
        }
        return whole[0] != null && whole[0].length == bs.size() ? whole[0] : bs.toByteArray();
    }
}

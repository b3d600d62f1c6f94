package org.polaris.workbench.engine.model;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import org.polaris.workbench.engine.model.ModelLoadException.Problem;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Converts {@code TypeProto} to {@link ValueType} and back. */
final class TypeConverter {

    private TypeConverter() {
    }

    static ValueType fromProto(Path file, OnnxMl.TypeProto t, int maxRank) throws ModelLoadException {
        return switch (t.getValueCase()) {
            case TENSOR_TYPE -> {
                var tt = t.getTensorType();
                DataType elem = DataType.fromCode(tt.getElemType());
                List<Dim> shape = tt.hasShape() ? dims(file, tt.getShape(), maxRank) : null;
                yield ValueType.tensor(elem, shape);
            }
            case SPARSE_TENSOR_TYPE -> {
                var st = t.getSparseTensorType();
                DataType elem = DataType.fromCode(st.getElemType());
                List<Dim> shape = st.hasShape() ? dims(file, st.getShape(), maxRank) : null;
                yield new ValueType(ValueType.Kind.SPARSE_TENSOR, elem, shape,
                        "sparse " + ValueType.describe(elem, shape), t.toByteArray());
            }
            case SEQUENCE_TYPE -> other(ValueType.Kind.SEQUENCE,
                    "seq(" + fromProto(file, t.getSequenceType().getElemType(), maxRank) + ")", t);
            case MAP_TYPE -> other(ValueType.Kind.MAP, "map(" + DataType.fromCode(t.getMapType().getKeyType()) + ","
                    + fromProto(file, t.getMapType().getValueType(), maxRank) + ")", t);
            case OPTIONAL_TYPE -> other(ValueType.Kind.OPTIONAL,
                    "optional(" + fromProto(file, t.getOptionalType().getElemType(), maxRank) + ")", t);
            case OPAQUE_TYPE -> other(ValueType.Kind.OPAQUE, "opaque", t);
            case VALUE_NOT_SET -> other(ValueType.Kind.UNDEFINED, "?", t);
        };
    }

    private static ValueType other(ValueType.Kind kind, String description, OnnxMl.TypeProto t) {
        return new ValueType(kind, null, null, description, t.toByteArray());
    }

    private static List<Dim> dims(Path file, OnnxMl.TensorShapeProto shape, int maxRank) throws ModelLoadException {
        if (shape.getDimCount() > maxRank) {
            throw new ModelLoadException(file, Problem.LIMIT_EXCEEDED,
                    "a value declares rank " + shape.getDimCount() + " (limit " + maxRank + ")");
        }
        List<Dim> out = new ArrayList<>(shape.getDimCount());
        for (OnnxMl.TensorShapeProto.Dimension d : shape.getDimList()) {
            out.add(switch (d.getValueCase()) {
                case DIM_VALUE -> Dim.of(d.getDimValue());
                case DIM_PARAM -> d.getDimParam().isEmpty() ? Dim.unknown() : Dim.symbolic(d.getDimParam());
                case VALUE_NOT_SET -> Dim.unknown();
            });
        }
        return out;
    }

    static OnnxMl.TypeProto toProto(ValueType v) {
        if (v.kind() != ValueType.Kind.TENSOR && v.encoded() != null) {
            try {
                return OnnxMl.TypeProto.parseFrom(v.encoded());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("stored type of kind " + v.kind() + " no longer parses", e);
            }
        }
        var tt = OnnxMl.TypeProto.Tensor.newBuilder();
        if (v.elementType() != null) {
            tt.setElemType(v.elementType().code());
        }
        if (v.shape() != null) {
            var sb = OnnxMl.TensorShapeProto.newBuilder();
            for (Dim d : v.shape()) {
                var db = OnnxMl.TensorShapeProto.Dimension.newBuilder();
                if (d.isSymbolic()) {
                    db.setDimParam(d.param());
                } else if (d.isFixed()) {
                    db.setDimValue(d.value());
                }
                sb.addDim(db);
            }
            tt.setShape(sb);
        }
        return OnnxMl.TypeProto.newBuilder().setTensorType(tt).build();
    }
}

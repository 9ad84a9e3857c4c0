package dev.livesae.sources.model;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import com.google.protobuf.UnknownFieldSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A read-and-extend view of an ONNX {@code ModelProto}, parsed with protobuf-java's generic
 * {@link UnknownFieldSet} and the field numbers of the ONNX spec (onnx/onnx.proto), so no generated
 * ONNX classes are needed.
 *
 * <p>It lists the graph's nodes, inputs and outputs, and {@link #withExtraOutputs} returns new model
 * bytes in which named intermediate tensors are also graph outputs: a {@code ValueInfoProto} carrying
 * only a name is appended to {@code GraphProto.output}; ONNX Runtime infers its type and shape.
 */
public final class OnnxGraph {

    // ModelProto
    static final int MODEL_GRAPH = 7;
    // GraphProto
    static final int GRAPH_NODE = 1;
    static final int GRAPH_INITIALIZER = 5;
    static final int GRAPH_INPUT = 11;
    static final int GRAPH_OUTPUT = 12;
    // NodeProto
    static final int NODE_INPUT = 1;
    static final int NODE_OUTPUT = 2;
    static final int NODE_NAME = 3;
    static final int NODE_OP_TYPE = 4;
    // ValueInfoProto
    static final int VALUE_INFO_NAME = 1;
    // TensorProto
    static final int TENSOR_NAME = 8;

    /** One graph node: its name, operator and tensor names in and out. */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs) {
        public Node {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }
    }

    private final UnknownFieldSet model;
    private final UnknownFieldSet graph;
    private final List<Node> nodes;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Set<String> initializers;

    private OnnxGraph(UnknownFieldSet model, UnknownFieldSet graph) {
        this.model = model;
        this.graph = graph;
        this.nodes = graph.getField(GRAPH_NODE).getLengthDelimitedList().stream().map(OnnxGraph::node).toList();
        this.inputs = names(graph.getField(GRAPH_INPUT).getLengthDelimitedList(), VALUE_INFO_NAME);
        this.outputs = names(graph.getField(GRAPH_OUTPUT).getLengthDelimitedList(), VALUE_INFO_NAME);
        this.initializers = Set.copyOf(names(graph.getField(GRAPH_INITIALIZER).getLengthDelimitedList(), TENSOR_NAME));
    }

    /** Parses serialized {@code ModelProto} bytes; throws IllegalArgumentException if they are not one. */
    public static OnnxGraph parse(byte[] modelBytes) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(modelBytes);
            in.enableAliasing(true);
            in.setSizeLimit(Integer.MAX_VALUE);
            UnknownFieldSet model = UnknownFieldSet.parseFrom(in);
            List<ByteString> graphs = model.getField(MODEL_GRAPH).getLengthDelimitedList();
            if (graphs.size() != 1) {
                throw new IllegalArgumentException("ONNX model must hold exactly one ModelProto.graph (got " + graphs.size() + ")");
            }
            return new OnnxGraph(model, parseMessage(graphs.get(0)));
        } catch (IOException e) {
            throw new IllegalArgumentException("not an ONNX ModelProto: " + e.getMessage(), e);
        }
    }

    public List<Node> nodes() {
        return nodes;
    }

    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** True if some node produces this tensor, or it is a graph input or initializer. */
    public boolean hasTensor(String tensorName) {
        return inputs.contains(tensorName) || initializers.contains(tensorName)
                || nodes.stream().anyMatch(n -> n.outputs().contains(tensorName));
    }

    /** The first output tensor of the node with this name. */
    public String outputOfNode(String nodeName) {
        return nodes.stream().filter(n -> n.name().equals(nodeName) && !n.outputs().isEmpty()).findFirst()
                .map(n -> n.outputs().get(0))
                .orElseThrow(() -> new IllegalArgumentException("no node named " + nodeName + " in the ONNX graph"));
    }

    /**
     * Model bytes whose graph additionally outputs the given tensors (those already graph outputs are
     * skipped). Unknown tensor names are refused.
     */
    public byte[] withExtraOutputs(Collection<String> tensorNames) {
        Set<String> extra = new LinkedHashSet<>(tensorNames);
        extra.removeAll(outputs);
        UnknownFieldSet.Field.Builder added = UnknownFieldSet.Field.newBuilder();
        for (String name : extra) {
            if (!hasTensor(name)) {
                throw new IllegalArgumentException("tensor " + name + " is not produced by the ONNX graph");
            }
            UnknownFieldSet valueInfo = UnknownFieldSet.newBuilder()
                    .addField(VALUE_INFO_NAME, UnknownFieldSet.Field.newBuilder()
                            .addLengthDelimited(ByteString.copyFromUtf8(name)).build())
                    .build();
            added.addLengthDelimited(valueInfo.toByteString());
        }
        UnknownFieldSet newGraph = UnknownFieldSet.newBuilder(graph).mergeField(GRAPH_OUTPUT, added.build()).build();
        return UnknownFieldSet.newBuilder(model)
                .clearField(MODEL_GRAPH)
                .addField(MODEL_GRAPH, UnknownFieldSet.Field.newBuilder().addLengthDelimited(newGraph.toByteString()).build())
                .build()
                .toByteArray();
    }

    private static Node node(ByteString bytes) {
        UnknownFieldSet n = parseMessage(bytes);
        return new Node(first(n, NODE_NAME), first(n, NODE_OP_TYPE), strings(n, NODE_INPUT), strings(n, NODE_OUTPUT));
    }

    private static List<String> names(List<ByteString> messages, int nameField) {
        List<String> names = new ArrayList<>(messages.size());
        for (ByteString m : messages) {
            names.add(first(parseMessage(m), nameField));
        }
        return List.copyOf(names);
    }

    private static String first(UnknownFieldSet message, int field) {
        List<ByteString> values = message.getField(field).getLengthDelimitedList();
        return values.isEmpty() ? "" : values.get(0).toStringUtf8();
    }

    private static List<String> strings(UnknownFieldSet message, int field) {
        return message.getField(field).getLengthDelimitedList().stream().map(ByteString::toStringUtf8).toList();
    }

    private static UnknownFieldSet parseMessage(ByteString bytes) {
        try {
            CodedInputStream in = bytes.newCodedInput();
            in.enableAliasing(true);
            in.setSizeLimit(Integer.MAX_VALUE);
            return UnknownFieldSet.parseFrom(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed ONNX message: " + e.getMessage(), e);
        }
    }
}

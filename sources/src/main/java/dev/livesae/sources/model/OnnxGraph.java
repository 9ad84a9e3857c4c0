package dev.livesae.sources.model;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import com.google.protobuf.UnknownFieldSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A read-and-extend view of an ONNX {@code ModelProto}, parsed with protobuf-java's generic
 * {@link UnknownFieldSet} and the field numbers of the ONNX spec (onnx/onnx.proto), so no generated
 * ONNX classes are needed.
 *
 * <p>It lists the graph's nodes, inputs and outputs, and {@link #withExtraOutputs} returns new model
 * bytes in which named intermediate tensors are also graph outputs: a {@code ValueInfoProto} carrying
 * only a name is appended to {@code GraphProto.output}; ONNX Runtime infers its type and shape.
 * {@link #upTo} and {@link #from} split the graph at a tensor into the two halves of a
 * {@link SplitTransformer}.
 */
public final class OnnxGraph {

    // ModelProto
    static final int MODEL_GRAPH = 7;
    // GraphProto
    static final int GRAPH_NODE = 1;
    static final int GRAPH_INITIALIZER = 5;
    static final int GRAPH_INPUT = 11;
    static final int GRAPH_OUTPUT = 12;
    static final int GRAPH_VALUE_INFO = 13;
    // NodeProto
    static final int NODE_INPUT = 1;
    static final int NODE_OUTPUT = 2;
    static final int NODE_NAME = 3;
    static final int NODE_OP_TYPE = 4;
    // ValueInfoProto
    static final int VALUE_INFO_NAME = 1;
    static final int VALUE_INFO_TYPE = 2;
    // TypeProto / TypeProto.Tensor / TensorShapeProto / Dimension
    static final int TYPE_TENSOR = 1;
    static final int TENSOR_TYPE_ELEM_TYPE = 1;
    static final int TENSOR_TYPE_SHAPE = 2;
    static final int SHAPE_DIM = 1;
    static final int DIM_VALUE = 1;
    static final int DIM_PARAM = 2;
    static final long ELEM_TYPE_FLOAT = 1;
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
    private final List<ByteString> rawNodes;
    private final List<Node> nodes;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Set<String> initializers;

    private OnnxGraph(UnknownFieldSet model, UnknownFieldSet graph) {
        this.model = model;
        this.graph = graph;
        this.rawNodes = graph.getField(GRAPH_NODE).getLengthDelimitedList();
        this.nodes = rawNodes.stream().map(OnnxGraph::node).toList();
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
            added.addLengthDelimited(nameOnly(name));
        }
        return withGraph(UnknownFieldSet.newBuilder(graph).mergeField(GRAPH_OUTPUT, added.build()).build());
    }

    /**
     * Model bytes of the first half of a split: only the nodes the given tensors depend on, which become the
     * graph's only outputs; initializers and graph inputs nothing uses any more are dropped.
     */
    public byte[] upTo(Collection<String> tensors) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("upTo needs at least one tensor");
        }
        for (String t : tensors) {
            if (!hasTensor(t)) {
                throw new IllegalArgumentException("tensor " + t + " is not produced by the ONNX graph");
            }
        }
        return rebuild(new LinkedHashSet<>(tensors), null, 0);
    }

    /**
     * Model bytes of the second half of a split: {@code tensor} becomes a graph input (float,
     * [batch, sequence, width]) and the graph computes its original outputs from it, with only the nodes
     * between; other graph inputs stay only if those nodes still read them (for a transformer: the attention
     * mask). Refused when the tensor is itself a graph output (the second half would be the identity).
     */
    public byte[] from(String tensor, int width) {
        if (!hasTensor(tensor) || inputs.contains(tensor) || initializers.contains(tensor)) {
            throw new IllegalArgumentException("tensor " + tensor + " is not produced by a node of the ONNX graph");
        }
        if (outputs.contains(tensor)) {
            throw new IllegalArgumentException("tensor " + tensor + " is a graph output: nothing follows it");
        }
        if (width < 1) {
            throw new IllegalArgumentException("width must be >= 1 (got " + width + ")");
        }
        return rebuild(new LinkedHashSet<>(outputs), tensor, width);
    }

    /** The graph restricted to the nodes {@code wanted} depends on, stopping at {@code cut} (a new input) if not null. */
    private byte[] rebuild(Set<String> wanted, String cut, int cutWidth) {
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String out : nodes.get(i).outputs()) {
                producer.put(out, i);
            }
        }
        boolean[] keep = new boolean[nodes.size()];
        ArrayDeque<String> todo = new ArrayDeque<>(wanted);
        Set<String> read = new HashSet<>(wanted);
        while (!todo.isEmpty()) {
            String t = todo.pop();
            Integer p = t.equals(cut) ? null : producer.get(t);
            if (p == null || keep[p]) {
                continue;
            }
            keep[p] = true;
            for (String in : nodes.get(p).inputs()) {
                if (!in.isEmpty() && read.add(in)) {
                    todo.push(in);
                }
            }
        }
        Set<String> produced = new HashSet<>();
        UnknownFieldSet.Field.Builder nodeField = UnknownFieldSet.Field.newBuilder();
        for (int i = 0; i < nodes.size(); i++) {
            if (keep[i]) {
                nodeField.addLengthDelimited(rawNodes.get(i));
                produced.addAll(nodes.get(i).outputs());
            }
        }
        UnknownFieldSet.Field.Builder inputField = UnknownFieldSet.Field.newBuilder();
        for (ByteString in : graph.getField(GRAPH_INPUT).getLengthDelimitedList()) {
            if (read.contains(first(parseMessage(in), VALUE_INFO_NAME))) {
                inputField.addLengthDelimited(in);
            }
        }
        if (cut != null) {
            inputField.addLengthDelimited(floatInput(cut, cutWidth));
        }
        UnknownFieldSet.Field.Builder initField = UnknownFieldSet.Field.newBuilder();
        for (ByteString init : graph.getField(GRAPH_INITIALIZER).getLengthDelimitedList()) {
            if (read.contains(first(parseMessage(init), TENSOR_NAME))) {
                initField.addLengthDelimited(init);
            }
        }
        UnknownFieldSet.Field.Builder outputField = UnknownFieldSet.Field.newBuilder();
        for (String name : wanted) {
            outputField.addLengthDelimited(graph.getField(GRAPH_OUTPUT).getLengthDelimitedList().stream()
                    .filter(o -> first(parseMessage(o), VALUE_INFO_NAME).equals(name)).findFirst()
                    .orElseGet(() -> nameOnly(name)));
        }
        UnknownFieldSet.Field.Builder valueInfoField = UnknownFieldSet.Field.newBuilder();
        for (ByteString vi : graph.getField(GRAPH_VALUE_INFO).getLengthDelimitedList()) {
            String name = first(parseMessage(vi), VALUE_INFO_NAME);
            if (produced.contains(name) && !name.equals(cut)) {
                valueInfoField.addLengthDelimited(vi);
            }
        }
        UnknownFieldSet newGraph = UnknownFieldSet.newBuilder(graph)
                .clearField(GRAPH_NODE).addField(GRAPH_NODE, nodeField.build())
                .clearField(GRAPH_INITIALIZER).addField(GRAPH_INITIALIZER, initField.build())
                .clearField(GRAPH_INPUT).addField(GRAPH_INPUT, inputField.build())
                .clearField(GRAPH_OUTPUT).addField(GRAPH_OUTPUT, outputField.build())
                .clearField(GRAPH_VALUE_INFO).addField(GRAPH_VALUE_INFO, valueInfoField.build())
                .build();
        return withGraph(newGraph);
    }

    private byte[] withGraph(UnknownFieldSet newGraph) {
        return UnknownFieldSet.newBuilder(model)
                .clearField(MODEL_GRAPH)
                .addField(MODEL_GRAPH, UnknownFieldSet.Field.newBuilder().addLengthDelimited(newGraph.toByteString()).build())
                .build()
                .toByteArray();
    }

    private static ByteString nameOnly(String name) {
        return UnknownFieldSet.newBuilder()
                .addField(VALUE_INFO_NAME, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8(name)).build())
                .build().toByteString();
    }

    /** A {@code ValueInfoProto}: float tensor [batch, sequence, width]. */
    private static ByteString floatInput(String name, int width) {
        UnknownFieldSet.Field.Builder dims = UnknownFieldSet.Field.newBuilder();
        for (String param : List.of("batch", "sequence")) {
            dims.addLengthDelimited(UnknownFieldSet.newBuilder().addField(DIM_PARAM,
                    UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8(param)).build()).build().toByteString());
        }
        dims.addLengthDelimited(UnknownFieldSet.newBuilder().addField(DIM_VALUE,
                UnknownFieldSet.Field.newBuilder().addVarint(width).build()).build().toByteString());
        UnknownFieldSet shape = UnknownFieldSet.newBuilder().addField(SHAPE_DIM, dims.build()).build();
        UnknownFieldSet tensorType = UnknownFieldSet.newBuilder()
                .addField(TENSOR_TYPE_ELEM_TYPE, UnknownFieldSet.Field.newBuilder().addVarint(ELEM_TYPE_FLOAT).build())
                .addField(TENSOR_TYPE_SHAPE, UnknownFieldSet.Field.newBuilder().addLengthDelimited(shape.toByteString()).build())
                .build();
        UnknownFieldSet type = UnknownFieldSet.newBuilder()
                .addField(TYPE_TENSOR, UnknownFieldSet.Field.newBuilder().addLengthDelimited(tensorType.toByteString()).build())
                .build();
        return UnknownFieldSet.newBuilder()
                .addField(VALUE_INFO_NAME, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8(name)).build())
                .addField(VALUE_INFO_TYPE, UnknownFieldSet.Field.newBuilder().addLengthDelimited(type.toByteString()).build())
                .build().toByteString();
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

package dev.livesae.sources;

import dev.livesae.kafka.test.TopicRecords;
import dev.livesae.wire.ActivationBatchDeserializer;
import dev.livesae.wire.DecodeLimits;
import dev.livesae.wire.WireAllocator;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.sources.model.ForwardPass;
import dev.livesae.sources.model.MiniLmModel;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ProduceCommandTest {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir
    Path dir;

    /** Runs {@code sae produce} in-process; returns exit code, stdout and stderr. */
    record Run(int exit, String out, String err) {
    }

    static Run produce(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new ProduceCommand());
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static List<ActivationBatch> read(String topic, long rows) {
        List<ActivationBatch> out = new ArrayList<>();
        List<ConsumerRecord<byte[], ActivationBatch>> got = TopicRecords.readUntil(KAFKA.bootstrapServers(), topic,
                IsolationLevel.READ_UNCOMMITTED, new ByteArrayDeserializer(),
                new ActivationBatchDeserializer(WireAllocator.root(), DecodeLimits.defaults()),
                records -> records.stream().mapToLong(r -> r.value().rows()).sum() >= rows);
        got.forEach(r -> out.add(r.value()));
        return out;
    }

    static float[] activations(List<ActivationBatch> batches) {
        int n = batches.stream().mapToInt(b -> b.activations().length).sum();
        float[] all = new float[n];
        int at = 0;
        for (ActivationBatch b : batches) {
            System.arraycopy(b.activations(), 0, all, at, b.activations().length);
            at += b.activations().length;
        }
        return all;
    }

    @Test
    void syntheticRowsArriveExactlyAsTheSeededGeneratorMakesThemAndTheDictionaryIsWritten() {
        Path dict = dir.resolve("dict.npy");
        Run run = produce("--source", "synthetic", "--bootstrap", KAFKA.bootstrapServers(), "--model", "cmd-synthetic",
                "--features", "64", "--d-in", "16", "--seed", "9", "--max-tokens", "1000", "--batch-rows", "300",
                "--dictionary-out", dict.toString(), "--progress-ms", "0");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("produced 1,000 tokens");
        SyntheticConfig config = new SyntheticConfig(64, 16, 1.0, 8, 1.0, 0.01, 9);
        SyntheticActivations expected = new SyntheticActivations(config, 1000);
        List<ActivationBatch> batches = read(Topics.activations("cmd-synthetic", SyntheticActivations.DEFAULT_HOOKPOINT), 1000);
        assertThat(batches.stream().mapToInt(ActivationBatch::rows).sum()).isEqualTo(1000);
        assertThat(activations(batches)).containsExactly(expected.next(1000).activations());
        assertThat(Npy.readAll(dict)).containsExactly(expected.dictionary());
        Set<Long> ids = new HashSet<>();
        batches.forEach(b -> {
            for (long id : b.sequenceIds()) {
                ids.add(id);
            }
        });
        assertThat(ids).hasSize(1000); // every synthetic row is its own sequence
    }

    @Test
    void miniLmTextsArriveAsTheModelComputesThemOnTwoHookpointsWithoutPadding() throws Exception {
        List<String> texts = List.of("The Parliament approved the budget.", "", "I thank the Commissioner for the answer, which was long and detailed.");
        Path file = Files.write(dir.resolve("texts.txt"), texts);
        Run run = produce("--source", "minilm", "--bootstrap", KAFKA.bootstrapServers(), "--model", "cmd-minilm",
                "--text-file", file.toString(), "--hookpoint", "blocks.0.hook_resid_post", "--hookpoint", "blocks.5.hook_resid_post",
                "--progress-ms", "0");
        assertThat(run.exit()).as(run.err()).isZero();
        ForwardPass expected;
        try (MiniLmModel model = MiniLmModel.load()) {
            expected = model.forward(List.of(texts.get(0), texts.get(2)), Set.of("blocks.0.hook_resid_post", "blocks.5.hook_resid_post"));
            assertThat(model.decode(new int[] {expected.tokenIds()[0]})).containsExactly("[CLS]");
        }
        // the tokenizer vocabulary, once, on the compacted vocab.<model>: token text for the monitor's explorer
        List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> vocab = dev.livesae.kafka.test.TopicRecords.readAll(
                KAFKA.bootstrapServers(), Topics.vocab("cmd-minilm"), 1, org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED,
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer());
        assertThat(vocab).hasSize(1);
        assertThat(new String(vocab.get(0).key(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("cmd-minilm");
        dev.livesae.wire.Vocabulary words = dev.livesae.wire.Vocabulary.decode("cmd-minilm", vocab.get(0).value());
        assertThat(words.size()).isEqualTo(30_522);
        assertThat(words.text(expected.tokenIds()[0])).isEqualTo("[CLS]");
        assertThat(words.text(expected.tokenIds()[1])).isEqualTo("the");
        for (String hook : List.of("blocks.0.hook_resid_post", "blocks.5.hook_resid_post")) {
            List<ActivationBatch> batches = read(Topics.activations("cmd-minilm", hook), expected.rows());
            ActivationBatch b = batches.get(0);
            assertThat(batches).hasSize(1);
            assertThat(b.meta().model()).isEqualTo("cmd-minilm");
            assertThat(b.dIn()).isEqualTo(384);
            assertThat(b.rows()).isEqualTo(expected.rows());
            assertThat(b.positions()).containsExactly(expected.positions());
            assertThat(b.tokenIds()).containsExactly(expected.tokenIds());
            assertThat(b.sequenceIds()[0]).isNotEqualTo(b.sequenceIds()[b.rows() - 1]); // two texts, two ids
            float[] want = expected.block(hook).values();
            for (int i = 0; i < want.length; i++) {
                assertThat(b.activations()[i]).isCloseTo(want[i], within(1e-3f));
            }
        }
    }

    @Test
    void npyFileIsReplayedRowForRow() {
        float[] values = new float[50 * 8];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.sin(i);
        }
        Path f = dir.resolve("acts.npy");
        Npy.writeFloat32(f, values, 50, 8);
        Run run = produce("--source", "npy", "--file", f.toString(), "--bootstrap", KAFKA.bootstrapServers(), "--model", "cmd-npy",
                "--hookpoint", "blocks.2.hook_resid_post", "--batch-rows", "16", "--compression", "none", "--progress-ms", "0");
        assertThat(run.exit()).as(run.err()).isZero();
        List<ActivationBatch> batches = read(Topics.activations("cmd-npy", "blocks.2.hook_resid_post"), 50);
        assertThat(batches).hasSize(4);
        assertThat(activations(batches)).containsExactly(values);
    }

    @Test
    void repeatReplaysTheFileUntilMaxTokens() {
        float[] values = new float[10 * 4];
        for (int i = 0; i < values.length; i++) {
            values[i] = i;
        }
        Path f = dir.resolve("ten.npy");
        Npy.writeFloat32(f, values, 10, 4);
        Run run = produce("--source", "npy", "--file", f.toString(), "--bootstrap", KAFKA.bootstrapServers(), "--model", "cmd-repeat",
                "--repeat", "--max-tokens", "25", "--progress-ms", "0");
        assertThat(run.exit()).as(run.err()).isZero();
        float[] got = activations(read(Topics.activations("cmd-repeat", "replay"), 25));
        assertThat(got).hasSize(25 * 4);
        for (int i = 0; i < got.length; i++) {
            assertThat(got[i]).isEqualTo(values[i % values.length]);
        }
        assertRefused(produce("--source", "synthetic", "--bootstrap", KAFKA.bootstrapServers(), "--repeat"), "--repeat does not apply");
    }

    @Test
    void listsHookpointsWithTensorNamesAndWidth() {
        Run run = produce("--list-hookpoints");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("blocks.5.hook_resid_post", "last_hidden_state", "384",
                "/encoder/layer.2/output/LayerNorm/Add_1_output_0", "hook_embed");
    }

    @Test
    void refusesBadFlagsAndFilesNamingTheProblem() throws Exception {
        String b = KAFKA.bootstrapServers();
        assertRefused(produce("--bootstrap", b, "--compression", "gzip"), "--compression must be zstd, lz4 or none (got gzip)");
        assertRefused(produce("--bootstrap", b, "--on-full", "wait"), "--on-full must be block or drop (got wait)");
        assertRefused(produce("--bootstrap", b, "--batch-rows", "0"), "--batch-rows must be in [1, 1000000] (got 0)");
        assertRefused(produce("--bootstrap", b, "--max-length", "1000"), "--max-length must be in [2, 512] (got 1000)");
        assertRefused(produce("--source", "mistral", "--bootstrap", b), "--source must be minilm, synthetic, npy or arrow (got mistral)");
        assertRefused(produce("--source", "synthetic"), "--bootstrap: no Kafka bootstrap servers given");
        assertRefused(produce("--source", "synthetic", "--bootstrap", b, "--features", "0"), "--features must be in");
        assertRefused(produce("--source", "npy", "--bootstrap", b), "--file is required");
        assertRefused(produce("--source", "npy", "--bootstrap", b, "--file", dir.resolve("missing.npy").toString()), "file not found");
        assertRefused(produce("--bootstrap", b, "--text-file", dir.resolve("missing.txt").toString()), "--text-file");
        assertRefused(produce("--bootstrap", b, "--hookpoint", "blocks.9.hook_resid_post", "--text-file", Files.writeString(dir.resolve("t.txt"), "hi").toString()),
                "--hookpoint blocks.9.hook_resid_post is not a MiniLM hookpoint");
        Path f64 = dir.resolve("f64.npy");
        Files.write(f64, npyHeader("<f8", "(2, 2)", 32));
        assertRefused(produce("--source", "npy", "--bootstrap", b, "--file", f64.toString()), "unsupported .npy dtype <f8");
        Path d8 = dir.resolve("d8.npy");
        Path d9 = dir.resolve("d9.npy");
        Npy.writeFloat32(d8, new float[8], 1, 8);
        Npy.writeFloat32(d9, new float[9], 1, 9);
        assertRefused(produce("--source", "npy", "--bootstrap", b, "--file", d8.toString(), "--file", d9.toString()), "d is 9 but");
    }

    static byte[] npyHeader(String descr, String shape, int dataBytes) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }\n";
        byte[] out = new byte[10 + dict.length() + dataBytes];
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) dict.length(), 0};
        System.arraycopy(magic, 0, out, 0, 10);
        System.arraycopy(dict.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, out, 10, dict.length());
        return out;
    }

    static void assertRefused(Run run, String message) {
        assertThat(run.exit()).as("exit code; stderr: %s", run.err()).isEqualTo(2);
        assertThat(run.err()).contains(message);
    }
}

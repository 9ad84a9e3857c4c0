package dev.livesae.monitor;

import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeBatchDeserializer;
import dev.livesae.wire.DecodeLimits;
import dev.livesae.wire.RejectReason;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;
import dev.livesae.wire.WireFormatException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Decodes raw code records inside the topology so a bad record's bytes and source offset are still at hand:
 * a valid batch goes on keyed by its stream, anything else becomes {@link Decoded.Rejected}. Beyond the wire
 * codec's checks (caps, schema, NaN, index range) it rejects negative latent values and negative error terms, and
 * codes of an SAE stream beyond the instance's {@code --max-saes} ({@link SaeAdmission}).
 */
final class DecodeProcessor implements Processor<byte[], byte[], String, Decoded> {
    private final DecodeLimits limits;
    private final SaeAdmission admission;
    private ProcessorContext<String, Decoded> context;
    private CodeBatchDeserializer deserializer;

    DecodeProcessor(DecodeLimits limits, SaeAdmission admission) {
        this.limits = limits;
        this.admission = admission;
    }

    @Override
    public void init(ProcessorContext<String, Decoded> context) {
        this.context = context;
        this.deserializer = new CodeBatchDeserializer(WireAllocator.root(), limits);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        String topic = context.recordMetadata().map(m -> m.topic()).orElse("");
        Decoded out;
        String key = null;
        try {
            CodeBatch batch = deserializer.deserialize(topic, record.value());
            String problem = problem(batch);
            String expected = Topics.codes(batch.meta().model(), batch.meta().hookpoint());
            if (problem == null && topic.startsWith("codes.") && !topic.equals(expected)) {
                problem = "codes of model " + batch.meta().model() + " at hookpoint " + batch.meta().hookpoint()
                        + " belong on " + expected + ", not " + topic;
            }
            String storeKey = new StreamKey(batch.meta().saeId(), batch.meta().hookpoint()).storeKey();
            if (problem != null) {
                out = new Decoded.Rejected(record.key(), record.value(), RejectReason.UNEXPECTED_SHAPE, problem);
            } else if (!admission.admit(storeKey)) {
                out = new Decoded.Rejected(record.key(), record.value(), RejectReason.TOO_MANY_SAES,
                        "this monitor instance already tracks " + admission.max() + " SAE streams (--max-saes); sae_id "
                                + batch.meta().saeId() + " at " + batch.meta().hookpoint() + " is not tracked");
            } else {
                key = storeKey;
                out = new Decoded.Ok(batch);
            }
        } catch (WireFormatException e) {
            out = new Decoded.Rejected(record.key(), record.value(), e.reason(), e.detail());
        } catch (IllegalArgumentException e) {
            out = new Decoded.Rejected(record.key(), record.value(), RejectReason.BAD_METADATA, e.getMessage());
        }
        context.forward(record.withKey(key).withValue(out));
    }

    /** Null for a usable batch, else what is wrong with it. */
    static String problem(CodeBatch b) {
        float[] v = b.latentValues();
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0f) {
                return "latent_value " + v[i] + " < 0 at row " + i / b.k();
            }
        }
        for (int r = 0; r < b.rows(); r++) {
            if (b.reconError()[r] < 0f || b.centeredSqNorm()[r] < 0f) {
                return "negative recon_error " + b.reconError()[r] + " or centered_sq_norm " + b.centeredSqNorm()[r]
                        + " at row " + r;
            }
        }
        return null;
    }

    @Override
    public void close() {
        if (deserializer != null) {
            deserializer.close();
        }
    }
}

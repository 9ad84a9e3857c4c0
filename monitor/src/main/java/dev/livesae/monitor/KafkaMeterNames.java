package dev.livesae.monitor;

import java.util.regex.Pattern;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;

/**
 * Makes the Kafka client and Streams meters ({@code KafkaStreamsMetrics}) pass {@code promtool check metrics}.
 * Only names starting with {@code kafka.} are touched:
 * <ul>
 *   <li>meters in nanoseconds or milliseconds ({@code *.time.ns.total}, {@code start.time.ms}, about 25 of them)
 *       are dropped: a filter cannot convert their values to seconds, and renaming them would lie;</li>
 *   <li>gauges named {@code *.connection.count} become {@code *.connections} ({@code _count} is for summaries);</li>
 *   <li>meters without a description get one naming the Kafka metric.</li>
 * </ul>
 */
final class KafkaMeterNames implements MeterFilter {
    private static final Pattern ABBREVIATED_TIME = Pattern.compile("(^|\\.)(ns|ms)(\\.|$)");

    @Override
    public MeterFilterReply accept(Meter.Id id) {
        return id.getName().startsWith("kafka.") && ABBREVIATED_TIME.matcher(id.getName()).find()
                ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
    }

    @Override
    public Meter.Id map(Meter.Id id) {
        String name = id.getName();
        if (!name.startsWith("kafka.")) {
            return id;
        }
        String renamed = name.endsWith(".connection.count")
                ? name.substring(0, name.length() - ".connection.count".length()) + ".connections" : name;
        String description = id.getDescription() == null || id.getDescription().isBlank()
                ? "Kafka client metric " + name : id.getDescription();
        if (renamed.equals(name) && description.equals(id.getDescription())) {
            return id;
        }
        return new Meter.Id(renamed, Tags.of(id.getTagsAsIterable()), id.getBaseUnit(), description, id.getType());
    }
}

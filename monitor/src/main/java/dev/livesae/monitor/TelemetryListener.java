package dev.livesae.monitor;

/** Receives every closed window and drift event in-process (the service keeps the latest per stream). */
public interface TelemetryListener {
    TelemetryListener NONE = new TelemetryListener() {
    };

    default void onWindow(WindowSummary summary) {
    }

    default void onDrift(DriftEvent event) {
    }
}

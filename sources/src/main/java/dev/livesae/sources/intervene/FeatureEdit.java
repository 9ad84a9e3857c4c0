package dev.livesae.sources.intervene;

import java.util.Locale;

/**
 * One change to one SAE latent j, applied to its code z_j on every token of a request:
 * <ul>
 *   <li>{@code ablate}: z_j' = 0;</li>
 *   <li>{@code clamp}: z_j' = value (also where j did not fire);</li>
 *   <li>{@code scale}: z_j' = value * z_j;</li>
 *   <li>{@code steer}: z_j' = z_j + value, i.e. x gains value * W_dec[j].</li>
 * </ul>
 * The activation then becomes x' = x + sum_j (z_j' - z_j) W_dec[j], which is x_hat(z') + (x - x_hat(z)): the
 * SAE's error term is kept, so only the chosen features change.
 *
 * @param kind   what to do
 * @param latent the latent j
 * @param value  the clamp value, scale factor or steering coefficient (ignored for ablate)
 */
public record FeatureEdit(Kind kind, int latent, float value) {

    public enum Kind {
        ABLATE, CLAMP, SCALE, STEER;

        /** Lower-case name, as in flags and metric tags. */
        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public FeatureEdit {
        if (kind == null) {
            throw new IllegalArgumentException("FeatureEdit.kind must not be null");
        }
        if (latent < 0) {
            throw new IllegalArgumentException("FeatureEdit.latent must be >= 0 (got " + latent + ")");
        }
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException("FeatureEdit.value must be finite (got " + value + ")");
        }
    }

    public static FeatureEdit ablate(int latent) {
        return new FeatureEdit(Kind.ABLATE, latent, 0f);
    }

    public static FeatureEdit clamp(int latent, float value) {
        return new FeatureEdit(Kind.CLAMP, latent, value);
    }

    public static FeatureEdit scale(int latent, float factor) {
        return new FeatureEdit(Kind.SCALE, latent, factor);
    }

    public static FeatureEdit steer(int latent, float coefficient) {
        return new FeatureEdit(Kind.STEER, latent, coefficient);
    }

    /** The latent's new code given its current one. */
    public float apply(float z) {
        return switch (kind) {
            case ABLATE -> 0f;
            case CLAMP -> value;
            case SCALE -> value * z;
            case STEER -> z + value;
        };
    }

    /**
     * Parses {@code ablate:J}, {@code clamp:J=V}, {@code scale:J=F} or {@code steer:J=C}; {@code flag} names the
     * option in the error message.
     */
    public static FeatureEdit parse(String s, String flag) {
        String bad = flag + " must be ablate:LATENT, clamp:LATENT=VALUE, scale:LATENT=FACTOR or steer:LATENT=COEFFICIENT (got '" + s + "')";
        if (s == null) {
            throw new IllegalArgumentException(bad);
        }
        int colon = s.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException(bad);
        }
        Kind kind;
        try {
            kind = Kind.valueOf(s.substring(0, colon).trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(bad);
        }
        String rest = s.substring(colon + 1).trim();
        int eq = rest.indexOf('=');
        if ((kind == Kind.ABLATE) != (eq < 0)) {
            throw new IllegalArgumentException(bad);
        }
        try {
            int latent = Integer.parseInt(eq < 0 ? rest : rest.substring(0, eq).trim());
            float value = eq < 0 ? 0f : Float.parseFloat(rest.substring(eq + 1).trim());
            return new FeatureEdit(kind, latent, value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(bad);
        }
    }

    @Override
    public String toString() {
        return kind.tag() + ":" + latent + (kind == Kind.ABLATE ? "" : "=" + value);
    }
}

package dev.livesae.wire;

import java.util.List;
import java.util.Map;

import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Column names, metadata keys and the two Arrow schemas of the contract (docs/wire-format.md). */
public final class WireSchema {
    public static final String KEY_SCHEMA = "livesae.schema";
    public static final String KEY_VERSION = "livesae.schema_version";
    public static final String KEY_MODEL = "livesae.model";
    public static final String KEY_HOOKPOINT = "livesae.hookpoint";
    public static final String KEY_D_IN = "livesae.d_in";
    public static final String KEY_SAE_ID = "livesae.sae_id";
    public static final String KEY_DICTIONARY_VERSION = "livesae.dictionary_version";
    public static final String KEY_D_SAE = "livesae.d_sae";
    public static final String KEY_K = "livesae.k";

    public static final String ACTIVATION_SCHEMA = "livesae.activation_batch";
    public static final String CODE_SCHEMA = "livesae.code_batch";
    public static final int VERSION = 1;

    public static final String SEQUENCE_ID = "sequence_id";
    public static final String POSITION = "position";
    public static final String TOKEN_ID = "token_id";
    public static final String ACTIVATION = "activation";
    public static final String LATENT_INDEX = "latent_index";
    public static final String LATENT_VALUE = "latent_value";
    public static final String RECON_ERROR = "recon_error";
    public static final String CENTERED_SQ_NORM = "centered_sq_norm";
    /** Name of the child field inside each fixed-size list. */
    public static final String ITEM = "item";

    static final ArrowType INT64 = new ArrowType.Int(64, true);
    static final ArrowType INT32 = new ArrowType.Int(32, true);
    static final ArrowType FLOAT32 = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);

    private WireSchema() {}

    public static Schema activation(ActivationMeta meta) {
        return new Schema(List.of(
                required(SEQUENCE_ID, INT64),
                required(POSITION, INT32),
                new Field(TOKEN_ID, FieldType.nullable(INT32), null),
                fixedList(ACTIVATION, meta.dIn(), FLOAT32)),
                Map.of(KEY_SCHEMA, ACTIVATION_SCHEMA,
                        KEY_VERSION, Integer.toString(VERSION),
                        KEY_MODEL, meta.model(),
                        KEY_HOOKPOINT, meta.hookpoint(),
                        KEY_D_IN, Integer.toString(meta.dIn())));
    }

    public static Schema code(CodeMeta meta) {
        return new Schema(List.of(
                required(SEQUENCE_ID, INT64),
                required(POSITION, INT32),
                new Field(TOKEN_ID, FieldType.nullable(INT32), null),
                fixedList(LATENT_INDEX, meta.k(), INT32),
                fixedList(LATENT_VALUE, meta.k(), FLOAT32),
                required(RECON_ERROR, FLOAT32),
                required(CENTERED_SQ_NORM, FLOAT32)),
                Map.of(KEY_SCHEMA, CODE_SCHEMA,
                        KEY_VERSION, Integer.toString(VERSION),
                        KEY_MODEL, meta.model(),
                        KEY_HOOKPOINT, meta.hookpoint(),
                        KEY_D_IN, Integer.toString(meta.dIn()),
                        KEY_SAE_ID, meta.saeId(),
                        KEY_DICTIONARY_VERSION, Long.toString(meta.dictionaryVersion()),
                        KEY_D_SAE, Integer.toString(meta.dSae()),
                        KEY_K, Integer.toString(meta.k())));
    }

    private static Field required(String name, ArrowType type) {
        return new Field(name, FieldType.notNullable(type), null);
    }

    private static Field fixedList(String name, int width, ArrowType item) {
        return new Field(name, FieldType.notNullable(new ArrowType.FixedSizeList(width)),
                List.of(new Field(ITEM, FieldType.notNullable(item), null)));
    }
}

package dev.agentstore.persistence.support;

import java.lang.reflect.Array;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The bound arrays of one batch statement over {@code unnest(:a, :b, ...)} ({@code INSERT ... SELECT ... FROM
 * unnest(...)}, {@code UPDATE ... FROM unnest(...)}): one array a column, one element a row, so a batch of any size
 * is one statement with one fixed text. The element type of each array ({@code String}, {@code Integer},
 * {@code Long}) gives its SQL array type ({@code text[]}, {@code int4[]}, {@code int8[]}); the statement casts
 * text to {@code jsonb} or {@code timestamptz} where it needs to.
 *
 * <pre>{@code
 * Map<String, Object> values = UnnestColumns.rows(events.size())
 *         .column("runIds", String.class, i -> events.get(i).runId())
 *         .column("attempts", Integer.class, i -> events.get(i).attempt())
 *         .values();
 * h.createUpdate(INSERT_ALL).bindMap(values).execute();
 * }</pre>
 *
 * <p>Not thread-safe: build, bind, discard.
 */
public final class UnnestColumns {

    private final int rows;
    private final Map<String, Object> values = new LinkedHashMap<>();

    private UnnestColumns(int rows) {
        this.rows = rows;
    }

    /**
     * Starts the arrays of a batch.
     *
     * @param rows how many rows the batch has, at least 0
     * @return an empty set of columns
     * @throws IllegalArgumentException when {@code rows} is negative
     */
    public static UnnestColumns rows(int rows) {
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be at least 0, was " + rows);
        }
        return new UnnestColumns(rows);
    }

    /**
     * Adds one column: an array of {@code type} holding {@code value.apply(i)} for each row {@code i}, in order.
     *
     * @param name  the statement's parameter name
     * @param type  the array's element type
     * @param value the row's value (may be {@code null}: SQL {@code NULL}); an exception it throws propagates, and
     *              nothing has been sent
     * @param <V>   the element type
     * @return this
     */
    public <V> UnnestColumns column(String name, Class<V> type, IntFunction<? extends V> value) {
        @SuppressWarnings("unchecked")
        V[] array = (V[]) Array.newInstance(type, rows);
        for (int i = 0; i < rows; i++) {
            array[i] = value.apply(i);
        }
        values.put(name, array);
        return this;
    }

    /** @return the parameters by name, in the order added; mutable, so that scalar parameters can join them */
    public Map<String, Object> values() {
        return values;
    }
}

package dev.agentstore.persistence.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * How a value compares, chosen from its Java type: the SQL type a filter casts the field to, and the type of a plain
 * column in a {@link FieldMap}.
 *
 * <table>
 *   <caption>Java types and what they compare as</caption>
 *   <tr><th>Java value</th><th>kind</th><th>bound as</th><th>JSONB field read as</th></tr>
 *   <tr><td>{@code String}, JSON string node</td><td>{@link #TEXT}</td><td>{@code String}</td>
 *       <td>its text ({@code ->>}); a JSON number {@code 10} reads as {@code "10"}</td></tr>
 *   <tr><td>any {@code Number} (not NaN or infinite), JSON number node</td><td>{@link #NUMBER}</td>
 *       <td>{@code BigDecimal}</td><td>{@code numeric} when it is a JSON number, else no match</td></tr>
 *   <tr><td>{@code Boolean}, JSON boolean node</td><td>{@link #BOOLEAN}</td><td>{@code Boolean}</td>
 *       <td>{@code boolean} when it is a JSON boolean, else no match</td></tr>
 *   <tr><td>{@code Instant}, {@code OffsetDateTime}, {@code ZonedDateTime}</td><td>{@link #TIMESTAMP}</td>
 *       <td>{@code OffsetDateTime} in UTC</td><td>{@code timestamptz} when it is a string starting
 *       {@code YYYY-MM-DD}, else no match</td></tr>
 *   <tr><td>{@code LocalDate}</td><td>{@link #DATE}</td><td>{@code LocalDate}</td>
 *       <td>{@code date} when it is a string starting {@code YYYY-MM-DD}, else no match</td></tr>
 * </table>
 *
 * {@code LocalDateTime} is rejected (it names no instant); a Java {@code null} is not a value of any kind:
 * {@link Filter#eq} and {@link Filter#neq} turn it into a null test ({@link Filter.IsNull}), every other operator
 * rejects it.
 */
public enum ValueKind {
    /** Text, compared with the database collation; bound as {@code String}. */
    TEXT("text"),
    /** Numbers, compared numerically ({@code 10 > 9}); bound as {@code BigDecimal}. */
    NUMBER("numeric"),
    /** Booleans; bound as {@code Boolean}. */
    BOOLEAN("boolean"),
    /** Instants, compared as {@code timestamptz}; bound as {@code OffsetDateTime} in UTC. */
    TIMESTAMP("timestamptz"),
    /** Calendar dates, compared as {@code date}; bound as {@code LocalDate}. */
    DATE("date");

    private final String sqlType;

    ValueKind(String sqlType) {
        this.sqlType = sqlType;
    }

    /** @return the PostgreSQL type values of this kind are cast to, for example {@code numeric} */
    public String sqlType() {
        return sqlType;
    }

    /**
     * @param value a filter value
     * @return its kind
     * @throws InvalidInputException when the value is {@code null} or of an unsupported type (see the table above)
     */
    public static ValueKind of(Object value) {
        return kindOf(normalize("value", value));
    }

    /**
     * Converts a filter value to what is bound: {@code String}, {@code BigDecimal}, {@code Boolean},
     * {@code OffsetDateTime} (UTC) or {@code LocalDate}.
     *
     * @param parameter the parameter's name, for the message
     * @param value     the value
     * @return the value to bind
     * @throws InvalidInputException when the value is {@code null}, a NaN or infinite number, a string containing
     *                               the NUL character or an unpaired UTF-16 surrogate, a time outside PostgreSQL's
     *                               timestamptz range, or of an unsupported type; the message never quotes the value
     */
    static Object normalize(String parameter, Object value) {
        if (value == null) {
            throw new InvalidInputException(parameter + " must not be null (eq/neq take null: JSON null or a"
                    + " missing key; use exists/notExists for presence, isJsonNull for JSON null only)");
        }
        if (value instanceof JsonNode node) {
            if (node.isTextual()) {
                return normalize(parameter, node.textValue());
            }
            if (node.isNumber()) {
                return node.decimalValue();
            }
            if (node.isBoolean()) {
                return node.booleanValue();
            }
            throw new InvalidInputException(parameter + " must be a JSON string, number or boolean, was "
                    + node.getNodeType().name().toLowerCase());
        }
        if (value instanceof String s) {
            return Check.noNul(parameter, s);
        }
        if (value instanceof Boolean) {
            return value;
        }
        if (value instanceof BigDecimal d) {
            return d;
        }
        if (value instanceof BigInteger i) {
            return new BigDecimal(i);
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return BigDecimal.valueOf(((Number) value).longValue());
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new InvalidInputException(parameter + " must be a finite number (not NaN or Infinity)");
            }
            return new BigDecimal(value.toString());
        }
        if (value instanceof Number n) {
            try {
                return new BigDecimal(n.toString());
            } catch (NumberFormatException e) {
                throw new InvalidInputException(parameter + " must be a finite number", e);
            }
        }
        if (value instanceof Instant i) {
            return OffsetDateTime.ofInstant(Check.instant(parameter, i), ZoneOffset.UTC);
        }
        if (value instanceof OffsetDateTime o) {
            return OffsetDateTime.ofInstant(Check.instant(parameter, o.toInstant()), ZoneOffset.UTC);
        }
        if (value instanceof ZonedDateTime z) {
            return OffsetDateTime.ofInstant(Check.instant(parameter, z.toInstant()), ZoneOffset.UTC);
        }
        if (value instanceof LocalDate d) {
            Check.instant(parameter, d.atStartOfDay(ZoneOffset.UTC).toInstant());
            return value;
        }
        throw new InvalidInputException(parameter + " must be a String, Number, Boolean, Instant, OffsetDateTime,"
                + " ZonedDateTime, LocalDate or a JSON scalar, was " + value.getClass().getName());
    }

    /**
     * @param normalized a value returned by {@link #normalize}
     * @return its kind
     */
    static ValueKind kindOf(Object normalized) {
        if (normalized instanceof String) {
            return TEXT;
        }
        if (normalized instanceof BigDecimal) {
            return NUMBER;
        }
        if (normalized instanceof Boolean) {
            return BOOLEAN;
        }
        if (normalized instanceof OffsetDateTime) {
            return TIMESTAMP;
        }
        return DATE;
    }

    /** @return whether a filter value means null: Java {@code null} or a JSON null (or missing) node */
    static boolean isNull(Object value) {
        return value == null || value instanceof JsonNode node && (node.isNull() || node.isMissingNode());
    }

    /** @return a modifiable copy of a filter's value list */
    static List<Object> copy(List<?> values) {
        Check.notNull("values", values);
        return new ArrayList<>(values);
    }

    /** @throws InvalidInputException when the normalized values are not all of one kind */
    static void sameKind(FieldPath path, List<Object> normalized) {
        ValueKind first = null;
        for (Object v : normalized) {
            ValueKind k = kindOf(v);
            if (first == null) {
                first = k;
            } else if (k != first) {
                throw new InvalidInputException("values of " + path + " must all be of one kind, found " + first
                        + " and " + k);
            }
        }
    }
}

package dev.agentstore.persistence.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.json.JsonLimits;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A condition on fields named by {@link FieldPath dot paths}: comparisons, set membership, patterns, presence, JSONB
 * containment, and their {@link And AND} / {@link Or OR} / {@link Not NOT} composition. Immutable; build with the
 * static factories, for example
 *
 * <pre>{@code
 * Filter f = Filter.and(
 *         Filter.eq("data.status", "active"),
 *         Filter.gte("data.age", 18),                                  // numeric: 10 > 9
 *         Filter.lt("data.signedUpAt", Instant.parse("2024-01-01T00:00:00Z")),
 *         Filter.or(Filter.in("metadata.source", List.of("web", "app")), Filter.notExists("metadata.source")),
 *         Filter.not(Filter.regex("data.email", "@example\\.(com|org)$")),
 *         Filter.contains("data.tags", List.of("vip")));                // JSONB @>, uses the GIN index
 * }</pre>
 *
 * <p><b>Types.</b> The value's Java type chooses how the field is compared ({@link ValueKind}): a {@code Number}
 * compares the field as {@code numeric}, an {@code Instant}/{@code OffsetDateTime} as {@code timestamptz}, a
 * {@code LocalDate} as {@code date}, a {@code Boolean} as {@code boolean}, a {@code String} as text. A JSONB field
 * whose JSON type does not fit (the string {@code "abc"} compared with a number) does not match; it never makes the
 * query fail. {@code like}, {@code notLike} and {@code regex} match JSON strings only, never a number, boolean,
 * object or array. Values are always bound parameters.
 *
 * <p><b>Null.</b> {@code eq(path, null)} matches JSON {@code null} and a missing key (a plain column: SQL
 * {@code NULL}); {@code neq(path, null)}, its exact complement, a present value that is not JSON {@code null};
 * {@link #isJsonNull} only JSON {@code null}. Other operators take no {@code null}.
 *
 * <p><b>Absent fields and NOT.</b> A comparison ({@code eq}, {@code neq}, {@code gt}..., {@code in}, {@code notIn},
 * {@code like}, {@code notLike}, {@code regex}, {@code between}) matches only rows where the field is present with a
 * value of the compared type; so {@code neq("data.x", 1)} and {@code notIn} do not match rows without {@code data.x}.
 * {@link #not(Filter)} is the exact complement of its operand: {@code not(eq("data.x", 1))} matches every row that
 * {@code eq} does not, including rows without {@code data.x}. {@link #exists} is true when the key is present, even
 * with the JSON value {@code null}.
 */
public sealed interface Filter permits Filter.Compare, Filter.In, Filter.Between, Filter.Exists, Filter.IsNull,
        Filter.Contains, Filter.And, Filter.Or, Filter.Not {

    /** Most values in one {@code in}/{@code notIn} list: 1,000. */
    int MAX_IN_VALUES = 1_000;

    /** Comparison operators of {@link Compare}. */
    enum Op {
        /** Equal ({@code =}). */
        EQ("="),
        /** Not equal ({@code <>}); matches only rows where the field is present with a comparable value. */
        NEQ("<>"),
        /** Greater than. */
        GT(">"),
        /** Greater than or equal. */
        GTE(">="),
        /** Less than. */
        LT("<"),
        /** Less than or equal. */
        LTE("<="),
        /** SQL {@code LIKE} on text: {@code %} any run, {@code _} one character, {@code \} escapes; case-sensitive. */
        LIKE("LIKE"),
        /** SQL {@code NOT LIKE} on text; matches only rows where the field is present. */
        NOT_LIKE("NOT LIKE"),
        /** PostgreSQL POSIX regular expression match ({@code ~}) on text; {@code (?i)} at the start ignores case. */
        REGEX("~");

        private final String sql;

        Op(String sql) {
            this.sql = sql;
        }

        /** @return the SQL operator */
        public String sql() {
            return sql;
        }

        /** @return whether the operator works on text only ({@code LIKE}, {@code NOT LIKE}, {@code ~}) */
        public boolean textOnly() {
            return this == LIKE || this == NOT_LIKE || this == REGEX;
        }
    }

    /**
     * {@code path op value}.
     *
     * @param path  the field
     * @param op    the operator
     * @param value the normalized value: {@code String}, {@code BigDecimal}, {@code Boolean}, {@code OffsetDateTime}
     *              (UTC) or {@code LocalDate}
     */
    record Compare(FieldPath path, Op op, Object value) implements Filter {
        /**
         * @param path  the field
         * @param op    the operator
         * @param value the value (see {@link ValueKind}); normalized
         * @throws InvalidInputException when a part is {@code null}, the value has an unsupported type, or a text
         *                               operator gets a non-text value
         */
        public Compare {
            Check.notNull("path", path);
            Check.notNull("op", op);
            value = ValueKind.normalize("value of " + path, value);
            if (op.textOnly() && !(value instanceof String)) {
                throw new InvalidInputException(op + " on " + path + " needs a String value, was "
                        + value.getClass().getSimpleName());
            }
        }

        /** @return how the value compares */
        public ValueKind kind() {
            return ValueKind.kindOf(value);
        }

        /** @return the field and operator, never the value (which may be a secret), e.g. {@code meta.token EQ ?} */
        @Override
        public String toString() {
            return path + " " + op + " ?";
        }
    }

    /**
     * {@code path IN (values)} or, negated, {@code path NOT IN (values)}. All values are of one {@link ValueKind}.
     * An empty list matches no row ({@code in}) or every row where the field is present ({@code notIn}).
     *
     * @param path    the field
     * @param values  the normalized values, at most {@value #MAX_IN_VALUES}
     * @param negated whether this is {@code NOT IN}
     */
    record In(FieldPath path, List<Object> values, boolean negated) implements Filter {
        /**
         * @param path    the field
         * @param values  the values, one kind; normalized and copied
         * @param negated whether this is {@code NOT IN}
         * @throws InvalidInputException when a value is {@code null} or unsupported, the kinds differ, or there are
         *                               more than {@value #MAX_IN_VALUES} values
         */
        public In {
            Check.notNull("path", path);
            Check.notNull("values", values);
            if (values.size() > MAX_IN_VALUES) {
                throw new InvalidInputException("values of " + path + " must be at most " + MAX_IN_VALUES
                        + ", was " + values.size());
            }
            List<Object> normalized = new ArrayList<>(values.size());
            for (Object v : values) {
                normalized.add(ValueKind.normalize("value of " + path, v));
            }
            ValueKind.sameKind(path, normalized);
            values = List.copyOf(normalized);
        }

        /** @return how the values compare; {@link ValueKind#TEXT} for an empty list */
        public ValueKind kind() {
            return values.isEmpty() ? ValueKind.TEXT : ValueKind.kindOf(values.get(0));
        }

        /** @return the field, operator and number of values, never the values */
        @Override
        public String toString() {
            return path + (negated ? " NOT IN (" : " IN (") + values.size() + " values)";
        }
    }

    /**
     * {@code path BETWEEN low AND high}, both bounds inclusive and of one {@link ValueKind}.
     *
     * @param path the field
     * @param low  the normalized lower bound
     * @param high the normalized upper bound
     */
    record Between(FieldPath path, Object low, Object high) implements Filter {
        /**
         * @param path the field
         * @param low  the lower bound (inclusive)
         * @param high the upper bound (inclusive)
         * @throws InvalidInputException when a bound is {@code null} or unsupported, or the bounds' kinds differ
         */
        public Between {
            Check.notNull("path", path);
            low = ValueKind.normalize("low of " + path, low);
            high = ValueKind.normalize("high of " + path, high);
            ValueKind.sameKind(path, List.of(low, high));
        }

        /** @return how the bounds compare */
        public ValueKind kind() {
            return ValueKind.kindOf(low);
        }

        /** @return the field and operator, never the bounds */
        @Override
        public String toString() {
            return path + " BETWEEN ? AND ?";
        }
    }

    /**
     * Presence: true when the path is present (even with the JSON value {@code null}; for a plain column: not SQL
     * {@code NULL}), or, negated, when it is absent.
     *
     * @param path    the field
     * @param negated whether this is {@code notExists}
     */
    record Exists(FieldPath path, boolean negated) implements Filter {
        /**
         * @param path    the field
         * @param negated whether this is {@code notExists}
         * @throws InvalidInputException when {@code path} is {@code null}
         */
        public Exists {
            Check.notNull("path", path);
        }
    }

    /**
     * Null test: true where the path holds JSON {@code null} or, when {@code orMissing}, is absent (for a plain
     * column: SQL {@code NULL}); negated, the exact complement.
     *
     * @param path      the field
     * @param orMissing whether an absent key counts as null ({@code eq(path, null)}), or only JSON {@code null} does
     *                  ({@link #isJsonNull})
     * @param negated   whether this is the complement ({@code neq(path, null)}: present and not JSON {@code null})
     */
    record IsNull(FieldPath path, boolean orMissing, boolean negated) implements Filter {
        /** @throws InvalidInputException when {@code path} is {@code null} */
        public IsNull {
            Check.notNull("path", path);
        }

        /** @return the field and the test, e.g. {@code data.x IS NULL} */
        @Override
        public String toString() {
            return path + (negated ? " IS NOT" : " IS") + (orMissing ? " NULL" : " JSON NULL");
        }
    }

    /**
     * JSONB containment ({@code @>}): the value at the path contains {@code value}, as PostgreSQL defines it (an
     * object contains the given keys with contained values, recursively; an array contains the given elements, in
     * any order; a scalar equals). Rendered on the root column as {@code column @> '{"k1":{"k2":value}}'}, so a GIN
     * index on the column serves it.
     *
     * @param path  the field; its root must be a JSONB column
     * @param value the JSON value to look for (a copy)
     */
    record Contains(FieldPath path, JsonNode value) implements Filter {
        /**
         * @param path  the field
         * @param value any JSON value; copied
         * @throws InvalidInputException when a part is {@code null} or the value breaks {@link JsonLimits}' content
         *                               rules or exceeds its ceilings
         */
        public Contains {
            Check.notNull("path", path);
            Check.notNull("value", value);
            value = JsonLimits.CEILINGS.check("value of " + path, value.deepCopy());
        }

        /** @return a copy of the value */
        @Override
        public JsonNode value() {
            return value.deepCopy();
        }

        /** @return the field and operator, never the value */
        @Override
        public String toString() {
            return path + " CONTAINS ?";
        }
    }

    /**
     * All operands match; no operands match every row.
     *
     * @param filters the operands
     */
    record And(List<Filter> filters) implements Filter {
        /**
         * @param filters the operands; copied
         * @throws InvalidInputException when the list or an operand is {@code null}
         */
        public And {
            filters = List.copyOf(Check.noNulls("filters", filters));
        }
    }

    /**
     * At least one operand matches; no operands match no row.
     *
     * @param filters the operands
     */
    record Or(List<Filter> filters) implements Filter {
        /**
         * @param filters the operands; copied
         * @throws InvalidInputException when the list or an operand is {@code null}
         */
        public Or {
            filters = List.copyOf(Check.noNulls("filters", filters));
        }
    }

    /**
     * The exact complement of the operand: matches every row the operand does not match, including rows where the
     * operand's fields are absent.
     *
     * @param filter the operand
     */
    record Not(Filter filter) implements Filter {
        /**
         * @param filter the operand
         * @throws InvalidInputException when {@code filter} is {@code null}
         */
        public Not {
            Check.notNull("filter", filter);
        }
    }

    /** @return a filter that matches every row (an empty {@link And}) */
    static Filter all() {
        return new And(List.of());
    }

    /**
     * @param path  a dot path, for example {@code data.status}
     * @param value the value; its Java type chooses the comparison ({@link ValueKind}); {@code null} (or a JSON null
     *              node) tests for null ({@link IsNull}: JSON {@code null} or a missing key)
     * @return {@code path = value}
     * @throws InvalidInputException when the path or value is invalid
     */
    static Filter eq(String path, Object value) {
        return ValueKind.isNull(value) ? new IsNull(FieldPath.of(path), true, false)
                : new Compare(FieldPath.of(path), Op.EQ, value);
    }

    /**
     * @param path  a dot path
     * @param value the value; {@code null} (or a JSON null node) tests for a present value that is not JSON
     *              {@code null}, the exact complement of {@code eq(path, null)}
     * @return {@code path <> value} (only rows where the path is present with a comparable value)
     * @throws InvalidInputException when the path or value is invalid
     */
    static Filter neq(String path, Object value) {
        return ValueKind.isNull(value) ? new IsNull(FieldPath.of(path), true, true)
                : new Compare(FieldPath.of(path), Op.NEQ, value);
    }

    /**
     * @param path a dot path
     * @return true where the path holds JSON {@code null}, not where it is absent (a plain column: SQL {@code NULL})
     * @throws InvalidInputException when the path is invalid
     */
    static Filter isJsonNull(String path) {
        return new IsNull(FieldPath.of(path), false, false);
    }

    /** @return {@code path > value}; the path and value as for {@link #eq}, but not {@code null} */
    static Filter gt(String path, Object value) {
        return new Compare(FieldPath.of(path), Op.GT, value);
    }

    /** @return {@code path >= value}; the path and value as for {@link #eq}, but not {@code null} */
    static Filter gte(String path, Object value) {
        return new Compare(FieldPath.of(path), Op.GTE, value);
    }

    /** @return {@code path < value}; the path and value as for {@link #eq}, but not {@code null} */
    static Filter lt(String path, Object value) {
        return new Compare(FieldPath.of(path), Op.LT, value);
    }

    /** @return {@code path <= value}; the path and value as for {@link #eq}, but not {@code null} */
    static Filter lte(String path, Object value) {
        return new Compare(FieldPath.of(path), Op.LTE, value);
    }

    /**
     * @param path   a dot path
     * @param values the values, all of one kind, at most {@value #MAX_IN_VALUES}
     * @return {@code path IN (values)}; an empty list matches nothing
     * @throws InvalidInputException when the path or a value is invalid
     */
    static Filter in(String path, List<?> values) {
        return new In(FieldPath.of(path), ValueKind.copy(values), false);
    }

    /**
     * @param path   a dot path
     * @param values the values, all of one kind, at most {@value #MAX_IN_VALUES}
     * @return {@code path NOT IN (values)} (only rows where the path is present with a comparable value)
     * @throws InvalidInputException when the path or a value is invalid
     */
    static Filter notIn(String path, List<?> values) {
        return new In(FieldPath.of(path), ValueKind.copy(values), true);
    }

    /**
     * @param path    a dot path
     * @param pattern a SQL LIKE pattern ({@code %} any run, {@code _} one character, {@code \} escapes)
     * @return {@code path LIKE pattern} on the text of the field, case-sensitive
     * @throws InvalidInputException when the path or pattern is invalid
     */
    static Filter like(String path, String pattern) {
        return new Compare(FieldPath.of(path), Op.LIKE, pattern);
    }

    /**
     * @param path    a dot path
     * @param pattern a SQL LIKE pattern
     * @return {@code path NOT LIKE pattern} (only rows where the path is present)
     * @throws InvalidInputException when the path or pattern is invalid
     */
    static Filter notLike(String path, String pattern) {
        return new Compare(FieldPath.of(path), Op.NOT_LIKE, pattern);
    }

    /**
     * @param path  a dot path
     * @param regex a PostgreSQL POSIX regular expression (unanchored; {@code (?i)} at the start ignores case); an
     *              invalid expression fails the query with {@link InvalidInputException} from the repository
     * @return {@code path ~ regex} on the text of the field
     * @throws InvalidInputException when the path or regex is invalid
     */
    static Filter regex(String path, String regex) {
        return new Compare(FieldPath.of(path), Op.REGEX, regex);
    }

    /**
     * @param path a dot path
     * @return true where the path is present (even holding JSON {@code null})
     * @throws InvalidInputException when the path is invalid
     */
    static Filter exists(String path) {
        return new Exists(FieldPath.of(path), false);
    }

    /**
     * @param path a dot path
     * @return true where the path is absent
     * @throws InvalidInputException when the path is invalid
     */
    static Filter notExists(String path) {
        return new Exists(FieldPath.of(path), true);
    }

    /**
     * @param path a dot path
     * @param low  the lower bound, inclusive
     * @param high the upper bound, inclusive, of the same kind as {@code low}
     * @return {@code path BETWEEN low AND high}
     * @throws InvalidInputException when the path or a bound is invalid
     */
    static Filter between(String path, Object low, Object high) {
        return new Between(FieldPath.of(path), low, high);
    }

    /**
     * @param path  a dot path; its root must be a JSONB column ({@code data} alone tests the whole document)
     * @param value a {@link JsonNode} or a plain Java value converted with {@link Json#of} (maps, lists, strings,
     *              numbers, booleans; {@code null} is JSON {@code null})
     * @return JSONB containment ({@code @>}), served by a GIN index on the root column
     * @throws InvalidInputException when the path or value is invalid
     */
    static Filter contains(String path, Object value) {
        return new Contains(FieldPath.of(path), Json.of("value", value));
    }

    /**
     * @param filters the operands
     * @return a filter matching when all operands match (every row when there are none)
     * @throws InvalidInputException when an operand is {@code null}
     */
    static Filter and(Filter... filters) {
        return new And(Arrays.asList(Check.notNull("filters", filters)));
    }

    /**
     * @param filters the operands
     * @return a filter matching when at least one operand matches (no row when there are none)
     * @throws InvalidInputException when an operand is {@code null}
     */
    static Filter or(Filter... filters) {
        return new Or(Arrays.asList(Check.notNull("filters", filters)));
    }

    /**
     * @param filter the operand
     * @return the exact complement of {@code filter}
     * @throws InvalidInputException when {@code filter} is {@code null}
     */
    static Filter not(Filter filter) {
        return new Not(filter);
    }
}

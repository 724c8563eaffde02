package dev.agentstore.domain.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ValueNode;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The size and content policy for every JSON value agentstore writes, checked before anything is written so that
 * nothing is stored that cannot be read back.
 *
 * <p>Sizes are measured on the value <em>as PostgreSQL prints it</em> ({@code jsonb}'s text form, which is what every
 * read parses): lengths in UTF-16 characters (Java {@code char}s), numbers in plain notation ({@code 1e3} is read
 * back as {@code 1000}, four characters), containers with {@code jsonb}'s {@code ", "} and {@code ": "} separators.
 *
 * <ul>
 *   <li>{@code maxStringLength}: characters of one string value;</li>
 *   <li>{@code maxNumberLength}: characters of one number in plain notation, sign and decimal point included;</li>
 *   <li>{@code maxNameLength}: characters of one object member name;</li>
 *   <li>{@code maxNestingDepth}: nested objects and arrays ({@code {}} is depth 1, {@code [[1]]} depth 2);</li>
 *   <li>{@code maxDocumentLength}: characters of the whole value.</li>
 * </ul>
 *
 * <p>Each configured limit must lie between 1 and its ceiling ({@link #CEILINGS}). The reader ({@link Json#MAPPER},
 * also Hibernate's through {@code JsonFormatMapper}) accepts everything up to the ceilings, so whatever any store
 * wrote under any configuration reads back. The content rules are not configurable: strings and member names must
 * not contain U+0000 (PostgreSQL cannot store it) or an unpaired UTF-16 surrogate (it cannot be encoded in UTF-8;
 * the driver would store {@code ?}), and numbers must be finite (JSON has no NaN or Infinity).
 *
 * <p>Immutable and thread-safe.
 *
 * @param maxStringLength   characters of one string value, 1 to {@code CEILINGS.maxStringLength()}
 * @param maxNumberLength   characters of one number, 1 to {@code CEILINGS.maxNumberLength()}
 * @param maxNameLength     characters of one member name, 1 to {@code CEILINGS.maxNameLength()}
 * @param maxNestingDepth   nesting of objects and arrays, 1 to {@code CEILINGS.maxNestingDepth()}
 * @param maxDocumentLength characters of the whole value, 1 to {@code CEILINGS.maxDocumentLength()}
 */
public record JsonLimits(int maxStringLength, int maxNumberLength, int maxNameLength, int maxNestingDepth,
                         int maxDocumentLength) {

    /**
     * The largest limits that can be configured, and what the reader accepts. The document ceiling (32 MiB
     * characters) keeps a value well inside {@code jsonb}'s 268,435,455-byte limit per container (measured: at most
     * 4 stored bytes per printed character) and PostgreSQL's 1 GB per text value; the number ceiling (10,000) stays
     * below {@code numeric}'s 16,383 digits after the decimal point; the depth ceiling (256) stays below the
     * recursion that {@code jsonb_merge_patch} can do within PostgreSQL's default {@code max_stack_depth} of 2 MB
     * (measured: 394 levels).
     */
    public static final JsonLimits CEILINGS = new JsonLimits(33_554_432, 10_000, 1_000_000, 256, 33_554_432);

    /**
     * The defaults: Jackson's own reading defaults for strings (20,000,000), numbers (1,000) and names (50,000),
     * a nesting depth of 100 and the document ceiling (32 MiB characters).
     */
    public static final JsonLimits DEFAULTS = new JsonLimits(20_000_000, 1_000, 50_000, 100, 33_554_432);

    /** Hibernate/persistence-unit property holding {@link #maxStringLength()}. */
    public static final String MAX_STRING_LENGTH = "agentstore.json.max-string-length";
    /** Hibernate/persistence-unit property holding {@link #maxNumberLength()}. */
    public static final String MAX_NUMBER_LENGTH = "agentstore.json.max-number-length";
    /** Hibernate/persistence-unit property holding {@link #maxNameLength()}. */
    public static final String MAX_NAME_LENGTH = "agentstore.json.max-name-length";
    /** Hibernate/persistence-unit property holding {@link #maxNestingDepth()}. */
    public static final String MAX_NESTING_DEPTH = "agentstore.json.max-nesting-depth";
    /** Hibernate/persistence-unit property holding {@link #maxDocumentLength()}. */
    public static final String MAX_DOCUMENT_LENGTH = "agentstore.json.max-document-length";

    private static final Pattern SIMPLE_NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$-]{0,63}");
    private static final Pattern QUOTABLE_NAME = Pattern.compile("[\\x20-\\x7E&&[^\"\\\\]]{0,64}");

    /**
     * @throws InvalidInputException when a limit is below 1 or above its ceiling; the message names the limit
     */
    public JsonLimits {
        if (CEILINGS != null) { // null only while CEILINGS itself is built
            within("maxStringLength", maxStringLength, CEILINGS.maxStringLength);
            within("maxNumberLength", maxNumberLength, CEILINGS.maxNumberLength);
            within("maxNameLength", maxNameLength, CEILINGS.maxNameLength);
            within("maxNestingDepth", maxNestingDepth, CEILINGS.maxNestingDepth);
            within("maxDocumentLength", maxDocumentLength, CEILINGS.maxDocumentLength);
        }
    }

    private static void within(String name, int value, int ceiling) {
        if (value < 1 || value > ceiling) {
            throw new InvalidInputException("JSON limit " + name + " must be between 1 and " + ceiling + ", was " + value);
        }
    }

    /**
     * Reads the limits from persistence-unit (Hibernate) properties; absent ones keep their {@link #DEFAULTS}.
     *
     * @param properties the properties, for example {@code EntityManagerFactory.getProperties()}; values may be
     *                   strings or numbers
     * @return the limits
     * @throws InvalidInputException when a value is not an integer (the message names the property) or outside
     *                               1..ceiling (the message names the limit)
     */
    public static JsonLimits fromProperties(Map<String, ?> properties) {
        return new JsonLimits(
                property(properties, MAX_STRING_LENGTH, DEFAULTS.maxStringLength),
                property(properties, MAX_NUMBER_LENGTH, DEFAULTS.maxNumberLength),
                property(properties, MAX_NAME_LENGTH, DEFAULTS.maxNameLength),
                property(properties, MAX_NESTING_DEPTH, DEFAULTS.maxNestingDepth),
                property(properties, MAX_DOCUMENT_LENGTH, DEFAULTS.maxDocumentLength));
    }

    private static int property(Map<String, ?> properties, String name, int fallback) {
        Object value = properties == null ? null : properties.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            return value instanceof Number n ? Math.toIntExact(n.longValue()) : Integer.parseInt(value.toString().trim());
        } catch (NumberFormatException | ArithmeticException e) {
            throw new InvalidInputException("property " + name + " must be an integer", e);
        }
    }

    /**
     * @return these limits as persistence-unit properties ({@link #MAX_STRING_LENGTH}, ...), values as strings
     */
    public Map<String, String> toProperties() {
        return Map.of(MAX_STRING_LENGTH, Integer.toString(maxStringLength),
                MAX_NUMBER_LENGTH, Integer.toString(maxNumberLength),
                MAX_NAME_LENGTH, Integer.toString(maxNameLength),
                MAX_NESTING_DEPTH, Integer.toString(maxNestingDepth),
                MAX_DOCUMENT_LENGTH, Integer.toString(maxDocumentLength));
    }

    /**
     * Checks a value against these limits and the content rules, in one walk of the tree that stops at the first
     * violation. {@code null} (SQL NULL) passes.
     *
     * @param field the field's name, for the message (for example {@code metadata})
     * @param value the value
     * @return {@code value}
     * @throws InvalidInputException when a limit is exceeded or a content rule broken; the message names the field and
     *                               the path inside it (for example {@code metadata.notes[3]: string of 25000000
     *                               characters exceeds maxStringLength 20000000}), never the value
     */
    public JsonNode check(String field, JsonNode value) {
        if (value != null) {
            try {
                new Walk(null).walk(field, value);
            } catch (IOException e) {
                throw new UncheckedIOException("a check writes nothing", e);
            }
        }
        return value;
    }

    /**
     * A writer that {@link #check checks} each value and writes it to a Jackson generator in the same walk of the
     * tree, for callers that print many values (a batch's {@code COPY}). Not thread-safe: one per batch.
     *
     * @param out where the values go; when a check fails part of the value may have been written to it, so the
     *            caller sends nothing of what it wrote
     * @return the writer
     */
    public Writer writer(JsonGenerator out) {
        return new Writer(new Walk(Check.notNull("out", out)));
    }

    /** Checks and writes values in one walk; see {@link #writer}. Not thread-safe. */
    public static final class Writer {
        private final JsonLimits.Walk walk;

        private Writer(JsonLimits.Walk walk) {
            this.walk = walk;
        }

        /**
         * Checks {@code value} as {@link JsonLimits#check} does and writes it as one root value (no separator before
         * it, so set the generator's root value separator to {@code null} for values written one after another).
         *
         * @param field the field's name, for the message
         * @param value the value, not {@code null}
         * @throws InvalidInputException as {@link JsonLimits#check}
         * @throws IOException           when the generator fails
         */
        public void write(String field, JsonNode value) throws IOException {
            walk.walk(field, value);
        }
    }

    /**
     * {@link #check Checks} a value and prints it compactly for a statement parameter.
     *
     * @param field the field's name, for the message
     * @param value the value; {@code null} prints as JSON {@code null}
     * @return JSON text
     * @throws InvalidInputException as {@link #check}
     */
    public String print(String field, JsonNode value) {
        return Json.print(check(field, value == null ? NullNode.instance : value));
    }

    /** A walk of one value at a time: the path to the current node, the printed length so far, where it writes. */
    private final class Walk {
        private final JsonGenerator out;
        private final List<Object> path = new ArrayList<>();
        private String field;
        private long length;

        Walk(JsonGenerator out) {
            this.out = out;
        }

        void walk(String name, JsonNode value) throws IOException {
            field = name;
            path.clear();
            length = 0;
            value(value, 0);
        }

        void value(JsonNode node, int depth) throws IOException {
            switch (node.getNodeType()) {
                case OBJECT -> {
                    container(depth);
                    if (out != null) {
                        out.writeStartObject();
                    }
                    int i = 0;
                    for (Map.Entry<String, JsonNode> member : node.properties()) {
                        String name = member.getKey();
                        if (name.length() > maxNameLength) {
                            throw fail("member name of " + name.length() + " characters exceeds maxNameLength "
                                    + maxNameLength);
                        }
                        add(string(name, "member name"));
                        add(i == 0 ? 2 : 4); // ": " and, after the first member, ", "
                        if (out != null) {
                            out.writeFieldName(name);
                        }
                        path.add(name);
                        value(member.getValue(), depth + 1);
                        path.remove(path.size() - 1);
                        i++;
                    }
                    add(2);
                    if (out != null) {
                        out.writeEndObject();
                    }
                }
                case ARRAY -> {
                    container(depth);
                    if (out != null) {
                        out.writeStartArray();
                    }
                    for (int i = 0; i < node.size(); i++) {
                        add(i == 0 ? 0 : 2);
                        path.add(i);
                        value(node.get(i), depth + 1);
                        path.remove(path.size() - 1);
                    }
                    add(2);
                    if (out != null) {
                        out.writeEndArray();
                    }
                }
                case STRING -> {
                    String s = node.textValue();
                    if (s.length() > maxStringLength) {
                        throw fail("string of " + s.length() + " characters exceeds maxStringLength " + maxStringLength);
                    }
                    add(string(s, "string"));
                    if (out != null) {
                        out.writeString(s);
                    }
                }
                case NUMBER -> {
                    long n = numberLength(node);
                    if (n > maxNumberLength) {
                        throw fail("number of " + n + " characters (in plain notation) exceeds maxNumberLength "
                                + maxNumberLength);
                    }
                    add(n);
                    if (out != null) {
                        ((ValueNode) node).serialize(out, null); // numbers print without the provider
                    }
                }
                case BOOLEAN -> {
                    add(node.booleanValue() ? 4 : 5);
                    if (out != null) {
                        out.writeBoolean(node.booleanValue());
                    }
                }
                case NULL -> {
                    add(4);
                    if (out != null) {
                        out.writeNull();
                    }
                }
                case BINARY -> {
                    long n = 2 + 4L * ((((com.fasterxml.jackson.databind.node.BinaryNode) node).binaryValue().length + 2) / 3);
                    if (n - 2 > maxStringLength) {
                        throw fail("binary value of " + (n - 2) + " base64 characters exceeds maxStringLength "
                                + maxStringLength);
                    }
                    add(n);
                    if (out != null) {
                        out.writeBinary(node.binaryValue());
                    }
                }
                default -> throw fail("is a " + node.getNodeType().name().toLowerCase() + " node, not a JSON value");
            }
        }

        private void container(int depth) {
            if (depth + 1 > maxNestingDepth) {
                throw fail("nesting depth exceeds maxNestingDepth " + maxNestingDepth);
            }
        }

        /** Checks the content rules; returns the printed length with quotes and escapes. */
        private long string(String s, String what) {
            int plain = 0; // most strings are plain characters only: one tight loop over them
            while (plain < s.length() && plain(s.charAt(plain))) {
                plain++;
            }
            long n = 2 + plain;
            for (int i = plain; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == 0) {
                    throw fail(what + " contains the NUL character (\\u0000), which PostgreSQL cannot store");
                }
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    n += 2;
                    i++;
                } else if (Character.isSurrogate(c)) {
                    throw fail(what + " contains an unpaired UTF-16 surrogate at index " + i);
                } else if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
                    n += 2;
                } else if (c < 0x20) {
                    n += 6;
                } else {
                    n += 1;
                }
            }
            return n;
        }

        private static boolean plain(char c) {
            return c >= 0x20 && c != '"' && c != '\\' && (c < Character.MIN_SURROGATE || c > Character.MAX_SURROGATE);
        }

        private long numberLength(JsonNode node) {
            BigDecimal d;
            if (node.isDouble() || node.isFloat()) {
                double v = node.doubleValue();
                if (Double.isNaN(v) || Double.isInfinite(v)) {
                    throw fail("number is " + v + ", which JSON cannot represent");
                }
                d = new BigDecimal(node.isFloat() ? Float.toString(node.floatValue()) : Double.toString(v));
            } else if (node.isIntegralNumber() && node.canConvertToLong()) {
                return Long.toString(node.longValue()).length();
            } else {
                d = node.decimalValue();
            }
            return plainLength(d);
        }

        private void add(long n) {
            length += n;
            if (length > maxDocumentLength) {
                throw new InvalidInputException(field + ": document of more than " + maxDocumentLength
                        + " characters (as PostgreSQL prints it) exceeds maxDocumentLength " + maxDocumentLength);
            }
        }

        private InvalidInputException fail(String problem) {
            return new InvalidInputException(where() + ": " + problem);
        }

        private String where() {
            StringBuilder sb = new StringBuilder(field);
            for (Object segment : path) {
                if (segment instanceof Integer i) {
                    sb.append('[').append(i).append(']');
                } else if (SIMPLE_NAME.matcher((String) segment).matches()) {
                    sb.append('.').append(segment);
                } else if (QUOTABLE_NAME.matcher((String) segment).matches()) {
                    sb.append("[\"").append(segment).append("\"]");
                } else {
                    sb.append("[member of ").append(((String) segment).length()).append(" characters]");
                }
            }
            return sb.toString();
        }
    }

    /** Characters of {@code d} in plain notation as PostgreSQL's {@code numeric} prints it: sign, digits, point. */
    static long plainLength(BigDecimal d) {
        long precision = d.precision();
        long scale = d.scale();
        long sign = d.signum() < 0 ? 1 : 0;
        if (scale <= 0) {
            return sign + precision - scale;
        }
        return sign + (scale >= precision ? 2 + scale : precision + 1);
    }
}

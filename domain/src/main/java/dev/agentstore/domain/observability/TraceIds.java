package dev.agentstore.domain.observability;

import dev.agentstore.domain.InvalidInputException;

import java.util.UUID;

/**
 * W3C Trace Context identifiers as agentstore takes and hands them out, and as it stores them. A trace id is 16 bytes
 * written as 32 lower-case hex digits, a span id 8 bytes as 16 lower-case hex digits; neither may be all zeros (W3C's
 * invalid value). The table stores them in their byte sizes: a trace id as a PostgreSQL {@code uuid} (the same 16
 * bytes; {@link #traceUuid}) and a span id as a {@code bigint} (the 8 bytes as a signed 64-bit number;
 * {@link #spanLong}), which is what a JPQL or Criteria query on {@link Span} compares. Thread-safe, stateless.
 */
public final class TraceIds {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private TraceIds() {
    }

    /**
     * @param field the parameter's name, for the message
     * @param hex   the trace id
     * @return {@code hex}
     * @throws InvalidInputException when {@code hex} is not 32 lower-case hex digits or is all zeros
     */
    public static String requireTraceId(String field, String hex) {
        return require(field, hex, 32);
    }

    /**
     * @param field the parameter's name, for the message
     * @param hex   the span id
     * @return {@code hex}
     * @throws InvalidInputException when {@code hex} is not 16 lower-case hex digits or is all zeros
     */
    public static String requireSpanId(String field, String hex) {
        return require(field, hex, 16);
    }

    /**
     * @param field the parameter's name, for the message
     * @param hex   the trace id, or {@code null} where none is given
     * @return {@code hex}
     * @throws InvalidInputException when {@code hex} is not {@code null} and not a valid trace id
     */
    public static String optionalTraceId(String field, String hex) {
        return hex == null ? null : requireTraceId(field, hex);
    }

    /**
     * @param field the parameter's name, for the message
     * @param hex   the span id, or {@code null} where none is given
     * @return {@code hex}
     * @throws InvalidInputException when {@code hex} is not {@code null} and not a valid span id
     */
    public static String optionalSpanId(String field, String hex) {
        return hex == null ? null : requireSpanId(field, hex);
    }

    /**
     * @param hex a trace id, 32 lower-case hex digits
     * @return the same 16 bytes as a UUID (the column's value)
     * @throws InvalidInputException when {@code hex} is not a valid trace id
     */
    public static UUID traceUuid(String hex) {
        requireTraceId("traceId", hex);
        return parseTrace(hex);
    }

    /** {@link #traceUuid} of an id already checked (a {@link NewSpan}'s). */
    static UUID parseTrace(String hex) {
        return new UUID(Long.parseUnsignedLong(hex, 0, 16, 16), Long.parseUnsignedLong(hex, 16, 32, 16));
    }

    /** {@link #spanLong} of an id already checked (a {@link NewSpan}'s). */
    static long parseSpan(String hex) {
        return Long.parseUnsignedLong(hex, 16);
    }

    /**
     * @param hex a span id, 16 lower-case hex digits
     * @return the same 8 bytes as a signed 64-bit number (the column's value)
     * @throws InvalidInputException when {@code hex} is not a valid span id
     */
    public static long spanLong(String hex) {
        requireSpanId("spanId", hex);
        return Long.parseUnsignedLong(hex, 16);
    }

    /**
     * @param uuid a stored trace id
     * @return its 32 lower-case hex digits
     */
    public static String traceHex(UUID uuid) {
        char[] out = new char[32];
        hex(uuid.getMostSignificantBits(), out, 0);
        hex(uuid.getLeastSignificantBits(), out, 16);
        return new String(out);
    }

    /**
     * @param id a stored span id
     * @return its 16 lower-case hex digits
     */
    public static String spanHex(long id) {
        char[] out = new char[16];
        hex(id, out, 0);
        return new String(out);
    }

    private static void hex(long value, char[] out, int at) {
        for (int i = 15; i >= 0; i--) {
            out[at + i] = HEX[(int) (value & 0xF)];
            value >>>= 4;
        }
    }

    private static String require(String field, String hex, int digits) {
        if (hex == null || hex.length() != digits) {
            throw new InvalidInputException(field + " must be " + digits + " lower-case hex digits, was "
                    + (hex == null ? "null" : "a text of " + hex.length() + " characters"));
        }
        boolean zero = true;
        for (int i = 0; i < digits; i++) {
            char c = hex.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                throw new InvalidInputException(field + " must be " + digits + " lower-case hex digits; character "
                        + i + " is not one");
            }
            zero &= c == '0';
        }
        if (zero) {
            throw new InvalidInputException(field + " must not be all zeros (W3C's invalid id)");
        }
        return hex;
    }
}

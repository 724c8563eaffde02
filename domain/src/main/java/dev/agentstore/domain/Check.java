package dev.agentstore.domain;

import java.time.Instant;
import java.util.Collection;

/**
 * Argument checks shared by entities and repositories. Each method returns its argument when valid and
 * throws {@link InvalidInputException} naming the parameter otherwise, so invalid input is rejected before
 * anything is written.
 */
public final class Check {

    /** Maximum length of names and ids (flow names, run ids, trigger names, job ids, event types): 255 characters. */
    public static final int MAX_NAME_LENGTH = 255;

    private Check() {
    }

    /**
     * @param parameter the parameter's name, used in the message
     * @param value     the value to check
     * @return {@code value}
     * @throws InvalidInputException when {@code value} is {@code null}, blank, longer than {@link #MAX_NAME_LENGTH},
     *                               or contains the NUL character (U+0000) or an unpaired UTF-16 surrogate
     */
    public static String name(String parameter, String value) {
        return text(parameter, value, MAX_NAME_LENGTH);
    }

    /**
     * @param parameter the parameter's name, used in the message
     * @param value     the value to check
     * @param maxLength the largest accepted length in characters
     * @return {@code value}
     * @throws InvalidInputException when {@code value} is {@code null}, blank, longer than {@code maxLength}, or
     *                               contains the NUL character (U+0000) or an unpaired UTF-16 surrogate
     */
    public static String text(String parameter, String value, int maxLength) {
        if (value == null || value.isBlank()) {
            throw new InvalidInputException(parameter + " must not be blank");
        }
        if (value.length() > maxLength) {
            throw new InvalidInputException(parameter + " must be at most " + maxLength + " characters, was "
                    + value.length());
        }
        return noNul(parameter, value);
    }

    /**
     * Text PostgreSQL stores exactly: no NUL character (U+0000), which PostgreSQL cannot store in text or jsonb, and
     * no unpaired UTF-16 surrogate, which has no UTF-8 encoding (the driver would send {@code ?}, so two different
     * keys would become one).
     *
     * @param parameter the parameter's name, used in the message
     * @param value     the text to check, or {@code null}
     * @return {@code value}
     * @throws InvalidInputException when {@code value} contains U+0000 or an unpaired surrogate; the message names
     *                               the parameter and the index, never the value
     */
    public static String noNul(String parameter, String value) {
        if (value == null) {
            return null;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0) {
                throw new InvalidInputException(parameter + " must not contain the NUL character (\\u0000)");
            }
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidInputException(parameter + " must not contain an unpaired UTF-16 surrogate (at index "
                        + i + ")");
            }
        }
        return value;
    }

    /**
     * The earliest instant agentstore writes: 4713-01-01 00:00:00 UTC BC. PostgreSQL's {@code timestamptz} goes back
     * to 4714-11-24 BC, but the PostgreSQL JDBC driver writes an instant before 4713-01-01 BC as {@code -infinity},
     * so the instants of those 13 months could not be read back.
     */
    public static final Instant MIN_TIMESTAMP = Instant.parse("-4712-01-01T00:00:00Z");

    /** The latest instant PostgreSQL's {@code timestamptz} holds: 294276-12-31 23:59:59.999999 UTC. */
    public static final Instant MAX_TIMESTAMP = Instant.parse("+294276-12-31T23:59:59.999999Z");

    /**
     * @param parameter the parameter's name, used in the message
     * @param value     the instant to check, or {@code null}
     * @return {@code value}
     * @throws InvalidInputException when {@code value} lies outside PostgreSQL's {@code timestamptz} range
     *                               ({@link #MIN_TIMESTAMP} to {@link #MAX_TIMESTAMP}; {@code Instant.MIN} and
     *                               {@code Instant.MAX} are outside)
     */
    public static Instant instant(String parameter, Instant value) {
        if (value != null && (value.isBefore(MIN_TIMESTAMP) || value.isAfter(MAX_TIMESTAMP))) {
            throw new InvalidInputException(parameter + " must be between " + MIN_TIMESTAMP + " and " + MAX_TIMESTAMP
                    + " (PostgreSQL's timestamptz range), was " + value);
        }
        return value;
    }

    /**
     * As {@link #name(String, String)}, but {@code null} is accepted and returned.
     *
     * @param parameter the parameter's name, used in the message
     * @param value     the value to check, or {@code null}
     * @return {@code value}
     * @throws InvalidInputException when {@code value} is blank or longer than {@link #MAX_NAME_LENGTH}
     */
    public static String optionalName(String parameter, String value) {
        return value == null ? null : name(parameter, value);
    }

    /**
     * @param parameter the parameter's name, used in the message
     * @param value     the value to check
     * @param <T>       the value's type
     * @return {@code value}
     * @throws InvalidInputException when {@code value} is {@code null}
     */
    public static <T> T notNull(String parameter, T value) {
        if (value == null) {
            throw new InvalidInputException(parameter + " must not be null");
        }
        return value;
    }

    /**
     * @param parameter the parameter's name, used in the message
     * @param value     the value to check
     * @param min       smallest accepted value
     * @param max       largest accepted value
     * @return {@code value}
     * @throws InvalidInputException when {@code value} is outside {@code [min, max]}
     */
    public static int range(String parameter, int value, int min, int max) {
        if (value < min || value > max) {
            throw new InvalidInputException(parameter + " must be between " + min + " and " + max + ", was " + value);
        }
        return value;
    }

    /**
     * @param parameter the parameter's name, used in the message
     * @param value     the value to check
     * @return {@code value}
     * @throws InvalidInputException when {@code value} is negative
     */
    public static long notNegative(String parameter, long value) {
        if (value < 0) {
            throw new InvalidInputException(parameter + " must not be negative, was " + value);
        }
        return value;
    }

    /**
     * @param parameter the parameter's name, used in the message
     * @param values    the collection to check
     * @param <C>       the collection type
     * @return {@code values}
     * @throws InvalidInputException when {@code values} is {@code null} or contains {@code null}
     */
    public static <C extends Collection<?>> C noNulls(String parameter, C values) {
        notNull(parameter, values);
        for (Object v : values) {
            if (v == null) {
                throw new InvalidInputException(parameter + " must not contain null elements");
            }
        }
        return values;
    }

    /**
     * Checks a batch before anything is sent: present, without {@code null} elements, and not larger than a
     * repository's bound.
     *
     * @param parameter the parameter's name, used in the message
     * @param values    the batch
     * @param max       the most elements accepted
     * @param <C>       the collection type
     * @return {@code values}
     * @throws InvalidInputException when {@code values} is {@code null}, contains {@code null} or holds more than
     *                               {@code max} elements
     */
    public static <C extends Collection<?>> C batch(String parameter, C values, int max) {
        noNulls(parameter, values);
        if (values.size() > max) {
            throw new InvalidInputException(parameter + " must hold at most " + max + " elements, was "
                    + values.size());
        }
        return values;
    }

    /**
     * Describes a rejected text for an error message without quoting it: a rejected value may be a secret (a token
     * pasted into the wrong field), and messages never carry user values.
     *
     * @param value the rejected text
     * @return {@code null} or {@code "a text of N characters"}
     */
    public static String describe(String value) {
        return value == null ? "null" : "a text of " + value.length() + " characters";
    }
}

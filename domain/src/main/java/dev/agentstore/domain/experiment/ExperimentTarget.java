package dev.agentstore.domain.experiment;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.util.regex.Pattern;

/**
 * What an experiment runs: a definition's kind (for example {@code agent}, {@code workflow}, {@code scorer}), its id
 * and its version number. Stored as plain fields: the store does not check that the definition exists.
 *
 * @param kind    the definition kind: 1–64 characters, lowercase letters, digits, {@code -} and {@code _}, starting
 *                with a letter
 * @param id      the definition's id, 1–255 characters
 * @param version the definition's version number, 1 or more
 */
public record ExperimentTarget(String kind, String id, int version) {

    /** The pattern of {@link #kind()}. */
    public static final Pattern KIND = Pattern.compile("[a-z][a-z0-9_-]{0,63}");

    /** @throws InvalidInputException when a value is invalid; the message names it */
    public ExperimentTarget {
        if (kind == null || !KIND.matcher(kind).matches()) {
            throw new InvalidInputException("target kind must match " + KIND.pattern() + ", was "
                    + Check.describe(kind));
        }
        Check.name("target id", id);
        Check.range("target version", version, 1, Integer.MAX_VALUE);
    }
}

package dev.agentstore.persistence.query;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A validated dot path naming a field: a <em>root</em> (a JSONB column such as {@code data} or {@code metadata}, or a
 * plain column such as {@code id} or {@code created_at}, as a {@link FieldMap} defines) followed by zero or more
 * object keys inside a JSONB root, for example {@code data.address.city}.
 *
 * <p>Every segment must match {@code [A-Za-z_][A-Za-z0-9_]{0,62}} and a path has at most 16 segments (the whole
 * path matches {@value #PATTERN}). Nothing else is accepted: no quotes, spaces, dashes, array indexes or SQL, so a
 * path can never change the statement it is rendered into. Keys that do not fit the pattern (such as
 * {@code first-name}) can still be matched with {@link Filter#contains(String, Object) contains} on an enclosing
 * path, which binds the key as part of a JSON value.
 *
 * @param root the first segment
 * @param keys the object keys below the root, outermost first; empty for the root itself
 */
public record FieldPath(String root, List<String> keys) {

    /** The pattern a whole path must match: 1 to 16 dot-separated identifiers of at most 63 characters. */
    public static final String PATTERN = "[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62}){0,15}";

    private static final Pattern COMPILED = Pattern.compile(PATTERN);
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    /**
     * @param root the first segment
     * @param keys the keys below it
     * @throws InvalidInputException when a segment does not match the pattern or there are more than 16 segments
     */
    public FieldPath {
        if (root == null || !SEGMENT.matcher(root).matches()) {
            throw invalid(root);
        }
        keys = List.copyOf(keys == null ? List.of() : keys);
        if (keys.size() > 15) {
            throw invalid(root + "." + String.join(".", keys));
        }
        for (String key : keys) {
            if (!SEGMENT.matcher(key).matches()) {
                throw invalid(root + "." + String.join(".", keys));
            }
        }
    }

    /**
     * Parses and validates a dot path.
     *
     * @param path for example {@code data.user.age}
     * @return the path
     * @throws InvalidInputException when {@code path} is {@code null} or does not match {@value #PATTERN}; the
     *                               message quotes at most the first 80 characters
     */
    public static FieldPath of(String path) {
        if (path == null || path.length() > 1100 || !COMPILED.matcher(path).matches()) {
            throw invalid(path);
        }
        String[] segments = path.split("\\.");
        return new FieldPath(segments[0], Arrays.asList(segments).subList(1, segments.length));
    }

    /** @return whether the path names the root itself (no keys) */
    public boolean isRoot() {
        return keys.isEmpty();
    }

    /** @return the dot path, as given to {@link #of(String)} */
    @Override
    public String toString() {
        return keys.isEmpty() ? root : root + "." + String.join(".", keys);
    }

    private static InvalidInputException invalid(String path) {
        return new InvalidInputException("field path must be 1 to 16 dot-separated identifiers ([A-Za-z_][A-Za-z0-9_]*,"
                + " at most 63 characters each), was " + Check.describe(path) + " that does not match");
    }
}

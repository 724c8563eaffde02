package dev.agentstore.langchain4j;

import dev.agentstore.persistence.query.Filter;
import dev.langchain4j.store.embedding.filter.comparison.ContainsString;
import dev.langchain4j.store.embedding.filter.comparison.IsEqualTo;
import dev.langchain4j.store.embedding.filter.comparison.IsGreaterThan;
import dev.langchain4j.store.embedding.filter.comparison.IsGreaterThanOrEqualTo;
import dev.langchain4j.store.embedding.filter.comparison.IsIn;
import dev.langchain4j.store.embedding.filter.comparison.IsLessThan;
import dev.langchain4j.store.embedding.filter.comparison.IsLessThanOrEqualTo;
import dev.langchain4j.store.embedding.filter.comparison.IsNotEqualTo;
import dev.langchain4j.store.embedding.filter.comparison.IsNotIn;
import dev.langchain4j.store.embedding.filter.logical.And;
import dev.langchain4j.store.embedding.filter.logical.Not;
import dev.langchain4j.store.embedding.filter.logical.Or;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * LangChain4j's metadata {@link dev.langchain4j.store.embedding.filter.Filter} tree as agentstore's
 * {@link Filter} on the chunk's {@code payload} (where {@link MetadataJson} keeps the metadata), with LangChain4j's
 * semantics:
 * <ul>
 *   <li>{@code IsEqualTo}, {@code IsGreaterThan}, {@code IsGreaterThanOrEqualTo}, {@code IsLessThan},
 *       {@code IsLessThanOrEqualTo}, {@code IsIn}: the same comparison on {@code payload.<key>}; a chunk without the
 *       key, or with a value of another type, does not match;</li>
 *   <li>{@code IsNotEqualTo} and {@code IsNotIn}: the exact complement ({@code NOT} of the equality or membership),
 *       so a chunk without the key matches, as in LangChain4j;</li>
 *   <li>{@code ContainsString}: a case-sensitive {@code LIKE '%value%'} with {@code %}, {@code _} and {@code \}
 *       escaped;</li>
 *   <li>{@code And}, {@code Or}, {@code Not}: the same composition.</li>
 * </ul>
 * Numbers compare numerically whatever their Java type ({@code 1} equals {@code 1L} and {@code 1.0}); a
 * {@code float} with the digits of {@link Float#toString}, as it is stored; UUIDs as their text. Any other filter
 * class fails with {@link UnsupportedOperationException}: a filter is never dropped. Stateless and thread-safe.
 */
final class FilterMapping {

    /** A metadata key a filter can name: a {@code FieldPath} segment (no dots). */
    private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    private FilterMapping() {
    }

    /**
     * @param filter a LangChain4j filter
     * @return the equivalent agentstore filter
     * @throws UnsupportedOperationException when the tree holds a filter class this mapping does not know
     * @throws IllegalArgumentException      when a key cannot be named in a filter (see {@link #KEY}) or a value has
     *                                       an unsupported type
     */
    static Filter map(dev.langchain4j.store.embedding.filter.Filter filter) {
        if (filter instanceof IsEqualTo f) {
            return Filter.eq(path(f.key()), value(f.comparisonValue()));
        }
        if (filter instanceof IsNotEqualTo f) {
            return Filter.not(Filter.eq(path(f.key()), value(f.comparisonValue())));
        }
        if (filter instanceof IsGreaterThan f) {
            return Filter.gt(path(f.key()), value(f.comparisonValue()));
        }
        if (filter instanceof IsGreaterThanOrEqualTo f) {
            return Filter.gte(path(f.key()), value(f.comparisonValue()));
        }
        if (filter instanceof IsLessThan f) {
            return Filter.lt(path(f.key()), value(f.comparisonValue()));
        }
        if (filter instanceof IsLessThanOrEqualTo f) {
            return Filter.lte(path(f.key()), value(f.comparisonValue()));
        }
        if (filter instanceof IsIn f) {
            return Filter.in(path(f.key()), values(f.comparisonValues()));
        }
        if (filter instanceof IsNotIn f) {
            return Filter.not(Filter.in(path(f.key()), values(f.comparisonValues())));
        }
        if (filter instanceof ContainsString f) {
            return Filter.like(path(f.key()), "%" + escapeLike(f.comparisonValue()) + "%");
        }
        if (filter instanceof And f) {
            return Filter.and(map(f.left()), map(f.right()));
        }
        if (filter instanceof Or f) {
            return Filter.or(map(f.left()), map(f.right()));
        }
        if (filter instanceof Not f) {
            return Filter.not(map(f.expression()));
        }
        throw new UnsupportedOperationException("filter " + (filter == null ? "null" : filter.getClass().getName())
                + " is not supported by AgentStoreEmbeddingStore (supported: IsEqualTo, IsNotEqualTo, IsGreaterThan,"
                + " IsGreaterThanOrEqualTo, IsLessThan, IsLessThanOrEqualTo, IsIn, IsNotIn, ContainsString, And, Or,"
                + " Not)");
    }

    private static String path(String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("metadata key '" + key + "' cannot be used in a filter: keys must match "
                    + KEY.pattern());
        }
        return "payload." + key;
    }

    private static Object value(Object v) {
        return v instanceof UUID u ? u.toString() : v;
    }

    private static List<Object> values(Collection<?> values) {
        List<Object> out = new ArrayList<>(values.size());
        for (Object v : values) {
            out.add(value(v));
        }
        return out;
    }

    /** @return {@code s} with {@code \}, {@code %} and {@code _} escaped for {@code LIKE} (escape character {@code \}) */
    static String escapeLike(String s) {
        return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}

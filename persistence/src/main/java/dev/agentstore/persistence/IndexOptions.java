package dev.agentstore.persistence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.migrations.IndexDefinition;
import dev.agentstore.migrations.IndexMethod;
import jakarta.persistence.Table;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The index settings of an {@link AgentStoreConfig}, applied by {@link AgentStore#open(AgentStoreConfig)} when it
 * migrates ({@link AgentStoreConfig#autoMigrate()}):
 * {@code skipDefaultIndexes} keeps only the indexes constraints need
 * ({@link dev.agentstore.migrations.Migrations#skipDefaultIndexes(boolean)}; the others come later with
 * {@code store.migrations().createDefaultIndexes()}), and {@code indexes} are custom indexes created when missing
 * ({@link dev.agentstore.migrations.Indexes#ensure}: a different index under the same name is logged and left as it
 * is). Immutable.
 *
 * <pre>{@code
 * AgentStoreConfig.builder().url(url).indexOptions(IndexOptions.DEFAULTS.withSkipDefaultIndexes(true)
 *         .with(IndexDefinition.builder("memories_tenant_idx", "memories").column("metadata->>'tenant'").build()))
 * }</pre>
 *
 * <p>In the environment, {@code AGENTSTORE_SKIP_DEFAULT_INDEXES} is {@code true} or {@code false}, and
 * {@code AGENTSTORE_INDEXES} a JSON array of objects with the components of {@link IndexDefinition} ({@code name},
 * {@code table} and {@code columns} required; {@code method} {@code btree}, {@code hash}, {@code gin} or
 * {@code brin}; {@code unique}, {@code where}, {@code concurrently}):
 * {@code [{"name":"memories_tenant_idx","table":"memories","columns":["metadata->>'tenant'"]}]}.
 *
 * @param skipDefaultIndexes whether migrations leave out the default indexes
 * @param indexes            the custom indexes, each on one of agentstore's tables ({@link AgentStore#ENTITY_CLASSES})
 */
public record IndexOptions(boolean skipDefaultIndexes, List<IndexDefinition> indexes) {

    /** Default indexes created, no custom index. */
    public static final IndexOptions DEFAULTS = new IndexOptions(false, List.of());

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /**
     * @throws InvalidInputException when an index's table is not one of agentstore's
     * @throws NullPointerException  when {@code indexes} is or holds {@code null}
     */
    public IndexOptions {
        indexes = List.copyOf(indexes);
        indexes.forEach(IndexOptions::requireAgentStoreTable);
    }

    /**
     * @param skip whether migrations leave out the default indexes
     * @return these options with that setting
     */
    public IndexOptions withSkipDefaultIndexes(boolean skip) {
        return new IndexOptions(skip, indexes);
    }

    /**
     * @param index a custom index
     * @return these options with {@code index} added after the others
     * @throws InvalidInputException when its table is not one of agentstore's
     */
    public IndexOptions with(IndexDefinition index) {
        List<IndexDefinition> all = new ArrayList<>(indexes);
        all.add(Objects.requireNonNull(index, "index"));
        return new IndexOptions(skipDefaultIndexes, all);
    }

    /**
     * Overrides these options with the variables {@code AGENTSTORE_SKIP_DEFAULT_INDEXES} and {@code AGENTSTORE_INDEXES}
     * present in {@code env} (see the class comment); absent or blank variables leave a setting as it is.
     *
     * @param env the environment, usually {@link System#getenv()}
     * @return the options
     * @throws InvalidInputException naming the variable when one cannot be parsed or declares an invalid index
     */
    public IndexOptions applyEnvironment(Map<String, String> env) {
        IndexOptions options = this;
        String skip = env.get("AGENTSTORE_SKIP_DEFAULT_INDEXES");
        if (skip != null && !skip.isBlank()) {
            if (!skip.trim().equalsIgnoreCase("true") && !skip.trim().equalsIgnoreCase("false")) {
                throw new InvalidInputException("AGENTSTORE_SKIP_DEFAULT_INDEXES must be true or false, was "
                        + Check.describe(skip.trim()));
            }
            options = options.withSkipDefaultIndexes(Boolean.parseBoolean(skip.trim()));
        }
        String indexes = env.get("AGENTSTORE_INDEXES");
        if (indexes != null && !indexes.isBlank()) {
            options = new IndexOptions(options.skipDefaultIndexes(), parse("AGENTSTORE_INDEXES", indexes.trim()));
        }
        return options;
    }

    /** @return the names of agentstore's tables: the {@code @Table} names of {@link AgentStore#ENTITY_CLASSES} */
    static Set<String> agentStoreTables() {
        return AgentStore.ENTITY_CLASSES.stream().map(c -> c.getAnnotation(Table.class)).filter(Objects::nonNull)
                .map(Table::name).collect(Collectors.toUnmodifiableSet());
    }

    private static void requireAgentStoreTable(IndexDefinition index) {
        if (!agentStoreTables().contains(index.table())) {
            throw new InvalidInputException("indexes[" + index.name() + "].table: " + index.table() + " is not one of"
                    + " agentstore's tables " + agentStoreTables().stream().sorted().toList());
        }
    }

    /**
     * Parses {@code AGENTSTORE_INDEXES}.
     *
     * @param variable the variable's name, for messages
     * @param json     a JSON array of index objects (see the class comment)
     * @return the definitions, in order
     * @throws InvalidInputException naming the variable and what is wrong
     */
    private static List<IndexDefinition> parse(String variable, String json) {
        Declared[] declared;
        try {
            declared = JSON.readValue(json, Declared[].class);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException(variable + " must be a JSON array of objects with name, table, columns and"
                    + " optionally method, unique, where, concurrently: " + e.getOriginalMessage());
        }
        List<IndexDefinition> indexes = new ArrayList<>();
        for (Declared d : declared) {
            IndexMethod method = Arrays.stream(IndexMethod.values())
                    .filter(m -> d.method == null ? m == IndexMethod.BTREE : m.sqlName().equals(d.method)).findFirst()
                    .orElseThrow(() -> new InvalidInputException(variable + ": method is btree, hash, gin or brin"));
            if (d.columns == null || d.columns.contains(null)) {
                throw new InvalidInputException(variable + ": columns is an array of 1 to 32 texts");
            }
            try {
                IndexDefinition.Builder b = IndexDefinition.builder(d.name, d.table).method(method).unique(d.unique)
                        .where(d.where).concurrently(d.concurrently);
                d.columns.forEach(b::column);
                indexes.add(b.build());
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(variable + ": " + e.getMessage(), e);
            }
        }
        return indexes;
    }

    /** One object of {@code AGENTSTORE_INDEXES}. */
    private static final class Declared {
        public String name;
        public String table;
        public List<String> columns;
        public String method;
        public boolean unique;
        public String where;
        public boolean concurrently = true;
    }
}

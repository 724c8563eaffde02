package dev.agentstore.domain.knowledge;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.ReadOnlyEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import org.hibernate.annotations.Immutable;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A knowledge base (table {@code knowledge_bases}): a named set of
 * {@link Chunk}s whose embeddings all have one {@link #dimension()}, compared with one {@link Distance}, indexed by
 * one {@link IndexSpec} (HNSW, IVFFlat or none) over one {@link VectorType}.
 *
 * <p>All bases share the {@code chunks} table; each indexed base has its own <em>partial expression index</em> on it,
 * for example {@code USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE knowledge_base = 'docs'}. The
 * base's name therefore appears in SQL (index names, index predicates, and the matching predicate of searches): it
 * must match {@value #NAME_PATTERN}, which the database checks again.
 *
 * <p>Immutable except for the index ({@link #changeIndex}); the dimension, distance and vector type are fixed at
 * creation (changing them would invalidate every stored embedding or the index's operator class). The repository
 * ({@code KnowledgeRepository}) writes the table with SQL; this entity is the mapping for JPA users' reads (JPQL,
 * Criteria), read-only to JPA ({@link ReadOnlyEntity}), and holds the rules every write follows ({@link #create},
 * {@link #changeIndex}, {@link #requireName}, {@link #requireEmbedding}).
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "knowledge_bases")
public class KnowledgeBase {

    /** Names: a lower-case letter, then up to 47 lower-case letters, digits or underscores. */
    public static final String NAME_PATTERN = "^[a-z][a-z0-9_]{0,47}$";
    /** Longest name: 48 characters (so that derived index names stay within PostgreSQL's 63). */
    public static final int MAX_NAME_LENGTH = 48;
    /** Largest dimension: 16,000 (pgvector's limit for stored vectors). */
    public static final int MAX_DIMENSION = 16_000;

    /** Text-search configuration names: a lower-case letter, then up to 62 lower-case letters, digits or underscores. */
    public static final String TEXT_CONFIG_PATTERN = "^[a-z][a-z0-9_]{0,62}$";
    /**
     * The text-search configuration of a base created without one: {@code english} (stemming and English stop words;
     * measured against {@code simple} on the demo's questions, see {@code docs/knowledge.md}).
     */
    public static final String DEFAULT_TEXT_CONFIG = "english";

    private static final Pattern NAME = Pattern.compile(NAME_PATTERN);
    private static final Pattern TEXT_CONFIG = Pattern.compile(TEXT_CONFIG_PATTERN);

    @Id
    @Column(name = "name", length = MAX_NAME_LENGTH)
    private String name;

    @Column(name = "dimension", nullable = false)
    private int dimension;

    @Enumerated(EnumType.STRING)
    @Column(name = "distance", nullable = false, length = 16)
    private Distance distance;

    @Enumerated(EnumType.STRING)
    @Column(name = "vector_type", nullable = false, length = 16)
    private VectorType vectorType;

    @Enumerated(EnumType.STRING)
    @Column(name = "index_type", nullable = false, length = 16)
    private IndexType indexType;

    @Column(name = "hnsw_m")
    private Integer hnswM;

    @Column(name = "hnsw_ef_construction")
    private Integer hnswEfConstruction;

    @Column(name = "ivfflat_lists")
    private Integer ivfflatLists;

    @Column(name = "text_config", nullable = false, length = 63)
    private String textConfig;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    @Version
    private long version;

    /** For JPA. */
    protected KnowledgeBase() {
    }

    /**
     * A new knowledge base, validated.
     *
     * @param name       the name, matching {@value #NAME_PATTERN}
     * @param dimension  the embeddings' dimension, 1–{@value #MAX_DIMENSION}
     * @param distance   the metric
     * @param index      the index; an HNSW or IVFFlat index needs a dimension of at most 2,000 for {@code vector} and
     *                   4,000 for {@code halfvec}
     * @param vectorType the type of the index and the searches, or {@code null} for
     *                   {@link VectorType#defaultFor(int)} (so a 3,072-dimension base gets {@code halfvec})
     * @param now        the creation time (truncated to microseconds, PostgreSQL's precision)
     * @return the base, version 0, as the repository inserts it
     * @throws InvalidInputException when a parameter is invalid or the index cannot hold the dimension
     */
    public static KnowledgeBase create(String name, int dimension, Distance distance, IndexSpec index,
                                       VectorType vectorType, Instant now) {
        return create(name, dimension, distance, index, vectorType, DEFAULT_TEXT_CONFIG, now);
    }

    /**
     * A new knowledge base with a text-search configuration, validated.
     *
     * @param name       the name, matching {@value #NAME_PATTERN}
     * @param dimension  the embeddings' dimension, 1–{@value #MAX_DIMENSION}
     * @param distance   the metric
     * @param index      the index (see {@link #create(String, int, Distance, IndexSpec, VectorType, Instant)})
     * @param vectorType the vector type, or {@code null} for {@link VectorType#defaultFor(int)}
     * @param textConfig the PostgreSQL text-search configuration of full-text search ({@code english},
     *                   {@code simple}, …), matching {@value #TEXT_CONFIG_PATTERN}; the repository checks that the
     *                   database has it
     * @param now        the creation time (truncated to microseconds)
     * @return the base, version 0, as the repository inserts it
     * @throws InvalidInputException when a parameter is invalid or the index cannot hold the dimension
     */
    public static KnowledgeBase create(String name, int dimension, Distance distance, IndexSpec index,
                                       VectorType vectorType, String textConfig, Instant now) {
        requireName(name);
        requireTextConfig(textConfig);
        Check.range("dimension", dimension, 1, MAX_DIMENSION);
        Check.notNull("distance", distance);
        Check.notNull("index", index);
        Check.notNull("now", now);
        VectorType type = vectorType != null ? vectorType : VectorType.defaultFor(dimension);
        requireIndexable(name, dimension, type, index);
        KnowledgeBase kb = new KnowledgeBase();
        kb.name = name;
        kb.dimension = dimension;
        kb.distance = distance;
        kb.vectorType = type;
        kb.setIndex(index);
        kb.textConfig = textConfig;
        kb.createdAt = now.truncatedTo(ChronoUnit.MICROS);
        kb.updatedAt = kb.createdAt;
        return kb;
    }

    /**
     * A base as read from the database (for the repository, which reads rows with SQL); the database's constraints
     * have checked the values, so only the name and the index spec are validated again.
     *
     * @param name       the name
     * @param dimension  the dimension
     * @param distance   the metric
     * @param vectorType the vector type
     * @param index      the index spec
     * @param createdAt  when the base was created
     * @param updatedAt  when the base was created or its index last changed
     * @param version    its version
     * @return the base, not attached to any persistence context
     * @throws InvalidInputException when the name is invalid or a value is {@code null}
     */
    public static KnowledgeBase of(String name, int dimension, Distance distance, VectorType vectorType,
                                   IndexSpec index, Instant createdAt, Instant updatedAt, long version) {
        return of(name, dimension, distance, vectorType, index, DEFAULT_TEXT_CONFIG, createdAt, updatedAt, version);
    }

    /**
     * A base as read from the database, with its text-search configuration (see
     * {@link #of(String, int, Distance, VectorType, IndexSpec, Instant, Instant, long)}).
     *
     * @param name       the name
     * @param dimension  the dimension
     * @param distance   the metric
     * @param vectorType the vector type
     * @param index      the index spec
     * @param textConfig the text-search configuration
     * @param createdAt  when the base was created
     * @param updatedAt  when the base was created or its index last changed
     * @param version    its version
     * @return the base, not attached to any persistence context
     * @throws InvalidInputException when the name or the configuration is invalid or a value is {@code null}
     */
    public static KnowledgeBase of(String name, int dimension, Distance distance, VectorType vectorType,
                                   IndexSpec index, String textConfig, Instant createdAt, Instant updatedAt,
                                   long version) {
        KnowledgeBase kb = new KnowledgeBase();
        kb.textConfig = requireTextConfig(textConfig);
        kb.name = requireName(name);
        kb.dimension = dimension;
        kb.distance = Check.notNull("distance", distance);
        kb.vectorType = Check.notNull("vectorType", vectorType);
        kb.setIndex(Check.notNull("index", index));
        kb.createdAt = Check.notNull("createdAt", createdAt);
        kb.updatedAt = Check.notNull("updatedAt", updatedAt);
        kb.version = version;
        return kb;
    }

    /**
     * Replaces the index spec of this (detached) instance after checking it; the repository then writes the change
     * with SQL, drops the old index and builds the new one. Building after a bulk
     * load is faster than maintaining the index row by row: create with {@link IndexSpec#none()}, load, then change
     * to HNSW.
     *
     * @param index the new index
     * @param now   the current time
     * @throws InvalidInputException when the index cannot hold this base's dimension with its vector type
     */
    public void changeIndex(IndexSpec index, Instant now) {
        Check.notNull("index", index);
        Check.notNull("now", now);
        requireIndexable(name, dimension, vectorType, index);
        setIndex(index);
        updatedAt = now.truncatedTo(ChronoUnit.MICROS);
    }

    /** @return the name */
    public String name() {
        return name;
    }

    /** @return the dimension of every embedding in this base */
    public int dimension() {
        return dimension;
    }

    /** @return the metric, which also fixes the meaning of scores */
    public Distance distance() {
        return distance;
    }

    /** @return the type the index expression and the searches cast embeddings to */
    public VectorType vectorType() {
        return vectorType;
    }

    /** @return the index spec */
    public IndexSpec index() {
        return new IndexSpec(indexType, hnswM, hnswEfConstruction, ivfflatLists);
    }

    /**
     * @return the PostgreSQL text-search configuration of the base's full-text search ({@code english},
     *         {@code simple}, …), fixed at creation
     */
    public String textConfig() {
        return textConfig;
    }

    /** @return when the base was created */
    public Instant createdAt() {
        return createdAt;
    }

    /** @return when the base was created or its index last changed */
    public Instant updatedAt() {
        return updatedAt;
    }

    /** @return the optimistic-lock version: 0 when created, plus 1 on every index change */
    public long version() {
        return version;
    }

    /**
     * Checks an embedding for this base: {@link #dimension()} elements, all finite, and within ±65,504 when the base
     * uses {@code halfvec}.
     *
     * @param parameter what the embedding is, for the message (for example {@code embedding of chunk c-1})
     * @param embedding the embedding
     * @return {@code embedding}
     * @throws InvalidInputException when it is {@code null}, has the wrong dimension (the message names the expected
     *                               and the actual dimension), or has a NaN, infinite or out-of-range element
     */
    public float[] requireEmbedding(String parameter, float[] embedding) {
        Check.notNull(parameter, embedding);
        if (embedding.length != dimension) {
            throw new InvalidInputException(parameter + " has dimension " + embedding.length
                    + " but knowledge base '" + name + "' expects dimension " + dimension);
        }
        for (int i = 0; i < embedding.length; i++) {
            float v = embedding[i];
            if (!Float.isFinite(v)) {
                throw new InvalidInputException(parameter + " has a non-finite element at index " + i + ": " + v);
            }
            if (vectorType == VectorType.HALFVEC && Math.abs(v) > VectorType.HALF_MAX) {
                throw new InvalidInputException(parameter + " has element " + v + " at index " + i
                        + ", outside the half-precision range ±65504 of knowledge base '" + name + "'");
            }
        }
        return embedding;
    }

    /**
     * Validates a knowledge-base name.
     *
     * @param name the name
     * @return {@code name}
     * @throws InvalidInputException when it is {@code null} or does not match {@value #NAME_PATTERN}
     */
    public static String requireName(String name) {
        Check.notNull("knowledge base name", name);
        if (!NAME.matcher(name).matches()) {
            throw new InvalidInputException("knowledge base name must match " + NAME_PATTERN
                    + " (a lower-case letter, then up to 47 lower-case letters, digits or underscores), was "
                    + Check.describe(name) + " that does not match");
        }
        return name;
    }

    /**
     * Validates the form of a text-search configuration name (whether the database has it is checked on creation).
     *
     * @param textConfig the name
     * @return {@code textConfig}
     * @throws InvalidInputException when it is {@code null} or does not match {@value #TEXT_CONFIG_PATTERN}
     */
    public static String requireTextConfig(String textConfig) {
        Check.notNull("textConfig", textConfig);
        if (!TEXT_CONFIG.matcher(textConfig).matches()) {
            throw new InvalidInputException("textConfig must match " + TEXT_CONFIG_PATTERN + ", was "
                    + Check.describe(textConfig) + " that does not match");
        }
        return textConfig;
    }

    private void setIndex(IndexSpec index) {
        this.indexType = index.type();
        this.hnswM = index.m();
        this.hnswEfConstruction = index.efConstruction();
        this.ivfflatLists = index.lists();
    }

    private static void requireIndexable(String name, int dimension, VectorType type, IndexSpec index) {
        if (index.indexed() && dimension > type.maxIndexedDimension()) {
            throw new InvalidInputException("knowledge base '" + name + "': a " + index.type() + " index of "
                    + type + " holds at most " + type.maxIndexedDimension() + " dimensions, the base has " + dimension
                    + (type == VectorType.VECTOR && dimension <= VectorType.MAX_HALFVEC_INDEX_DIMENSION
                    ? "; use VectorType.HALFVEC" : "; use IndexSpec.none()"));
        }
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof KnowledgeBase other && name != null && name.equals(other.name);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(name);
    }

    @Override
    public String toString() {
        return "KnowledgeBase[name=" + name + ", dimension=" + dimension + ", distance=" + distance + ", vectorType="
                 + vectorType + ", index=" + index() + ", textConfig=" + textConfig + ", version=" + version + "]";
    }
}

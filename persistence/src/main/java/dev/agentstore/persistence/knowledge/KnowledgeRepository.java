package dev.agentstore.persistence.knowledge;

import dev.agentstore.persistence.support.AbstractRepository;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.VectorType;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import org.jdbi.v3.core.Handle;

import java.sql.Connection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Knowledge bases and their pgvector indexes. Chunks and search are in
 * {@link ChunkRepository}.
 *
 * <p><b>One table, one partial index per base.</b> All bases share the {@code chunks} table, whose embedding column
 * is an untyped {@code vector}. Creating an indexed base creates its own partial expression index,
 * {@code CREATE INDEX chunks_ann_<name> ON chunks USING hnsw ((embedding::vector(<dimension>)) vector_cosine_ops)
 * WITH (m = …, ef_construction = …) WHERE knowledge_base = '<name>'} ({@code halfvec(<dimension>)} and
 * {@code halfvec_*_ops} for {@code halfvec} bases; {@code ivfflat … WITH (lists = …)} for IVFFlat), so every base
 * gets an index of its own dimension, metric and parameters, while the schema stays fixed (Liquibase-managed,
 * validated by Hibernate, one entity mapping). The alternative, one table per base, was rejected: it would put
 * DDL-created tables outside the migrations and the entity model, and every query would splice in a table name
 * instead of a predicate.
 *
 * <p><b>DDL at runtime.</b> {@link #create}, {@link #changeIndex} and {@link #delete} run {@code CREATE INDEX} /
 * {@code DROP INDEX} in the caller's transaction (so a rollback undoes them). {@code CREATE INDEX} holds a
 * {@code SHARE} lock on {@code chunks} and {@code DROP INDEX} an {@code ACCESS EXCLUSIVE} lock, until the
 * transaction ends: other transactions' chunk writes (and, for a drop, reads) of <em>every</em> base wait meanwhile.
 * Run these calls in short transactions of their own. Building an index over many rows is much faster than
 * maintaining it row by row: for a bulk load, create the base with {@link IndexSpec#none()}, upsert, then
 * {@link #changeIndex} to HNSW, which sizes {@code maintenance_work_mem} so that the graph is built in memory
 * ({@link IndexBuild}).
 *
 * <p><b>Searches cache definitions.</b> {@link ChunkRepository}'s searches take a base's definition from a cache
 * that every search statement checks against the base's row (see {@code KnowledgeBaseCache}), so a change made here,
 * or by another process, is picked up by the next search whether or not the cache knows of it; these methods also
 * evict the base's entry.
 *
 * <p><b>Read-modify-write.</b> A base that a unit of work read ({@link #find}, {@link #get}, {@link #list},
 * {@link #findForUpdate}, or its own earlier {@link #changeIndex}) is changed by {@link #changeIndex} only if it
 * still has the version read ({@link ReadVersions}): the change locks the row, compares, and fails with a
 * {@link dev.agentstore.domain.ConcurrencyConflictException} carrying both versions when another transaction
 * changed the base in between, so an index computed from a read (say {@code lists + 1}) never silently replaces a
 * concurrent change; {@code fromTransactionWithRetry} re-runs the unit of work. {@link #findForUpdate} locks the row
 * at the read instead, so concurrent changes queue. Callers outside a unit of work pass the version they read
 * ({@link #changeIndex(String, IndexSpec, IndexBuild, long)}). A change of a base the unit of work has not read
 * locks the row as it reads it and never conflicts. {@link #delete} is not checked.
 *
 * <p><b>SQL-first.</b> Every method runs its statements through {@link Sql} on the unit of work's connection;
 * {@link KnowledgeBase} is read-only to JPA, and the bases returned are detached values built from the rows.
 *
 * <p>Every method runs in the caller's transaction; standalone:
 * {@code store.inTransaction(uow -> uow.knowledge().create("docs", 384, Distance.COSINE, IndexSpec.hnsw()))}. Of the
 * per-call {@code store.knowledge()}, the reads {@link #find}, {@link #get} and {@link #list} run in autocommit mode
 * ({@link SingleStatement}).
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class KnowledgeRepository extends AbstractRepository {

    /** Prefix of the per-base index names: the index of base {@code docs} is {@code chunks_ann_docs}. */
    public static final String INDEX_PREFIX = KnowledgeSql.INDEX_PREFIX;

    /** The base's chunk count and the connection's {@code maintenance_work_mem} in kB, before a build. */
    private static final String BUILD_INPUTS = """
            SELECT (SELECT count(*) FROM chunks WHERE knowledge_base = :name) AS chunk_count,
                   (SELECT CAST(setting AS bigint) FROM pg_settings WHERE name = 'maintenance_work_mem')
                       AS maintenance_work_mem_kb""";

    /** A setting until the transaction ends ({@code SET LOCAL}). */
    private static final String SET_LOCAL = "SELECT set_config(:setting, :value, true)";

    /** The entity name in {@link ReadVersions} and conflict messages. */
    private static final String ENTITY = "KnowledgeBase";
    /** Records the versions of what this class hands out and writes ({@link ReadVersions}). */
    private static final ReadVersions.Entity<KnowledgeBase> VERSIONS =
            new ReadVersions.Entity<>(ENTITY, KnowledgeBase::name, KnowledgeBase::version);

    /**
     * Creates a knowledge base with the default vector type ({@code vector} up to 2,000 dimensions, {@code halfvec}
     * above) and its index.
     *
     * @param name      the name, matching {@value KnowledgeBase#NAME_PATTERN}
     * @param dimension the embeddings' dimension, 1–16,000
     * @param distance  the metric
     * @param index     the index: {@link IndexSpec#hnsw()}, {@link IndexSpec#ivfflat(int)} or {@link IndexSpec#none()}
     * @return the created base
     * @throws InvalidInputException when a parameter is invalid, or the index cannot hold the dimension (above 4,000)
     * @throws DuplicateException    when a base of that name exists
     */
    public KnowledgeBase create(String name, int dimension, Distance distance, IndexSpec index) {
        return create(name, dimension, distance, index, null);
    }

    /**
     * Creates a knowledge base and its index (see the class comment for the DDL and its locks).
     *
     * @param name       the name, matching {@value KnowledgeBase#NAME_PATTERN}
     * @param dimension  the embeddings' dimension, 1–16,000
     * @param distance   the metric
     * @param index      the index
     * @param vectorType {@code vector} (indexable up to 2,000 dimensions), {@code halfvec} (up to 4,000; half the
     *                   index size), or {@code null} for the default
     * @return the created base
     * @throws InvalidInputException when a parameter is invalid, or the index cannot hold the dimension with that type
     * @throws DuplicateException    when a base of that name exists
     */
    public KnowledgeBase create(String name, int dimension, Distance distance, IndexSpec index, VectorType vectorType) {
        return create(name, dimension, distance, index, vectorType, KnowledgeBase.DEFAULT_TEXT_CONFIG);
    }

    /**
     * Creates a knowledge base with a text-search configuration for its full-text search (see
     * {@link #create(String, int, Distance, IndexSpec, VectorType)}). Chunks' text is indexed with it
     * ({@code to_tsvector(config, content)}) when written, and queries are parsed with it; it is fixed at creation.
     *
     * @param name       the name, matching {@value KnowledgeBase#NAME_PATTERN}
     * @param dimension  the embeddings' dimension, 1–16,000
     * @param distance   the metric
     * @param index      the index
     * @param vectorType the vector type, or {@code null} for the default
     * @param textConfig a text-search configuration of the database ({@code pg_ts_config}, visible on the search
     *                   path): {@code english}, {@code simple}, {@code german}, …
     * @return the created base
     * @throws InvalidInputException when a parameter is invalid, or the database has no such configuration
     * @throws DuplicateException    when a base of that name exists
     */
    public KnowledgeBase create(String name, int dimension, Distance distance, IndexSpec index, VectorType vectorType,
                                String textConfig) {
        KnowledgeBase kb = KnowledgeBase.create(name, dimension, distance, index, vectorType, textConfig,
                clock.instant());
        Sql.run(em, "create KnowledgeBase " + name, h -> {
            if (!h.createQuery(KnowledgeBaseSql.TEXT_CONFIG_EXISTS).bind("textConfig", textConfig)
                    .mapTo(Boolean.class).one()) {
                throw new InvalidInputException("textConfig '" + textConfig
                        + "' is not a text-search configuration of the database (pg_ts_config)");
            }
            KnowledgeBaseSql.bindIndex(h.createUpdate(KnowledgeBaseSql.INSERT), kb)
                    .bindMap(Sql.parameters("name", kb.name(), "dimension", kb.dimension(),
                            "distance", kb.distance().name(), "vectorType", kb.vectorType().name(),
                            "textConfig", kb.textConfig(), "createdAt", kb.createdAt(), "updatedAt", kb.updatedAt()))
                    .execute();
        });
        KnowledgeBaseCache.evict(em, name);
        runIndexBuild("create index of KnowledgeBase " + name, KnowledgeSql.createIndex(kb));
        return kb;
    }

    /**
     * Reads a base. In a unit of work, the version read is remembered: a later {@link #changeIndex} of the base in
     * the same unit of work changes it only if it still has that version (see the class description).
     *
     * @param name the base's name
     * @return the base, or empty when there is none of that name
     * @throws InvalidInputException when {@code name} is not a valid base name
     */
    @SingleStatement
    public Optional<KnowledgeBase> find(String name) {
        KnowledgeBase.requireName(name);
        return Sql.call(em, "find KnowledgeBase " + name,
                h -> KnowledgeBaseSql.find(h, KnowledgeBaseSql.FIND, name)).map(x -> VERSIONS.read(em, x));
    }

    /**
     * Reads a base and locks its row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so that changes of
     * the base queue behind this unit of work instead of failing its later change with a conflict. Needs a
     * transaction (a unit of work, or a container transaction).
     *
     * @param name the base's name
     * @return the base, or empty when there is none of that name
     * @throws InvalidInputException when {@code name} is not a valid base name
     */
    public Optional<KnowledgeBase> findForUpdate(String name) {
        KnowledgeBase.requireName(name);
        return Sql.call(em, "find KnowledgeBase " + name + " for update",
                h -> KnowledgeBaseSql.find(h, KnowledgeBaseSql.FIND_FOR_UPDATE, name)).map(x -> VERSIONS.read(em, x));
    }

    /**
     * @param name the base's name
     * @return the base
     * @throws InvalidInputException when {@code name} is not a valid base name
     * @throws NotFoundException     when there is no base of that name
     */
    @SingleStatement
    public KnowledgeBase get(String name) {
        return find(name).orElseThrow(() -> new NotFoundException("KnowledgeBase", name));
    }

    /** @return every base, by name */
    @SingleStatement
    public List<KnowledgeBase> list() {
        List<KnowledgeBase> bases = Sql.call(em, "list KnowledgeBases",
                h -> h.createQuery(KnowledgeBaseSql.LIST).map(KnowledgeBaseSql.ROW).list());
        bases.forEach(x -> VERSIONS.read(em, x));
        return bases;
    }

    /**
     * Replaces a base's index with the automatic build settings: {@code changeIndex(name, index, IndexBuild.auto())}.
     *
     * @param name  the base's name
     * @param index the new index (may equal the current one: that rebuilds it)
     * @return the updated base
     * @throws InvalidInputException when the index cannot hold the base's dimension with its vector type
     * @throws NotFoundException     when there is no base of that name
     */
    public KnowledgeBase changeIndex(String name, IndexSpec index) {
        return changeIndex(name, index, IndexBuild.auto());
    }

    /**
     * Replaces a base's index: drops the old one (if any) and builds the new one over the base's current chunks,
     * with the base row locked. Use it to build HNSW after a bulk load, to tune {@code m}/{@code ef_construction},
     * or to rebuild IVFFlat lists once the data is there (IVFFlat clusters what exists when it is built). Before the
     * build it counts the base's chunks and sets {@code maintenance_work_mem} and
     * {@code max_parallel_maintenance_workers} as {@code build} says, with {@code set_config(…, true)}
     * ({@code SET LOCAL}): they stay in force until the transaction ends (see {@link IndexBuild}). The build runs
     * without a statement timeout ({@code statement_timeout} is 0 until the transaction ends) and without the JDBC
     * network timeout; the lock timeout still bounds its wait for the chunks table.
     *
     * @param name  the base's name
     * @param index the new index (may equal the current one: that rebuilds it)
     * @param build the build's memory and parallelism
     * @return the updated base
     * @throws InvalidInputException                              when an argument is {@code null}, or the index
     *                                                            cannot hold the base's dimension with its vector
     *                                                            type
     * @throws NotFoundException                                  when there is no base of that name
     * @throws dev.agentstore.domain.ConcurrencyConflictException when this unit of work read the base and another
     *                                                            transaction changed it since (it carries both
     *                                                            versions); nothing is changed
     */
    public KnowledgeBase changeIndex(String name, IndexSpec index, IndexBuild build) {
        Check.notNull("index", index);
        Check.notNull("build", build);
        KnowledgeBase.requireName(name);
        return changeIndex(name, index, build, versions().expected(ENTITY, name));
    }

    /**
     * As {@link #changeIndex(String, IndexSpec, IndexBuild)}, only if the base still has {@code expectedVersion}
     * (compare-and-set, for callers that read the base in an earlier unit of work, or outside any). Locks the base's
     * row to compare.
     *
     * @param name            the base's name
     * @param index           the new index
     * @param build           the build's memory and parallelism
     * @param expectedVersion the version the caller read ({@link KnowledgeBase#version()})
     * @return the updated base
     * @throws InvalidInputException                              when an argument is {@code null} or negative, or
     *                                                            the index cannot hold the base's dimension with its
     *                                                            vector type
     * @throws NotFoundException                                  when there is no base of that name
     * @throws dev.agentstore.domain.ConcurrencyConflictException when the base's version is not
     *                                                            {@code expectedVersion} (it carries both versions);
     *                                                            nothing is changed
     */
    public KnowledgeBase changeIndex(String name, IndexSpec index, IndexBuild build, long expectedVersion) {
        Check.notNull("index", index);
        Check.notNull("build", build);
        KnowledgeBase.requireName(name);
        Check.notNegative("expectedVersion", expectedVersion);
        return changeIndex(name, index, build, OptionalLong.of(expectedVersion));
    }

    private KnowledgeBase changeIndex(String name, IndexSpec index, IndexBuild build, OptionalLong expected) {
        KnowledgeBase kb = expected.isEmpty() ? lock(name) : checked(name, expected.getAsLong());
        kb.changeIndex(index, clock.instant());
        KnowledgeBase changed = Sql.call(em, "change index of KnowledgeBase " + name, h ->
                KnowledgeBaseSql.bindIndex(h.createQuery(KnowledgeBaseSql.UPDATE_INDEX), kb)
                        .bind("updatedAt", kb.updatedAt())
                        .bind("name", name)
                        .bind("version", kb.version())
                        .map(KnowledgeBaseSql.ROW)
                        .one());
        VERSIONS.wrote(em, changed);
        KnowledgeBaseCache.evict(em, name);
        runDdl("drop index of KnowledgeBase " + name, KnowledgeSql.dropIndex(changed));
        if (index.indexed()) {
            configureBuild(changed, build);
        }
        runIndexBuild("create index of KnowledgeBase " + name, KnowledgeSql.createIndex(changed));
        return changed;
    }

    /**
     * Deletes a base, its index and all its chunks.
     *
     * @param name the base's name
     * @return whether a base was deleted
     * @throws InvalidInputException when {@code name} is not a valid base name
     */
    public boolean delete(String name) {
        KnowledgeBase.requireName(name);
        String context = "delete KnowledgeBase " + name;
        Optional<KnowledgeBase> kb = Sql.call(em, context,
                h -> KnowledgeBaseSql.find(h, KnowledgeBaseSql.FIND_FOR_UPDATE, name));
        if (kb.isEmpty()) {
            return false;
        }
        runDdl("drop index of KnowledgeBase " + name, KnowledgeSql.dropIndex(kb.get()));
        Sql.run(em, context, h -> {
            h.createUpdate(KnowledgeBaseSql.DELETE_CHUNKS).bind("name", name).execute();
            h.createUpdate(KnowledgeBaseSql.DELETE).bind("name", name).execute();
        });
        KnowledgeBaseCache.evict(em, name);
        return true;
    }

    /**
     * Locks the base's row and reads it.
     *
     * @throws NotFoundException when there is no base of that name
     */
    private KnowledgeBase lock(String name) {
        return Sql.call(em, "lock KnowledgeBase " + name,
                        h -> KnowledgeBaseSql.find(h, KnowledgeBaseSql.FIND_FOR_UPDATE, name))
                .orElseThrow(() -> new NotFoundException("KnowledgeBase", name));
    }

    /**
     * Locks the base's row and compares its version with the version a change expects.
     *
     * @return the base, current
     * @throws NotFoundException when there is no base of that name
     * @throws dev.agentstore.domain.ConcurrencyConflictException when the versions differ
     */
    private KnowledgeBase checked(String name, long expected) {
        KnowledgeBase kb = lock(name);
        if (kb.version() != expected) {
            throw ReadVersions.conflict(ENTITY, name, expected, kb.version());
        }
        return kb;
    }



    private ReadVersions versions() {
        return ReadVersions.of(em);
    }

    private void configureBuild(KnowledgeBase kb, IndexBuild build) {
        Sql.run(em, "configure the index build of KnowledgeBase " + kb.name(), h -> {
            Long memoryKb = h.createQuery(BUILD_INPUTS)
                    .bind("name", kb.name())
                    .map((rs, ctx) -> build.maintenanceWorkMemKb(kb, rs.getLong("chunk_count"),
                            rs.getLong("maintenance_work_mem_kb")))
                    .one();
            if (memoryKb != null) {
                setLocal(h, "maintenance_work_mem", memoryKb + "kB");
            }
            if (build.parallelWorkers() != null) {
                setLocal(h, "max_parallel_maintenance_workers", build.parallelWorkers().toString());
            }
        });
    }

    private static void setLocal(Handle handle, String setting, String value) {
        handle.createQuery(SET_LOCAL).bind("setting", setting).bind("value", value).mapTo(String.class).one();
    }

    /**
     * Runs an index build, which may take minutes, without the connection's {@code statement_timeout} (set to 0
     * with {@code SET LOCAL}, so until the transaction ends) and without its JDBC network timeout (restored
     * right after the build).
     */
    private void runIndexBuild(String context, String ddl) {
        if (ddl == null) {
            return;
        }
        Sql.run(em, context, h -> {
            Connection connection = h.getConnection();
            int networkTimeout = connection.getNetworkTimeout();
            connection.setNetworkTimeout(Runnable::run, 0);
            try {
                setLocal(h, "statement_timeout", "0");
                h.execute(ddl);
            } finally {
                connection.setNetworkTimeout(Runnable::run, networkTimeout);
            }
        });
    }

    private void runDdl(String context, String ddl) {
        if (ddl != null) {
            Sql.run(em, context, h -> h.execute(ddl));
        }
    }
}

package dev.agentstore.persistence;

import com.zaxxer.hikari.HikariDataSource;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.migrations.Indexes;
import dev.agentstore.migrations.MigrationException;
import dev.agentstore.migrations.Migrations;
import dev.agentstore.persistence.blob.BlobRepository;
import dev.agentstore.persistence.configuration.ConfigurationCache;
import dev.agentstore.persistence.configuration.ConfigurationRepository;
import dev.agentstore.persistence.flow.FlowEventRepository;
import dev.agentstore.persistence.flow.FlowRepository;
import dev.agentstore.persistence.flow.FlowRunRepository;
import dev.agentstore.persistence.flow.FlowStepRepository;
import dev.agentstore.persistence.flow.CheckpointRepository;
import dev.agentstore.persistence.knowledge.ChunkRepository;
import dev.agentstore.persistence.knowledge.KnowledgeRepository;
import dev.agentstore.persistence.kv.KvRepository;
import dev.agentstore.persistence.memory.MemoryRepository;
import dev.agentstore.persistence.partition.PartitionRepository;
import dev.agentstore.persistence.record.RecordRepository;
import dev.agentstore.persistence.scheduler.SchedulerJobRepository;
import dev.agentstore.persistence.statistics.StatisticsRepository;
import dev.agentstore.persistence.statistics.StoreStatistics;
import dev.agentstore.persistence.observability.SpanRepository;
import dev.agentstore.persistence.template.TemplateRepository;
import dev.agentstore.persistence.dataset.DatasetRepository;
import dev.agentstore.persistence.experiment.ExperimentRepository;
import dev.agentstore.persistence.definition.DefinitionRepository;
import dev.agentstore.persistence.observability.LlmUsageRepository;
import dev.agentstore.persistence.observability.ScoreRepository;
import dev.agentstore.persistence.trigger.TriggerRepository;
import dev.agentstore.persistence.support.PersistenceErrors;
import dev.agentstore.persistence.support.RetryPolicy;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.EntityTransaction;
import jakarta.persistence.PersistenceException;
import org.hibernate.SessionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * The standalone entry point: a HikariCP pool, Liquibase migrations (when {@link AgentStoreConfig#autoMigrate()}),
 * and Hibernate validating the schema ({@code hbm2ddl=validate}), with a unit-of-work API over them. For CLI tools,
 * batch jobs and tests; inside a Jakarta EE container inject the repositories instead.
 *
 * <pre>{@code
 * try (AgentStore store = AgentStore.open(AgentStoreConfig.fromEnvironment())) {
 *     store.inTransaction(uow -> uow.flows().register("etl", "Nightly ETL", 1));
 *     long total = store.fromTransaction(uow -> uow.flows().incrementStat("etl", FlowStat.TOTAL, 1));
 * }
 * }</pre>
 *
 * <p><b>Units of work and single calls.</b> {@link #inTransaction} and {@link #fromTransaction} run several repository
 * calls as one transaction. For one call, the store also hands out per-call repositories ({@link #flowEvents()},
 * {@link #kv()}, {@link #flows()}, …): every method of those runs as its own unit of work, as a container runs an
 * injected repository called outside a transaction. A method marked
 * {@link dev.agentstore.persistence.support.SingleStatement} (one SQL statement, for example
 * {@code store.flowEvents().append(e)}, {@code store.kv().set(k, v)}) then runs in autocommit mode: one round trip,
 * no {@code BEGIN}/{@code COMMIT}, as atomic as a transaction of that one statement. Any other method runs in its
 * own transaction. Inside {@code inTransaction} use the unit of work's repositories: a per-call repository called
 * there takes a second connection from the pool and commits on its own, outside the unit of work.
 *
 * <pre>{@code
 * store.flowEvents().append(NewFlowEvent.of("run-1", "etl", "step.completed"));   // one statement, autocommit
 * store.flowRuns().update("etl", "run-1", patch);                                  // its own transaction
 * }</pre>
 *
 * <p>Thread-safe: many threads may run transactions at once, each on its own connection.
 */
public final class AgentStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AgentStore.class);

    /**
     * The entity classes of the agentstore persistence unit, as a container's {@code persistence.xml} lists them
     * (unmodifiable).
     */
    public static final List<Class<?>> ENTITY_CLASSES = ManagedClasses.ALL;

    private final AgentStoreConfig config;
    private final DataSource dataSource;
    private final DataSource schemaSource;
    private final HikariDataSource ownedPool;
    private final SessionFactory sessionFactory;
    private final ConfigurationCache configurationCache;
    private final ConcurrentMap<Class<?>, Object> perCallRepositories = new ConcurrentHashMap<>();

    private AgentStore(AgentStoreConfig config, DataSource dataSource, DataSource schemaSource,
                       HikariDataSource ownedPool, SessionFactory sessionFactory) {
        this.config = config;
        this.dataSource = dataSource;
        this.schemaSource = schemaSource;
        this.ownedPool = ownedPool;
        this.sessionFactory = sessionFactory;
        this.configurationCache = new ConfigurationCache(config.configCacheMaxSize(), config.configCacheTtl());
    }

    /**
     * Opens a store with its own HikariCP pool.
     *
     * @param config the settings
     * @return the open store; close it to release the pool
     * @throws AgentStoreException when the database cannot be reached, a migration or a custom index fails, or the
     *                             schema does not match the entities (for example {@code autoMigrate=false} on an
     *                             unmigrated schema); {@link InvalidInputException} when a custom index names a column
     *                             its table lacks
     */
    public static AgentStore open(AgentStoreConfig config) {
        Objects.requireNonNull(config, "config");
        HikariDataSource pool = StoreBootstrap.createPool(config);
        try {
            return open(config, pool, pool);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * Opens a store over a caller-owned {@link DataSource} (another pool, or a proxy that counts statements). The
     * URL, user, password, sslmode and pool settings of {@code config} are then ignored; {@link #close()} does not
     * close {@code dataSource}. Its connections must have the configured schema first on their {@code search_path}
     * (pgjdbc's {@code currentSchema}), since repository SQL names tables without a schema.
     *
     * @param config     schema, auto-migrate and clock settings
     * @param dataSource where connections come from
     * @return the open store
     * @throws AgentStoreException when a migration fails or the schema does not match the entities
     */
    public static AgentStore open(AgentStoreConfig config, DataSource dataSource) {
        return open(config, Objects.requireNonNull(dataSource, "dataSource"), null);
    }

    private static AgentStore open(AgentStoreConfig config, DataSource dataSource, HikariDataSource ownedPool) {
        DataSource direct = StoreBootstrap.directDataSource(config);
        DataSource schemaSource = direct != null ? direct : dataSource;
        if (config.autoMigrate()) {
            IndexOptions indexOptions = config.indexOptions();
            try {
                var applied = new Migrations(schemaSource, config.schema()).vectorSchema(config.vectorSchema())
                        .skipDefaultIndexes(indexOptions.skipDefaultIndexes()).up();
                LOG.info("agentstore: applied {} change set(s) to schema {}", applied.size(), config.schema());
                if (!indexOptions.indexes().isEmpty()) {
                    new Indexes(schemaSource, config.schema()).ensure(indexOptions.indexes());
                }
            } catch (MigrationException e) {
                throw new AgentStoreException(e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(e.getMessage(), e);
            }
        }
        StoreBootstrap.checkSearchPath(config, dataSource, ownedPool != null);
        try {
            return new AgentStore(config, dataSource, schemaSource, ownedPool,
                    StoreBootstrap.buildSessionFactory(config, dataSource));
        } catch (RuntimeException e) {
            throw new AgentStoreException("could not start Hibernate on schema '" + config.schema() + "' (is it migrated?"
                    + " set autoMigrate=true or run the migrations first): " + e.getMessage(), e);
        }
    }

    /** @return the settings this store was opened with */
    public AgentStoreConfig config() {
        return config;
    }

    /** @return the connection pool, for a caller's own SQL; do not close it */
    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * @return the read cache of configurations shared by this store's transactions (sized by
     *         {@link AgentStoreConfig#configCacheMaxSize()} and {@link AgentStoreConfig#configCacheTtl()})
     */
    public ConfigurationCache configurationCache() {
        return configurationCache;
    }

    /** @return Hibernate's entity manager factory, for a caller's own JPA work; do not close it */
    public EntityManagerFactory entityManagerFactory() {
        return sessionFactory;
    }

    /**
     * @return the migration API for this store's schema; its methods throw
     *         {@link dev.agentstore.migrations.MigrationException} (the migrations module stands alone, outside the
     *         {@link AgentStoreException} hierarchy); on {@link AgentStoreConfig#directUrl()} when it is set
     */
    public Migrations migrations() {
        return new Migrations(schemaSource, config.schema()).vectorSchema(config.vectorSchema());
    }

    /**
     * @return the schema's indexes: custom ones created when missing ({@link Indexes#ensure}) and all of them listed;
     *         its methods throw {@link MigrationException} and {@link IllegalArgumentException} (see
     *         {@link #migrations()})
     */
    public Indexes indexes() {
        return new Indexes(schemaSource, config.schema());
    }

    /**
     * Runs {@code work} in one transaction: commits when it returns, rolls back when it throws.
     *
     * @param work the work, given the transaction's repositories
     * @throws AgentStoreException (or a subclass) translated from a JPA or Hibernate exception of the work or the
     *                             commit; any other exception the work throws is rethrown unchanged, after the rollback
     */
    public void inTransaction(Consumer<UnitOfWork> work) {
        fromTransaction(uow -> {
            work.accept(uow);
            return null;
        });
    }

    /**
     * Runs {@code work} in one transaction and returns its result: commits when it returns, rolls back when it throws.
     *
     * @param work the work, given the transaction's repositories
     * @param <T>  the result type
     * @return what {@code work} returned
     * @throws dev.agentstore.domain.TransientDataAccessException when a transient failure ended the transaction
     *                             (lost connection, no connection within the pool timeout, server shutdown, statement
     *                             or lock timeout); {@link dev.agentstore.domain.ConcurrencyConflictException} (a
     *                             subclass) when it lost a race (a {@code @Version} check, a serialization failure, a
     *                             deadlock). Both say whether re-running the work is safe: it is, except when the
     *                             connection was lost while the {@code COMMIT} was in flight (the outcome is unknown)
     * @throws AgentStoreException (or another subclass) translated from any other JPA or Hibernate exception of the
     *                             work or the commit. Any other exception the work throws is rethrown unchanged, after
     *                             the rollback.
     */
    public <T> T fromTransaction(Function<UnitOfWork, T> work) {
        return fromTransaction("unit of work", work);
    }

    /**
     * {@link #fromTransaction(Function)} naming the work {@code operation} in the exceptions of the begin, flush and
     * commit (a repository's own failures name its operation).
     */
    <T> T fromTransaction(String operation, Function<UnitOfWork, T> work) {
        EntityManager em = sessionFactory.createEntityManager();
        EntityTransaction tx = em.getTransaction();
        boolean committing = false;
        try {
            tx.begin();
            T result = work.apply(new UnitOfWork(em, config.clock(), configurationCache));
            // flush first, so that a failure of commit() is the COMMIT's own (whose outcome may be unknown)
            em.flush();
            committing = true;
            tx.commit();
            return result;
        } catch (RuntimeException e) {
            if (tx.isActive()) {
                try {
                    tx.rollback();
                } catch (RuntimeException rollbackFailure) {
                    e.addSuppressed(rollbackFailure);
                }
            }
            if (committing) {
                throw PersistenceErrors.translateOutcomeUnknown("commit of " + operation, e);
            }
            // JPA's and Hibernate's exceptions become typed ones; the work's own exceptions pass unchanged
            throw e instanceof PersistenceException ? PersistenceErrors.translate(operation, e) : e;
        } finally {
            em.close();
        }
    }

    /**
     * Runs {@code work} in a new transaction per attempt, retrying with {@code policy}'s backoff while an attempt
     * ends in a {@link dev.agentstore.domain.TransientDataAccessException} that is
     * {@link dev.agentstore.domain.TransientDataAccessException#retrySafe() retry-safe}: a lost race
     * ({@link dev.agentstore.domain.ConcurrencyConflictException}), a lost connection, no connection within the pool
     * timeout, a server shutdown, a statement or lock timeout. Bounded, and
     * without lost updates: the work re-reads the current state in every attempt.
     *
     * @param policy attempts and backoff
     * @param work   the work; it may run several times, so it must not have side effects outside the transaction
     * @param <T>    the result type
     * @return what the successful attempt returned
     * @throws dev.agentstore.domain.ConcurrencyConflictException when every attempt conflicted
     * @throws dev.agentstore.domain.TransientDataAccessException when every attempt failed transiently (the message
     *                                                            names the operation and the attempts), or at once
     *                                                            when a failure is not retry-safe (the connection was
     *                                                            lost during the {@code COMMIT}: the outcome is unknown)
     * @throws AgentStoreException any other failure, at once, as {@link #fromTransaction(Function)}
     */
    public <T> T fromTransactionWithRetry(RetryPolicy policy, Function<UnitOfWork, T> work) {
        return policy.execute("unit of work", () -> fromTransaction(work));
    }

    /** @return the flow registry and its atomic stats, each call its own unit of work (see the class comment) */
    public FlowRepository flows() {
        return perCallRepository(FlowRepository.class, UnitOfWork::flows);
    }

    /**
     * Rows and sizes of the tables and indexes of the store's schema ({@link AgentStoreConfig#schema()}), read in a
     * transaction of its own; see {@link StatisticsRepository#read(String)} for what is counted and what it costs.
     *
     * @return the schema's tables and indexes
     * @throws AgentStoreException (a typed subclass) when the database fails
     */
    public StoreStatistics statistics() {
        return fromTransaction(uow -> new StatisticsRepository(uow.entityManager()).read(config.schema()));
    }

    /** @return flow runs, each call its own unit of work (see the class comment) */
    public FlowRunRepository flowRuns() {
        return perCallRepository(FlowRunRepository.class, UnitOfWork::flowRuns);
    }

    /** @return a run's steps as rows, each call its own unit of work (see the class comment) */
    public FlowStepRepository flowSteps() {
        return perCallRepository(FlowStepRepository.class, UnitOfWork::flowSteps);
    }

    /** @return runs' checkpoints, each call its own unit of work (see the class comment) */
    public CheckpointRepository checkpoints() {
        return perCallRepository(CheckpointRepository.class, UnitOfWork::checkpoints);
    }

    /** @return the append-only flow event log, each call its own unit of work (see the class comment) */
    public FlowEventRepository flowEvents() {
        return perCallRepository(FlowEventRepository.class, UnitOfWork::flowEvents);
    }

    /** @return triggers and their fire log, each call its own unit of work (see the class comment) */
    public TriggerRepository triggers() {
        return perCallRepository(TriggerRepository.class, UnitOfWork::triggers);
    }

    /** @return scheduler jobs, each call its own unit of work (see the class comment) */
    public SchedulerJobRepository schedulerJobs() {
        return perCallRepository(SchedulerJobRepository.class, UnitOfWork::schedulerJobs);
    }

    /** @return the key-value store with TTL, each call its own unit of work (see the class comment) */
    public KvRepository kv() {
        return perCallRepository(KvRepository.class, UnitOfWork::kv);
    }

    /** @return conversational memory, each call its own unit of work (see the class comment) */
    public MemoryRepository memories() {
        return perCallRepository(MemoryRepository.class, UnitOfWork::memories);
    }

    /** @return datasets with versioned items, each call its own unit of work (see the class comment) */
    public DatasetRepository datasets() {
        return perCallRepository(DatasetRepository.class, UnitOfWork::datasets);
    }

    /** @return experiments over dataset versions, each call its own unit of work (see the class comment) */
    public ExperimentRepository experiments() {
        return perCallRepository(ExperimentRepository.class, UnitOfWork::experiments);
    }

    /** @return prompt templates with revisions, each call its own unit of work (see the class comment) */
    public TemplateRepository templates() {
        return perCallRepository(TemplateRepository.class, UnitOfWork::templates);
    }

    /**
     * @return configuration snapshots through {@link #configurationCache()}, each call its own unit of work (see the
     *         class comment)
     */
    public ConfigurationRepository configurations() {
        return perCallRepository(ConfigurationRepository.class, UnitOfWork::configurations);
    }

    /** @return generic JSONB records, each call its own unit of work (see the class comment) */
    public RecordRepository records() {
        return perCallRepository(RecordRepository.class, UnitOfWork::records);
    }

    /** @return knowledge-base definitions, each call its own unit of work (see the class comment) */
    public KnowledgeRepository knowledge() {
        return perCallRepository(KnowledgeRepository.class, UnitOfWork::knowledge);
    }

    /** @return knowledge-base chunks and vector search, each call its own unit of work (see the class comment) */
    public ChunkRepository chunks() {
        return perCallRepository(ChunkRepository.class, UnitOfWork::chunks);
    }

    /** @return partition maintenance and retention, each call its own unit of work (see the class comment) */
    public PartitionRepository partitions() {
        return perCallRepository(PartitionRepository.class, UnitOfWork::partitions);
    }

    /** @return versioned definitions, each call its own unit of work (see the class comment) */
    public DefinitionRepository definitions() {
        return perCallRepository(DefinitionRepository.class, UnitOfWork::definitions);
    }

    /** @return evaluation scores, each call its own unit of work (see the class comment) */
    public ScoreRepository scores() {
        return perCallRepository(ScoreRepository.class, UnitOfWork::scores);
    }

    /** @return LLM token usage, each call its own unit of work (see the class comment) */
    public LlmUsageRepository llmUsage() {
        return perCallRepository(LlmUsageRepository.class, UnitOfWork::llmUsage);
    }

    /**
     * @return content-addressed binary storage, each call its own unit of work (see the class comment); read content
     *         with {@link BlobRepository#get(String, java.io.OutputStream)} here, since a stream from
     *         {@code openStream} ends with its call
     */
    public BlobRepository blobs() {
        return perCallRepository(BlobRepository.class, UnitOfWork::blobs);
    }

    /** @return AI traces and spans, each call its own unit of work (see the class comment) */
    public SpanRepository spans() {
        return perCallRepository(SpanRepository.class, UnitOfWork::spans);
    }

    private <R> R perCallRepository(Class<R> type, Function<UnitOfWork, R> accessor) {
        return type.cast(perCallRepositories.computeIfAbsent(type,
                t -> PerCallRepository.create(type, accessor, this)));
    }

    /** See {@link PerCallRepository#call}. */
    <T> T perCall(String operation, boolean singleStatement, Function<UnitOfWork, T> call) {
        return PerCallRepository.call(this, operation, singleStatement, call);
    }

    /**
     * Closes Hibernate and, when the store created it, the pool. Idempotent.
     */
    @Override
    public void close() {
        try {
            sessionFactory.close();
        } finally {
            if (ownedPool != null) {
                ownedPool.close();
            }
        }
    }

    /**
     * Migrations of the configured schema over connections of their own, opened one at a time with the store's
     * connection settings (TLS and timeouts included) and closed after each use: for tools that migrate, inspect or
     * roll back a schema without opening a store (which validates the schema against the entities). Does not
     * connect until a method of the returned object is called.
     *
     * @param config the settings
     * @return the schema's migrations
     */
    public static Migrations migrations(AgentStoreConfig config) {
        Objects.requireNonNull(config, "config");
        return new Migrations(StoreBootstrap.driverDataSource(config), config.schema());
    }
}
